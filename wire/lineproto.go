package wire

import (
	"bytes"
	"strconv"

	"github.com/balance-pt/balance"
)

// Line protocol subset (InfluxDB line protocol, one sample per line):
//
//	imu[,device=<id>][,acc_unit=g][,gyro_unit=deg/s][,other=tags] ax=..,ay=..,az=..,gx=..,gy=..,gz=..[,seq=42i][,other=fields] <Unix ns>
//
// Blank lines and lines starting with '#' are skipped. Escapes follow the
// line protocol: '\' before ',' or ' ' in the measurement, before ',', '='
// or ' ' in tag keys, tag values and field keys, and before '"' or '\' in
// string field values. Numeric fields may be floats or integers with the
// suffix 'i' or 'u'. Unknown tags and fields are ignored; the timestamp is
// required and in nanoseconds.

// lpField indexes the six sample fields.
var lpFields = [6]string{"ax", "ay", "az", "gx", "gy", "gz"}

// decodeLineProtocol decodes line-protocol payload p into dst.
func (d *Decoder) decodeLineProtocol(deviceID string, p []byte, dst *balance.Batch) (declared, error) {
	u := declared{acc: unitSI, gyro: unitSI}
	dst.Samples = dst.Samples[:0]
	lineNo := 0
	first := true
	for len(p) > 0 {
		var line []byte
		if i := bytes.IndexByte(p, '\n'); i >= 0 {
			line, p = p[:i], p[i+1:]
		} else {
			line, p = p, nil
		}
		lineNo++
		line = bytes.TrimRight(line, "\r")
		line = bytes.TrimLeft(line, " \t")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if len(dst.Samples) == balance.MaxBatchSize {
			return u, balance.Errorf(balance.ECOUNT, "batch has more than %d samples", balance.MaxBatchSize)
		}
		dst.Samples = append(dst.Samples, balance.Sample{})
		lu, seq, hasSeq, err := d.lpLine(deviceID, line, &dst.Samples[len(dst.Samples)-1])
		if err != nil {
			return u, lpErr(lineNo, err)
		}
		if first {
			u = lu
			if hasSeq {
				dst.Seq = seq
			}
			first = false
		} else if lu != u {
			return u, lpErr(lineNo, balance.Errorf(balance.EUNITS, "units differ from the first line's; one payload must use one set of units"))
		}
	}
	if len(dst.Samples) == 0 {
		return u, balance.Errorf(balance.ECOUNT, "payload has no lines")
	}
	return u, nil
}

// lpErr prefixes err with the line number.
func lpErr(line int, err error) error {
	if e, ok := err.(*balance.Error); ok {
		return balance.Errorf(e.Code, "line %d: %s", line, e.Message)
	}
	return err
}

