package recording

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// ReadGeneric reads the generic CSV format described in the package comment,
// with the mapping of opts: the samples of openGeneric's Stream collected in
// one slice.
func ReadGeneric(r io.Reader, opts GenericOptions) (Recording, error) {
	s, err := openGeneric(newLines(r), opts)
	if err != nil {
		return Recording{}, err
	}
	return s.collect()
}

// counterWrap is the period of a 16-bit packet counter (Xsens
// PacketCounter counts 0..65535 and starts again at 0).
const counterWrap = 1 << 16

// genericSettings is how the values of a generic CSV become samples.
type genericSettings struct {
	as, gs  float64 // unit factors to m/s² and rad/s
	tsc     float64 // seconds per time unit (1/rate for a packet counter)
	packets bool    // the time column counts samples
	start   int64   // Unix ns of time 0
	rate    float64 // declared rate (options or meta); 0 when derived from times
}

// genericDec reads the samples of a generic CSV. Data lines without a
// double quote are split on the delimiter over the line bytes and their
// numbers parsed by parseDecimal; lines with quotes go through
// encoding/csv (RFC 4180), which may read on into the next lines.
type genericDec struct {
	l       *lines
	opts    GenericOptions
	idx     [7]int
	units   [7]string
	need    int  // fields a data line must be split into: max idx + 1
	comma   byte // the delimiter
	hasTime bool
	meta    map[string]string // every key, units included
	out     map[string]string // the Stream's Meta
	set     genericSettings
	rate    float64     // the rate in use
	opened  bool        // settings fixed: later comment lines may not change them
	fs      [][2]int    // field bounds of the line being split
	col     []int       // the canonical column of each of the first need fields, or -1
	fused   bool        // no field is two columns: fused may be used
	lastCSV *csv.Reader // the reader of the last quoted line

	pend  []balance.Sample // samples read ahead by Open, raw values
	pendT []float64        // their times in seconds
	pos   int              // next of pend to return

	off, prevRaw float64 // packet counter unwrapping
	counted      bool    // prevRaw is set
	tc           timeCheck
	n            int // samples returned
}

// openGeneric reads the header of a generic CSV and the first rateWindow
// samples (see rateWindow), and returns a Stream of its samples.
func openGeneric(l *lines, opts GenericOptions) (*Stream, error) {
	d := &genericDec{l: l, opts: opts, meta: map[string]string{}}
	var first string
	for preamble := 0; ; {
		b, ok := l.next()
		if !ok {
			if l.err != nil {
				return nil, l.err
			}
			return nil, balance.Errorf(balance.ECOUNT, "generic CSV has no header and no samples")
		}
		s := string(b)
		if l.line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		t := strings.TrimSpace(s)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "#"):
			addMeta(d.meta, t[1:])
			continue
		case preamble < maxPreamble && isFreeText(t):
			// A free-text line before the header, as in Xsens exports.
			addMeta(d.meta, t)
			preamble++
			continue
		}
		first = t
		break
	}
	line := l.line
	d.comma = byte(detectComma(first))
	header, err := splitLine(first, rune(d.comma))
	if err != nil {
		return nil, balance.Errorf(balance.EMALFORMED, "line %d: %v", line, err)
	}
	if d.idx, d.units, err = genericIndex(header, opts.Columns, line); err != nil {
		return nil, err
	}
	for _, j := range d.idx {
		d.need = max(d.need, j+1)
	}
	d.fs = make([][2]int, d.need)
	d.col = make([]int, d.need)
	for j := range d.col {
		d.col[j] = -1
	}
	d.fused = true
	for c, j := range d.idx {
		if j >= 0 {
			if d.col[j] >= 0 {
				d.fused = false // one field for two columns
			}
			d.col[j] = c
		}
	}
	d.hasTime = d.idx[0] >= 0
	d.pend = make([]balance.Sample, 0, rateWindow)
	d.pendT = make([]float64, 0, rateWindow)
	if allNumeric(header) {
		var t float64
		var s balance.Sample
		if err := d.fromStrings(header, func(int) int { return line }, &t, &s); err != nil {
			return nil, err
		}
		d.pend, d.pendT = append(d.pend, s), append(d.pendT, t)
	}
	for len(d.pend) < rateWindow {
		var t float64
		var s balance.Sample
		ok, err := d.nextRaw(&t, &s)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		d.pend, d.pendT = append(d.pend, s), append(d.pendT, t)
	}
	if d.set, err = d.settings(d.meta, len(d.pend)); err != nil {
		return nil, err
	}
	if d.rate, err = d.windowRate(); err != nil {
		return nil, err
	}
	d.opened = true
	d.out = maps.Clone(d.meta)
	delete(d.out, "acc_unit")
	delete(d.out, "gyro_unit")
	delete(d.out, "time_unit")
	return &Stream{Header: Header{RateHz: d.rate, Source: FormatGeneric, HasGyro: d.idx[4] >= 0, Meta: d.out}, dec: d}, nil
}

