package wire

import (
	"strconv"

	"github.com/balance-pt/balance"
)

// AppendLineProtocol appends b as InfluxDB line protocol, one line per sample
// in SI units (no unit tags) with a device tag when b.DeviceID is set and a
// seq field when b.Seq is not 0:
//
//	imu,device=demo-001 ax=0.1,ay=0,az=9.81,gx=0,gy=0,gz=0.01,seq=42i 1764300000000000000
//
// Decoding the output gives back b's samples and b.Seq exactly.
func AppendLineProtocol(dst []byte, b *balance.Batch) []byte {
	for i := range b.Samples {
		s := &b.Samples[i]
		dst = append(dst, "imu"...)
		if b.DeviceID != "" {
			dst = append(dst, ",device="...)
			dst = appendLPEscaped(dst, b.DeviceID)
		}
		for k := range 6 {
			if k == 0 {
				dst = append(dst, ' ')
			} else {
				dst = append(dst, ',')
			}
			dst = append(dst, lpFields[k]...)
			dst = append(dst, '=')
			v := s.Acc[k%3]
			if k >= 3 {
				v = s.Gyro[k-3]
			}
			dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
		}
		if b.Seq != 0 {
			dst = append(dst, ",seq="...)
			dst = strconv.AppendUint(dst, b.Seq, 10)
			dst = append(dst, 'i')
		}
		dst = append(dst, ' ')
		dst = strconv.AppendInt(dst, s.TimeNS, 10)
		dst = append(dst, '\n')
	}
	return dst
}

// appendLPEscaped appends a tag value with ',', '=' and ' ' escaped.
func appendLPEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '=', ' ':
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return dst
}
