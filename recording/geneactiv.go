package recording

import (
	"bytes"
	"fmt"
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
//
// ReadGENEActiv collects the samples of openGENEActiv's Stream.
func ReadGENEActiv(r io.Reader) (Recording, error) {
	s, err := openGENEActiv(newLines(r))
	if err != nil {
		return Recording{}, err
	}
	return s.collect()
}

// geneactivDec reads the sample lines of a GENEActiv export.
type geneactivDec struct {
	l      *lines
	meta   map[string]string
	offset time.Duration // time zone, east of UTC
	t0     int64         // local Unix ns of the first sample
	tc     timeCheck
	n      int // samples returned

	pend []balance.Sample // samples read ahead by Open
	pos  int

	stamp   [19]byte // the date and time to the second last parsed
	stampNS int64    // its Unix ns
	stamped bool     // stamp is set
}

// openGENEActiv reads the header lines of a GENEActiv export (see
// ReadGENEActiv) and the first rateWindow samples: the rate is
// "Measurement Frequency", checked against their times, else their median
// interval.
func openGENEActiv(l *lines) (*Stream, error) {
	d := &geneactivDec{l: l, meta: map[string]string{}}
	var times []float64
	d.pend = make([]balance.Sample, 0, rateWindow)
	for len(d.pend) < rateWindow {
		var s balance.Sample
		ok, err := d.next(&s)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		d.pend = append(d.pend, s)
		times = append(times, float64(s.TimeNS+int64(d.offset)-d.t0)/1e9)
	}
	if len(d.pend) == 0 {
		return nil, balance.Errorf(balance.ECOUNT, "GENEActiv file has no sample lines")
	}
	var rate float64
	if v := d.meta["measurement frequency"]; v != "" {
		hz, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "Hz")), 64)
		if err != nil {
			return nil, balance.Errorf(balance.ERATE, "measurement frequency %q is not a number of Hz", truncate(v, 30))
		}
		if err := checkRate(hz); err != nil {
			return nil, err
		}
		rate = hz
		if len(times) > 1 {
			if _, err := rateFromTimes(times); err != nil {
				return nil, err
			}
		}
	} else {
		hz, err := rateFromTimes(times)
		if err != nil {
			return nil, err
		}
		rate = hz
	}
	for i, t := range times {
		if err := d.tc.add(t); err != nil {
			return nil, err
		}
		if err := d.pend[i].Validate(); err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
	}
	d.n = len(d.pend)
	return &Stream{Header: Header{RateHz: rate, Source: FormatGENEActiv, Meta: d.meta}, dec: d}, nil
}

func (d *geneactivDec) read(p []balance.Sample) (int, error) {
	n := 0
	for ; n < len(p) && d.pos < len(d.pend); n++ {
		p[n] = d.pend[d.pos]
		d.pos++
	}
	if d.pos == len(d.pend) {
		d.pend, d.pos = nil, 0
	}
	for n < len(p) {
		s := &p[n]
		*s = balance.Sample{}
		ok, err := d.next(s)
		if err != nil {
			return n, err
		}
		if !ok {
			return n, io.EOF
		}
		if err := d.tc.add(float64(s.TimeNS+int64(d.offset)-d.t0) / 1e9); err != nil {
			return n, err
		}
		if !plausible(s) {
			if err := s.Validate(); err != nil {
				return n, fmt.Errorf("sample %d: %w", d.n, err)
			}
		}
		d.n++
		n++
	}
	return n, nil
}

// next reads the next sample line into s (acc in m/s², time in Unix ns),
// taking header lines into the meta on the way; false at the end.
func (d *geneactivDec) next(s *balance.Sample) (bool, error) {
	for {
		b, ok := d.l.next()
		if !ok {
			return false, d.l.err
		}
		b = bytes.TrimRight(bytes.Trim(b, "\x00"), " ")
		if len(b) == 0 {
			continue
		}
		f0 := b
		if i := bytes.IndexByte(b, ','); i >= 0 {
			f0 = b[:i]
		}
		ns, isData := d.parseTime(f0)
		if !isData {
			if d.tc.n > 0 || len(d.pend) > 0 {
				return false, balance.Errorf(balance.EMALFORMED, "line %d: %q is not a sample line", d.l.line, truncate(string(b), 40))
			}
			f := strings.Split(string(b), ",")
			if len(f) >= 2 {
				k := strings.ToLower(strings.TrimSpace(f[0]))
				v := strings.TrimSpace(strings.Trim(strings.Join(f[1:], ","), "\x00"))
				if k != "" && v != "" {
					if _, dup := d.meta[k]; !dup {
						d.meta[k] = v
					}
				}
			}
			continue
		}
		rest := b[len(f0):]
		for k := 0; k < 3; k++ {
			if len(rest) == 0 {
				return false, balance.Errorf(balance.EMALFORMED, "line %d: a GENEActiv sample line has at least 4 fields, got %d", d.l.line, k+1)
			}
			rest = rest[1:] // the comma
			f := rest
			if i := bytes.IndexByte(rest, ','); i >= 0 {
				f, rest = rest[:i], rest[i:]
			} else {
				rest = nil
			}
			v, err := parseField(f, d.l.line, "xyz"[k:k+1])
			if err != nil {
				return false, err
			}
			s.Acc[k] = v * balance.StandardGravity
		}
		if d.tc.n == 0 && len(d.pend) == 0 {
			var err error
			if d.offset, err = geneactivZone(d.meta["time zone"]); err != nil {
				return false, err
			}
			d.t0 = ns
		}
		s.TimeNS = ns - int64(d.offset)
		return true, nil
	}
}

// parseTime parses the time stamp of a sample line with
// parseGENEActivTime, once per second of the recording.
func (d *geneactivDec) parseTime(f []byte) (int64, bool) {
	if len(f) != 23 || f[4] != '-' || f[10] != ' ' || f[19] != ':' {
		return 0, false
	}
	ms, ok := parseInt32(f[20:])
	if !ok || f[20] < '0' || f[20] > '9' {
		return parseGENEActivTime(string(f)) // signs and odd text as strconv.Atoi reads them
	}
	if d.stamped && bytes.Equal(f[:19], d.stamp[:]) {
		return d.stampNS + ms*int64(time.Millisecond), true
	}
	ns, ok := parseGENEActivTime(string(f))
	if ok {
		copy(d.stamp[:], f[:19])
		d.stampNS, d.stamped = ns-ms*int64(time.Millisecond), true
	}
	return ns, ok
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