// settings gives units, start and declared rate from opts, else meta,
// else the header's units. count is the number of samples read (0 is an
// error after the units are checked).
func (d *genericDec) settings(meta map[string]string, count int) (genericSettings, error) {
	pick := func(opt, key, header string) string {
		if opt != "" {
			return opt
		}
		if v := meta[key]; v != "" {
			return v
		}
		return header
	}
	var set genericSettings
	var err error
	if set.as, err = accScale(pick(d.opts.AccUnit, "acc_unit", d.units[1])); err != nil {
		return set, err
	}
	if set.gs, err = gyroScale(pick(d.opts.GyroUnit, "gyro_unit", d.units[4])); err != nil {
		return set, err
	}
	tu := pick(d.opts.TimeUnit, "time_unit", d.units[0])
	set.packets = isPackets(tu)
	if !set.packets {
		if set.tsc, err = timeScale(tu); err != nil {
			return set, err
		}
	}
	if count == 0 {
		return set, balance.Errorf(balance.ECOUNT, "recording has no samples")
	}
	if s := meta["start_unix_ns"]; s != "" {
		if set.start, err = strconv.ParseInt(s, 10, 64); err != nil {
			return set, balance.Errorf(balance.EMALFORMED, "start_unix_ns %q is not an integer", truncate(s, 30))
		}
	}
	set.rate = d.opts.RateHz
	if set.rate == 0 {
		if set.rate, err = metaRate(meta); err != nil {
			return set, err
		}
	}
	if set.packets {
		// A packet counter counts samples: time = counter / rate.
		if set.rate == 0 {
			return set, balance.Errorf(balance.ERATE, "a packet counter needs the rate: give rate_hz")
		}
		if err := checkRate(set.rate); err != nil {
			return set, err
		}
		set.tsc = 1 / set.rate
	}
	return set, nil
}

// windowRate converts the read-ahead times to seconds and returns the rate:
// the declared one, checked against them, or their median interval.
func (d *genericDec) windowRate() (float64, error) {
	if d.hasTime {
		for i, t := range d.pendT {
			d.pendT[i] = d.unwrap(t) * d.set.tsc
		}
	} else {
		d.pendT = d.pendT[:0]
	}
	times := d.pendT
	switch {
	case d.set.rate != 0:
		if err := checkRate(d.set.rate); err != nil {
			return 0, err
		}
		if len(times) > 1 {
			if _, err := rateFromTimes(times); err != nil {
				return 0, err
			}
		}
		return d.set.rate, nil
	case len(times) > 1:
		return rateFromTimes(times)
	}
	return 0, balance.Errorf(balance.ERATE, "no time column and no rate_hz: give the rate")
}

// unwrap adds counterWrap at each step where a packet counter falls by
// more than half its period (a wrap from 65535 to 0 with up to 32767
// packets lost), so that it keeps increasing. Smaller falls are left for
// the time check to reject. Other times pass unchanged.
func (d *genericDec) unwrap(v float64) float64 {
	if !d.set.packets {
		return v
	}
	if d.counted && d.prevRaw-v > counterWrap/2 {
		d.off += counterWrap
	}
	d.prevRaw, d.counted = v, true
	return v + d.off
}

