package ingest

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/balance-pt/balance"
)

// Spool records hold one batch each:
//
//	version u8 (1) | len u8 + device id | len u8 + patient id | seq u64 |
//	rate f64 | n u32 | n × (time i64 ns, ax ay az gx gy gz f64)
//
// little-endian, values bit-exact.
const recordVersion = 1

func appendRecord(dst []byte, b *balance.Batch) []byte {
	dst = append(dst, recordVersion, byte(len(b.DeviceID)))
	dst = append(dst, b.DeviceID...)
	dst = append(dst, byte(len(b.PatientID)))
	dst = append(dst, b.PatientID...)
	dst = binary.LittleEndian.AppendUint64(dst, b.Seq)
	dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(b.RateHz))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(b.Samples)))
	for _, s := range b.Samples {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(s.TimeNS))
		for _, v := range s.Acc {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
		for _, v := range s.Gyro {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
		}
	}
	return dst
}

var errBadRecord = errors.New("ingest: malformed spool record")

func decodeRecord(r []byte) (*balance.Batch, error) {
	if len(r) < 2 || r[0] != recordVersion {
		return nil, errBadRecord
	}
	b := &balance.Batch{}
	off := 1
	str := func() (string, bool) {
		if off >= len(r) {
			return "", false
		}
		n := int(r[off])
		off++
		if off+n > len(r) {
			return "", false
		}
		s := string(r[off : off+n])
		off += n
		return s, true
	}
	var ok bool
	if b.DeviceID, ok = str(); !ok {
		return nil, errBadRecord
	}
	if b.PatientID, ok = str(); !ok {
		return nil, errBadRecord
	}
	if off+20 > len(r) {
		return nil, errBadRecord
	}
	b.Seq = binary.LittleEndian.Uint64(r[off:])
	b.RateHz = math.Float64frombits(binary.LittleEndian.Uint64(r[off+8:]))
	n := int(binary.LittleEndian.Uint32(r[off+16:]))
	off += 20
	if n < 0 || len(r)-off != n*56 {
		return nil, errBadRecord
	}
	b.Samples = make([]balance.Sample, n)
	for i := range b.Samples {
		s := &b.Samples[i]
		s.TimeNS = int64(binary.LittleEndian.Uint64(r[off:]))
		off += 8
		for k := 0; k < 3; k++ {
			s.Acc[k] = math.Float64frombits(binary.LittleEndian.Uint64(r[off:]))
			off += 8
		}
		for k := 0; k < 3; k++ {
			s.Gyro[k] = math.Float64frombits(binary.LittleEndian.Uint64(r[off:]))
			off += 8
		}
	}
	return b, nil
}