// lpLine parses one line into s (in SI units).
func (d *Decoder) lpLine(deviceID string, line []byte, s *balance.Sample) (u declared, seq uint64, hasSeq bool, err error) {
	u = declared{acc: unitSI, gyro: unitSI}
	// Measurement.
	m, rest := lpToken(line, false)
	if !bytes.Equal(d.unescape(m), []byte("imu")) {
		return u, 0, false, balance.Errorf(balance.EMALFORMED, "measurement %q is not \"imu\"", abbrevBytes(m))
	}
	// Tags.
	for len(rest) > 0 && rest[0] == ',' {
		var kv []byte
		kv, rest = lpToken(rest[1:], false)
		k, v, ok := lpSplitKV(kv)
		if !ok || len(k) == 0 || len(v) == 0 {
			return u, 0, false, balance.Errorf(balance.EMALFORMED, "tag %q is not key=value", abbrevBytes(kv))
		}
		switch string(k) {
		case "device":
			if string(d.unescape(v)) != deviceID {
				return u, 0, false, balance.Errorf(balance.EDEVICEID, "tag device=%s differs from the topic's device %s", abbrevBytes(v), deviceID)
			}
		case "acc_unit":
			if u.acc = accUnitFactor(d.unescape(v)); u.acc == unitUnknown {
				return u, 0, false, balance.Errorf(balance.EUNITS, `acc_unit %q is not one of "g", "m/s2", "m/s^2", "m/s²"`, abbrevBytes(v))
			}
		case "gyro_unit":
			if u.gyro = gyroUnitFactor(d.unescape(v)); u.gyro == unitUnknown {
				return u, 0, false, balance.Errorf(balance.EUNITS, `gyro_unit %q is not one of "rad/s", "deg/s", "dps", "°/s"`, abbrevBytes(v))
			}
		}
	}
	if len(rest) == 0 || rest[0] != ' ' {
		return u, 0, false, balance.Errorf(balance.EMALFORMED, "no fields after the measurement and tags")
	}
	rest = bytes.TrimLeft(rest, " ")
	// Fields.
	var have [6]bool
	var vals [6]float64
	for {
		var kv []byte
		kv, rest = lpToken(rest, true)
		k, v, ok := lpSplitKV(kv)
		if !ok || len(k) == 0 || len(v) == 0 {
			return u, 0, false, balance.Errorf(balance.EMALFORMED, "field %q is not key=value", abbrevBytes(kv))
		}
		idx := -1
		for j, name := range lpFields {
			if string(k) == name {
				idx = j
				break
			}
		}
		switch {
		case idx >= 0:
			if have[idx] {
				return u, 0, false, balance.Errorf(balance.EMALFORMED, "field %s appears twice", k)
			}
			x, ok := lpNumber(v)
			if !ok {
				return u, 0, false, balance.Errorf(balance.EMALFORMED, "field %s=%s is not a number", k, abbrevBytes(v))
			}
			have[idx], vals[idx] = true, x
		case string(k) == "seq":
			n, ok := lpUint(v)
			if !ok {
				return u, 0, false, balance.Errorf(balance.EMALFORMED, "field seq=%s is not a non-negative integer like 42i", abbrevBytes(v))
			}
			seq, hasSeq = n, true
		}
		if len(rest) == 0 || rest[0] != ',' {
			break
		}
		rest = rest[1:]
	}
	for j, ok := range have {
		if !ok {
			return u, 0, false, balance.Errorf(balance.EMALFORMED, "missing field %s", lpFields[j])
		}
	}
	// Timestamp.
	rest = bytes.TrimLeft(rest, " ")
	ts := rest
	if i := bytes.IndexByte(rest, ' '); i >= 0 {
		ts = rest[:i]
		if len(bytes.TrimLeft(rest[i:], " ")) != 0 {
			return u, 0, false, balance.Errorf(balance.EMALFORMED, "unexpected text after the timestamp")
		}
	}
	if len(ts) == 0 {
		return u, 0, false, balance.Errorf(balance.EMALFORMED, "missing timestamp (Unix nanoseconds of the device clock)")
	}
	t, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return u, 0, false, balance.Errorf(balance.EMALFORMED, "timestamp %q is not an integer of Unix nanoseconds", abbrevBytes(ts))
	}
	s.TimeNS = t
	for k := range 3 {
		s.Acc[k] = vals[k] * u.acc
		s.Gyro[k] = vals[k+3] * u.gyro
	}
	return u, seq, hasSeq, nil
}

// lpToken splits b at the first unescaped ',' or ' ' (outside double quotes
// when quoted is true, as in field values).
func lpToken(b []byte, quoted bool) (tok, rest []byte) {
	inQ := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			i++
		case quoted && c == '"':
			inQ = !inQ
		case !inQ && (c == ',' || c == ' '):
			return b[:i], b[i:]
		}
	}
	return b, nil
}

// lpSplitKV splits key=value at the first unescaped '='.
func lpSplitKV(b []byte) (k, v []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '=':
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// unescape removes line-protocol escapes from b, using d.esc when b has any.
func (d *Decoder) unescape(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	d.esc = d.esc[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			switch b[i+1] {
			case ',', ' ', '=', '\\', '"':
				i++
			}
		}
		d.esc = append(d.esc, b[i])
	}
	return d.esc
}

// lpNumber parses a numeric field value: a float, or an integer with the
// suffix 'i' or 'u'. Out-of-range floats become ±Inf (reported later as
// ENONFINITE).
func lpNumber(v []byte) (float64, bool) {
	switch v[len(v)-1] {
	case 'i':
		n, err := strconv.ParseInt(string(v[:len(v)-1]), 10, 64)
		return float64(n), err == nil
	case 'u':
		n, err := strconv.ParseUint(string(v[:len(v)-1]), 10, 64)
		return float64(n), err == nil
	}
	if v[0] == '"' || v[0] == 't' || v[0] == 'T' || v[0] == 'f' || v[0] == 'F' {
		return 0, false // strings and booleans
	}
	return parseFloat(v)
}

// lpUint parses an integer field value (suffix 'i' or 'u') that is ≥ 0.
func lpUint(v []byte) (uint64, bool) {
	if c := v[len(v)-1]; c != 'i' && c != 'u' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(v[:len(v)-1]), 10, 64)
	return n, err == nil
}

// abbrevBytes returns b as a string cut to 40 bytes, for error messages.
func abbrevBytes(b []byte) string {
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}