func (d *genericDec) read(p []balance.Sample) (int, error) {
	n := 0
	for n < len(p) {
		var t float64
		s := &p[n]
		if d.pos < len(d.pend) {
			*s = d.pend[d.pos]
			if d.hasTime {
				t = d.pendT[d.pos]
			}
			d.pos++
		} else {
			if d.pend != nil {
				d.pend, d.pendT, d.pos = nil, nil, 0
			}
			*s = balance.Sample{}
			ok, err := d.nextRaw(&t, s)
			if err != nil {
				return n, err
			}
			if !ok {
				return n, io.EOF
			}
			if d.hasTime {
				t = d.unwrap(t) * d.set.tsc
			}
		}
		if err := d.finish(t, s); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// finish turns the raw values of sample d.n, at t seconds when the file has
// times, into SI units and checks it.
func (d *genericDec) finish(t float64, s *balance.Sample) error {
	if d.hasTime {
		if err := d.tc.add(t); err != nil {
			return err
		}
		s.TimeNS = d.set.start + secondsToNS(t)
	} else {
		s.TimeNS = d.set.start + secondsToNS(float64(d.n)/d.rate)
	}
	for k := 0; k < 3; k++ {
		s.Acc[k] *= d.set.as
		s.Gyro[k] *= d.set.gs
	}
	if !plausible(s) {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("recording: sample %d: %w", d.n, err)
		}
	}
	d.n++
	return nil
}

// nextRaw reads the next data line into t (time in the file's unit) and the
// raw values of s, taking comment lines into the meta on the way; false at
// the end of the file.
func (d *genericDec) nextRaw(t *float64, s *balance.Sample) (bool, error) {
	for {
		b, ok := d.l.next()
		if !ok {
			return false, d.l.err
		}
		if bytes.IndexByte(b, '"') >= 0 {
			rec, start, err := d.splitQuoted(b)
			if err != nil {
				return false, err
			}
			if f := strings.TrimSpace(rec[0]); strings.HasPrefix(f, "#") {
				if err := d.comment(strings.Join(rec, string(rune(d.comma)))[strings.IndexByte(rec[0], '#')+1:], start); err != nil {
					return false, err
				}
				continue
			} else if len(rec) == 1 && f == "" {
				continue // a line of blanks
			}
			return true, d.fromStrings(rec, d.lineOf(start), t, s)
		}
		if len(b) == 0 {
			continue
		}
		if d.fused && !maybeComment(b) && d.scan(b, t, s) {
			return true, nil
		}
		nf, end := d.split(b)
		if f0 := bytes.TrimSpace(b[d.fs[0][0]:d.fs[0][1]]); len(f0) > 0 && f0[0] == '#' {
			if err := d.comment(string(b[bytes.IndexByte(b, '#')+1:]), d.l.line); err != nil {
				return false, err
			}
			continue
		} else if nf == 1 && end && len(f0) == 0 {
			continue // a line of blanks
		}
		return true, d.fromBytes(b, nf, t, s)
	}
}

// scan parses the fields of an unquoted data line in one pass, each number
// by scanDecimal up to its delimiter. It reports false, leaving the line to
// split and fromBytes, for anything else: a field that is not such a
// number, too few fields, a comment or a blank line.
func (d *genericDec) scan(b []byte, t *float64, s *balance.Sample) bool {
	pos := 0
	for _, c := range d.col {
		if pos > len(b) {
			return false
		}
		if c < 0 {
			i := bytes.IndexByte(b[pos:], d.comma)
			if i < 0 {
				pos = len(b) + 1
			} else {
				pos += i + 1
			}
			continue
		}
		v, n, ok := scanDecimal(b[pos:], d.comma)
		if !ok {
			// Not for the fast path: strconv on this field alone.
			if n = bytes.IndexByte(b[pos:], d.comma); n < 0 {
				n = len(b) - pos
			}
			var err error
			if v, err = parseField(b[pos:pos+n], 0, ""); err != nil {
				return false // split and fromBytes say what is wrong
			}
		}
		switch {
		case c == 0:
			*t = v
		case c <= 3:
			s.Acc[c-1] = v
		default:
			s.Gyro[c-4] = v
		}
		pos += n + 1
	}
	return true
}

// maybeComment reports whether an unquoted line may be a comment: its first
// byte after ASCII blanks is "#", or a non-ASCII byte (which may be a
// Unicode space that strings.TrimSpace would remove before a "#").
func maybeComment(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return c == '#' || c >= 0x80
		}
	}
	return false
}

