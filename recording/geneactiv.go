package recording

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// ReadGENEActiv reads a GENEActiv CSV export: about 100 header lines of
// "key,value" pairs (among them "Measurement Frequency,50.0 Hz" and
// "Time Zone,GMT -04"), then one line per sample:
//
//	2019-08-06 10:25:50:000,-0.4264,0.7279,0.5089,0,0,31.6
//
// (local time with milliseconds after a colon; x, y, z in g; lux; button;
// temperature). Accelerations are converted to m/s²; times to Unix
// nanoseconds using the time zone when given (UTC otherwise). There is no
// gyroscope. Header pairs go to Meta with lower-case keys.
func ReadGENEActiv(r io.Reader) (Recording, error) {
	lr := newLineReader(r)
	rec := Recording{Source: FormatGENEActiv, Meta: map[string]string{}}
	var times []float64
	var offset time.Duration
	var t0 int64
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		line = strings.TrimRight(strings.Trim(line, "\x00"), " ")
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		ns, isData := parseGENEActivTime(f[0])
		if !isData {
			if len(times) > 0 {
				return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d: %q is not a sample line", lr.line, truncate(line, 40))
			}
			if len(f) >= 2 {
				k := strings.ToLower(strings.TrimSpace(f[0]))
				v := strings.TrimSpace(strings.Trim(strings.Join(f[1:], ","), "\x00"))
				if k != "" && v != "" {
					if _, dup := rec.Meta[k]; !dup {
						rec.Meta[k] = v
					}
				}
			}
			continue
		}
		if len(f) < 4 {
			return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d: a GENEActiv sample line has at least 4 fields, got %d", lr.line, len(f))
		}
		var s balance.Sample
		for k := 0; k < 3; k++ {
			v, err := parseNum(f[1+k], lr.line, "xyz"[k:k+1])
			if err != nil {
				return Recording{}, err
			}
			s.Acc[k] = v * balance.StandardGravity
		}
		if len(times) == 0 {
			var err error
			if offset, err = geneactivZone(rec.Meta["time zone"]); err != nil {
				return Recording{}, err
			}
			t0 = ns
		}
		s.TimeNS = ns - int64(offset)
		times = append(times, float64(ns-t0)/1e9)
		rec.Samples = append(rec.Samples, s)
	}
	if err := lr.err(); err != nil {
		return Recording{}, err
	}
	if len(rec.Samples) == 0 {
		return Recording{}, balance.Errorf(balance.ECOUNT, "GENEActiv file has no sample lines")
	}
	if v := rec.Meta["measurement frequency"]; v != "" {
		hz, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "Hz")), 64)
		if err != nil {
			return Recording{}, balance.Errorf(balance.ERATE, "measurement frequency %q is not a number of Hz", truncate(v, 30))
		}
		if err := checkRate(hz); err != nil {
			return Recording{}, err
		}
		rec.RateHz = hz
		if len(times) > 1 {
			if _, err := rateFromTimes(times); err != nil {
				return Recording{}, err
			}
		}
	} else {
		hz, err := rateFromTimes(times)
		if err != nil {
			return Recording{}, err
		}
		rec.RateHz = hz
	}
	if err := checkSamples(&rec); err != nil {
		return Recording{}, err
	}
	return rec, nil
}

// parseGENEActivTime parses "2006-01-02 15:04:05:000" as if UTC, returning
// Unix nanoseconds.
func parseGENEActivTime(s string) (int64, bool) {
	if len(s) != 23 || s[4] != '-' || s[10] != ' ' || s[19] != ':' {
		return 0, false
	}
	t, err := time.Parse("2006-01-02 15:04:05", s[:19])
	if err != nil {
		return 0, false
	}
	ms, err := strconv.Atoi(s[20:])
	if err != nil || ms < 0 {
		return 0, false
	}
	return t.UnixNano() + int64(ms)*int64(time.Millisecond), true
}

// geneactivZone parses "GMT -04", "GMT +01:00" or "" into an offset east of UTC.
func geneactivZone(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "GMT"))
	if s == "" {
		return 0, nil
	}
	sign := time.Duration(1)
	switch s[0] {
	case '-':
		sign = -1
		s = s[1:]
	case '+':
		s = s[1:]
	}
	hh, mm, _ := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m := 0
	var err2 error
	if mm != "" {
		m, err2 = strconv.Atoi(mm)
	}
	if err1 != nil || err2 != nil || h > 14 || m > 59 || h < 0 || m < 0 {
		return 0, balance.Errorf(balance.EMALFORMED, "time zone %q is not like \"GMT -04\"", truncate(s, 20))
	}
	return sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute), nil
}
