package wire

import (
	"strconv"

	"github.com/balance-pt/balance"
)

// JSONOptions choose how AppendJSON writes a batch. The zero value writes SI
// units ("m/s2", "rad/s") and array samples.
type JSONOptions struct {
	// AccUnit and GyroUnit are unit spellings the decoder accepts (see
	// accUnitFactor, gyroUnitFactor); "" means "m/s2" and "rad/s". Values are
	// divided by the unit's factor, so a round trip through a non-SI unit may
	// differ from the input in the last bit. An unknown spelling is written
	// as given with SI values, and the decoder rejects it (EUNITS).
	AccUnit, GyroUnit string
	// ExplicitTimes writes {"t":..,"acc":[..],"gyro":[..]} samples.
	ExplicitTimes bool
}

// AppendJSON appends b as a JSON batch to dst and returns the extended slice.
//
// The start time t0 is b.Samples[0].TimeNS (the signature the brief proposed
// took t0 separately; it is derived instead so that it cannot disagree with
// the samples). Times are written as exact Unix milliseconds with up to six
// decimals. Array samples need a rate, so AppendJSON writes explicit times
// instead whenever b.RateHz is 0 or a sample lies off the grid
// t0 + round(i·10⁹/rate) ns; either way the output decodes back to b's
// samples, b.Seq and (for array samples) b.RateHz. With explicit times
// rate_hz is not written and decodes as 0. The output carries "n".
func AppendJSON(dst []byte, b *balance.Batch, o JSONOptions) []byte {
	accUnit, accF := jsonUnitOrDefault(o.AccUnit, UnitMS2, accUnitFactor)
	gyroUnit, gyroF := jsonUnitOrDefault(o.GyroUnit, UnitRadS, gyroUnitFactor)
	explicit := o.ExplicitTimes || !onGrid(b)

	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, Version, 10)
	dst = append(dst, `,"seq":`...)
	dst = strconv.AppendUint(dst, b.Seq, 10)
	if !explicit {
		dst = append(dst, `,"t0":`...)
		dst = appendMillis(dst, b.Samples[0].TimeNS)
		dst = append(dst, `,"rate_hz":`...)
		dst = strconv.AppendFloat(dst, b.RateHz, 'g', -1, 64)
	}
	dst = append(dst, `,"units":{"acc":`...)
	dst = appendJSONString(dst, accUnit)
	dst = append(dst, `,"gyro":`...)
	dst = appendJSONString(dst, gyroUnit)
	dst = append(dst, `},"frame":"sensor","n":`...)
	dst = strconv.AppendInt(dst, int64(len(b.Samples)), 10)
	dst = append(dst, `,"samples":[`...)
	for i := range b.Samples {
		s := &b.Samples[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		if explicit {
			dst = append(dst, `{"t":`...)
			dst = appendMillis(dst, s.TimeNS)
			dst = append(dst, `,"acc":`...)
			dst = appendVec3(dst, &s.Acc, accF)
			dst = append(dst, `,"gyro":`...)
			dst = appendVec3(dst, &s.Gyro, gyroF)
			dst = append(dst, '}')
			continue
		}
		dst = append(dst, '[')
		for k := range 3 {
			dst = strconv.AppendFloat(dst, s.Acc[k]/accF, 'g', -1, 64)
			dst = append(dst, ',')
		}
		for k := range 3 {
			dst = strconv.AppendFloat(dst, s.Gyro[k]/gyroF, 'g', -1, 64)
			if k < 2 {
				dst = append(dst, ',')
			}
		}
		dst = append(dst, ']')
	}
	return append(dst, "]}"...)
}

// onGrid reports whether b has a rate and every sample lies on its grid.
func onGrid(b *balance.Batch) bool {
	if b.RateHz <= 0 || len(b.Samples) == 0 {
		return false
	}
	t0 := b.Samples[0].TimeNS
	for i := range b.Samples {
		if b.Samples[i].TimeNS != sampleTime(t0, i, b.RateHz) {
			return false
		}
	}
	return true
}

func jsonUnitOrDefault(u, def string, factor func([]byte) float64) (string, float64) {
	if u == "" {
		u = def
	}
	f := factor([]byte(u))
	if f == unitUnknown {
		f = unitSI
	}
	return u, f
}

func appendVec3(dst []byte, v *[3]float64, f float64) []byte {
	dst = append(dst, '[')
	for k := range 3 {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendFloat(dst, v[k]/f, 'g', -1, 64)
	}
	return append(dst, ']')
}

// appendMillis appends Unix nanoseconds ns as exact decimal Unix
// milliseconds: an integer, or a fraction of up to six digits.
func appendMillis(dst []byte, ns int64) []byte {
	u := uint64(ns)
	if ns < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = strconv.AppendUint(dst, u/1e6, 10)
	frac := u % 1e6
	if frac == 0 {
		return dst
	}
	var buf [7]byte
	buf[0] = '.'
	for k := 6; k >= 1; k-- {
		buf[k] = byte('0' + frac%10)
		frac /= 10
	}
	n := 7
	for buf[n-1] == '0' {
		n--
	}
	return append(dst, buf[:n]...)
}

// appendJSONString appends s as a JSON string, escaping '"', '\' and control
// characters; other bytes (UTF-8) are copied.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