// split finds the first d.need fields of an unquoted line in d.fs; end
// reports whether the last of them ends the line.
func (d *genericDec) split(b []byte) (nf int, end bool) {
	pos := 0
	for nf < d.need {
		i := bytes.IndexByte(b[pos:], d.comma)
		if i < 0 {
			d.fs[nf] = [2]int{pos, len(b)}
			return nf + 1, true
		}
		d.fs[nf] = [2]int{pos, pos + i}
		nf++
		pos += i + 1
	}
	return nf, false
}

// fromBytes parses the fields of an unquoted data line split by split.
func (d *genericDec) fromBytes(b []byte, nf int, t *float64, s *balance.Sample) error {
	for c, j := range d.idx {
		if j < 0 {
			continue
		}
		if j >= nf {
			return balance.Errorf(balance.EMALFORMED, "line %d has %d fields, column %s is field %d", d.l.line, bytes.Count(b, []byte{d.comma})+1, genericColumns[c], j+1)
		}
		f := b[d.fs[j][0]:d.fs[j][1]]
		v, err := parseField(f, d.l.line, genericColumns[c])
		if err != nil {
			return err
		}
		switch {
		case c == 0:
			*t = v
		case c <= 3:
			s.Acc[c-1] = v
		default:
			s.Gyro[c-4] = v
		}
	}
	return nil
}

// fromStrings parses one data line's fields; lineOf gives the line of
// field j.
func (d *genericDec) fromStrings(fields []string, lineOf func(j int) int, t *float64, s *balance.Sample) error {
	for c, j := range d.idx {
		if j < 0 {
			continue
		}
		if j >= len(fields) {
			return balance.Errorf(balance.EMALFORMED, "line %d has %d fields, column %s is field %d", lineOf(0), len(fields), genericColumns[c], j+1)
		}
		v, err := parseNum(fields[j], lineOf(j), genericColumns[c])
		if err != nil {
			return err
		}
		switch {
		case c == 0:
			*t = v
		case c <= 3:
			s.Acc[c-1] = v
		default:
			s.Gyro[c-4] = v
		}
	}
	return nil
}

// splitQuoted splits a line holding double quotes with encoding/csv, which
// reads on into the following lines while a quoted field is open. It
// returns the fields and the file line b is.
func (d *genericDec) splitQuoted(b []byte) ([]string, int, error) {
	start := d.l.line
	cr := csv.NewReader(newCSVFeed(d.l, b))
	cr.Comma = rune(d.comma)
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		if d.l.err != nil {
			return nil, 0, d.l.err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, 0, balance.Errorf(balance.EMALFORMED, "line %d: %v", start-1+pe.Line, pe.Err)
		}
		return nil, 0, fmt.Errorf("recording: read: %w", err)
	}
	d.lastCSV = cr
	return rec, start, nil
}

// lineOf returns the file line of field j of the record splitQuoted last
// returned, which began at line start.
func (d *genericDec) lineOf(start int) func(j int) int {
	cr := d.lastCSV
	return func(j int) int { l, _ := cr.FieldPos(j); return start - 1 + l }
}

// comment takes a comment line's "key: value" (without its "#") at line
// into the meta. Once the settings are fixed by Open, a key that would
// change them (units, rate, start time) is an error: the samples before it
// have been read with the old ones.
func (d *genericDec) comment(s string, line int) error {
	if !d.opened {
		addMeta(d.meta, s)
		return nil
	}
	m := maps.Clone(d.meta)
	addMeta(m, s)
	set, err := d.settings(m, 1)
	if err != nil {
		return err
	}
	if set != d.set {
		return balance.Errorf(balance.EMALFORMED, "line %d: comment %q changes units, rate or start time after the first %d samples; put it before the samples", line, truncate(strings.TrimSpace(s), 40), rateWindow)
	}
	d.meta = m
	addMeta(d.out, s)
	delete(d.out, "acc_unit")
	delete(d.out, "gyro_unit")
	delete(d.out, "time_unit")
	return nil
}
