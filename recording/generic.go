package recording

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// Canonical column names of the generic CSV format.
var genericColumns = [7]string{"time_s", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"}

// GenericOptions map a CSV that is not in the canonical generic layout.
// Zero values mean "as the file says, else the defaults of the format".
type GenericOptions struct {
	// Columns maps canonical names (time_s, acc_x, acc_y, acc_z, gyr_x,
	// gyr_y, gyr_z) to the file's header names, or to "#N" for the N-th
	// column (1-based). A canonical name mapped to "-" is absent.
	Columns map[string]string
	// AccUnit is "m/s2" or "g"; GyroUnit "rad/s" or "deg/s"; TimeUnit "s",
	// "ms", "us" or "ns". They override the file's comment lines.
	AccUnit, GyroUnit, TimeUnit string
	// RateHz overrides the file's rate_hz and the rate derived from times.
	RateHz float64
}

// ParseColumns parses a mapping "acc_x=ax,acc_y=ay,..." (canonical=file
// column, the file column a header name or "#N") into GenericOptions.Columns.
func ParseColumns(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return nil, balance.Errorf(balance.EINVALID, "column mapping %q: want canonical=column", kv)
		}
		if !isCanonical(k) {
			return nil, balance.Errorf(balance.EINVALID, "column mapping %q: %q is not one of %s", kv, k, strings.Join(genericColumns[:], ", "))
		}
		m[k] = v
	}
	return m, nil
}

func isCanonical(k string) bool {
	for _, c := range genericColumns {
		if c == k {
			return true
		}
	}
	return false
}

// accScale returns the factor to m/s² for an acceleration unit name.
func accScale(u string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "", "m/s2", "m/s^2", "m/s²", "ms2", "mps2":
		return 1, nil
	case "g":
		return balance.StandardGravity, nil
	}
	return 0, balance.Errorf(balance.EUNITS, "unknown acceleration unit %q (want m/s2 or g)", u)
}

// gyroScale returns the factor to rad/s for an angular-rate unit name.
func gyroScale(u string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "", "rad/s", "rads":
		return 1, nil
	case "deg/s", "dps", "°/s":
		return 0.017453292519943295, nil // π/180
	}
	return 0, balance.Errorf(balance.EUNITS, "unknown angular-rate unit %q (want rad/s or deg/s)", u)
}

// timeScale returns the factor to seconds for a time unit name.
func timeScale(u string) (float64, error) {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "", "s":
		return 1, nil
	case "ms":
		return 1e-3, nil
	case "us", "µs":
		return 1e-6, nil
	case "ns":
		return 1e-9, nil
	}
	return 0, balance.Errorf(balance.EUNITS, "unknown time unit %q (want s, ms, us or ns)", u)
}

// maxPreamble bounds the free-text lines ("Acquisition frequency: 100 Hz")
// accepted before the header.
const maxPreamble = 20

// ReadGeneric reads the generic CSV format described in the package comment,
// with the mapping of opts. Fields are split by encoding/csv (RFC 4180
// quoting) with the delimiter (comma, tab or semicolon) most frequent in the
// header line; lines are read one at a time, so only the samples are held.
func ReadGeneric(r io.Reader, opts GenericOptions) (Recording, error) {
	br := bufio.NewReaderSize(&lineLimitReader{r: r}, 64<<10)
	meta := map[string]string{}
	line := 0 // lines read before the csv.Reader takes over
	var first string
	for preamble := 0; ; {
		s, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return Recording{}, readErr(err, line+1)
		}
		if s == "" && err == io.EOF {
			return Recording{}, balance.Errorf(balance.ECOUNT, "generic CSV has no header and no samples")
		}
		line++
		if line == 1 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		t := strings.TrimSpace(s)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "#"):
			addMeta(meta, t[1:])
			continue
		case preamble < maxPreamble && isFreeText(t):
			// A free-text line before the header, as in Xsens exports.
			addMeta(meta, t)
			preamble++
			continue
		}
		first = t
		break
	}
	comma := detectComma(first)
	header, err := splitLine(first, comma)
	if err != nil {
		return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d: %v", line, err)
	}
	idx, units, err := genericIndex(header, opts.Columns, line)
	if err != nil {
		return Recording{}, err
	}
	g := genericRows{idx: idx}
	if allNumeric(header) {
		if err := g.add(header, func(int) int { return line }); err != nil {
			return Recording{}, err
		}
	}
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d: %v", line+pe.Line, pe.Err)
			}
			l, _ := cr.FieldPos(0)
			return Recording{}, readErr(err, line+l)
		}
		if f := strings.TrimSpace(rec[0]); strings.HasPrefix(f, "#") {
			addMeta(meta, strings.Join(rec, string(comma))[strings.IndexByte(rec[0], '#')+1:])
			continue
		} else if len(rec) == 1 && f == "" {
			continue // a line of blanks
		}
		if err := g.add(rec, func(j int) int { l, _ := cr.FieldPos(j); return line + l }); err != nil {
			return Recording{}, err
		}
	}
	return buildGeneric(meta, idx, units, g.times, g.rows, opts)
}

// genericRows collects the raw values of the data lines.
type genericRows struct {
	idx   [7]int
	times []float64
	rows  []balance.Sample // raw values; units and times applied in buildGeneric
}

// add parses one data line's fields; lineOf gives the line of field j.
func (g *genericRows) add(fields []string, lineOf func(j int) int) error {
	var row balance.Sample
	var ts float64
	for c, j := range g.idx {
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
			ts = v
		case c <= 3:
			row.Acc[c-1] = v
		default:
			row.Gyro[c-4] = v
		}
	}
	if g.idx[0] >= 0 {
		g.times = append(g.times, ts)
	}
	g.rows = append(g.rows, row)
	return nil
}

// addMeta stores a "key: value" line (without its "#") in meta.
func addMeta(meta map[string]string, s string) {
	if k, v, ok := strings.Cut(strings.TrimSpace(s), ":"); ok {
		meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
}

// isFreeText reports whether a line before the header is a "key: value"
// statement rather than a header or data: it has a colon and none of the
// delimiters (comma, semicolon, tab).
func isFreeText(t string) bool {
	return strings.IndexByte(t, ':') > 0 && !strings.ContainsAny(t, ",;\t")
}

// detectComma returns the delimiter of a header or data line: the most
// frequent of tab, semicolon and comma outside double quotes (comma on a
// tie or when there is none).
func detectComma(s string) rune {
	var n [3]int
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				n[0]++
			}
		case '\t':
			if !quoted {
				n[1]++
			}
		case ';':
			if !quoted {
				n[2]++
			}
		}
	}
	switch {
	case n[1] > n[0] && n[1] >= n[2]:
		return '\t'
	case n[2] > n[0] && n[2] > n[1]:
		return ';'
	}
	return ','
}

// splitLine splits one header line with encoding/csv.
func splitLine(s string, comma rune) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(s))
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	return rec, nil
}

// readErr turns a read error at line into a recording error.
func readErr(err error, line int) error {
	if errors.Is(err, errLineTooLong) {
		return balance.Errorf(balance.EMALFORMED, "line %d is longer than %d bytes", line, maxLine)
	}
	return fmt.Errorf("recording: read: %w", err)
}

// genericIndex finds the field index of each canonical column, and the
// unit each header name gives in a "(unit)" or "[unit]" suffix ("acc_x (g)").
// A time column named PacketCounter (Xsens) has the unit "packets".
func genericIndex(header []string, cols map[string]string, line int) ([7]int, [7]string, error) {
	idx := [7]int{-1, -1, -1, -1, -1, -1, -1}
	var units [7]string
	pos := map[string]int{}
	hunit := make([]string, len(header))
	for i, h := range header {
		name, unit := splitUnit(h)
		hunit[i] = unit
		if _, dup := pos[name]; !dup {
			pos[name] = i
		}
		if _, dup := pos[strings.ToLower(strings.TrimSpace(h))]; !dup {
			pos[strings.ToLower(strings.TrimSpace(h))] = i
		}
	}
	for c, name := range genericColumns {
		want := name
		if m, ok := cols[name]; ok {
			want = m
		}
		if want == "-" {
			continue
		}
		if strings.HasPrefix(want, "#") {
			n, err := strconv.Atoi(want[1:])
			if err != nil || n < 1 || n > 1000 {
				return idx, units, balance.Errorf(balance.EINVALID, "column %s: %q is not a column number #1..#1000", name, want)
			}
			idx[c] = n - 1
			continue
		}
		if i, ok := pos[strings.ToLower(strings.TrimSpace(want))]; ok {
			idx[c] = i
		} else if name == "time_s" && want == name {
			// also accept the common alternatives
			for _, alt := range []string{"time", "t", "timestamp", "packetcounter"} {
				if i, ok := pos[alt]; ok {
					idx[c] = i
					if alt == "packetcounter" {
						units[c] = "packets"
					}
					break
				}
			}
		}
		if i := idx[c]; i >= 0 && i < len(hunit) && hunit[i] != "" {
			units[c] = hunit[i]
		}
	}
	for c := 1; c <= 3; c++ {
		if idx[c] < 0 {
			return idx, units, balance.Errorf(balance.EMALFORMED, "line %d: header %q lacks column %s (map it with --columns %s=NAME)", line, truncate(strings.Join(header, ","), 80), genericColumns[c], genericColumns[c])
		}
	}
	ng := 0
	for c := 4; c <= 6; c++ {
		if idx[c] >= 0 {
			ng++
		}
	}
	if ng != 0 && ng != 3 {
		return idx, units, balance.Errorf(balance.EMALFORMED, "line %d: header has %d of the 3 gyroscope columns", line, ng)
	}
	for _, g := range [2][3]int{{1, 2, 3}, {4, 5, 6}} {
		if units[g[0]] != units[g[1]] || units[g[0]] != units[g[2]] {
			return idx, units, balance.Errorf(balance.EUNITS, "line %d: header gives different units %q, %q, %q to %s, %s, %s", line,
				units[g[0]], units[g[1]], units[g[2]], genericColumns[g[0]], genericColumns[g[1]], genericColumns[g[2]])
		}
	}
	return idx, units, nil
}

// splitUnit splits a header name "acc_x (g)" or "acc_x [g]" into the
// lower-case name "acc_x" and the unit "g".
func splitUnit(h string) (name, unit string) {
	h = strings.TrimSpace(h)
	for _, p := range [2]string{"()", "[]"} {
		if strings.HasSuffix(h, p[1:]) {
			if i := strings.LastIndexByte(h, p[0]); i > 0 {
				return strings.ToLower(strings.TrimSpace(h[:i])), strings.TrimSpace(h[i+1 : len(h)-1])
			}
		}
	}
	return strings.ToLower(h), ""
}

func allNumeric(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return true
}

// counterWrap is the period of a 16-bit packet counter (Xsens
// PacketCounter counts 0..65535 and starts again at 0).
const counterWrap = 1 << 16

// buildGeneric applies units, times and rate to the parsed rows in place.
// Units come from opts, else the comment lines, else the header names.
func buildGeneric(meta map[string]string, idx [7]int, units [7]string, times []float64, rows []balance.Sample, opts GenericOptions) (Recording, error) {
	pick := func(opt, key, header string) string {
		if opt != "" {
			return opt
		}
		if v := meta[key]; v != "" {
			return v
		}
		return header
	}
	as, err := accScale(pick(opts.AccUnit, "acc_unit", units[1]))
	if err != nil {
		return Recording{}, err
	}
	gs, err := gyroScale(pick(opts.GyroUnit, "gyro_unit", units[4]))
	if err != nil {
		return Recording{}, err
	}
	tu := pick(opts.TimeUnit, "time_unit", units[0])
	packets := isPackets(tu)
	var tsc float64
	if !packets {
		if tsc, err = timeScale(tu); err != nil {
			return Recording{}, err
		}
	}
	if len(rows) == 0 {
		return Recording{}, balance.Errorf(balance.ECOUNT, "recording has no samples")
	}
	var start int64
	if s := meta["start_unix_ns"]; s != "" {
		if start, err = strconv.ParseInt(s, 10, 64); err != nil {
			return Recording{}, balance.Errorf(balance.EMALFORMED, "start_unix_ns %q is not an integer", truncate(s, 30))
		}
	}
	rate := opts.RateHz
	if rate == 0 {
		if rate, err = metaRate(meta); err != nil {
			return Recording{}, err
		}
	}
	if packets {
		// A packet counter counts samples: time = counter / rate.
		if rate == 0 {
			return Recording{}, balance.Errorf(balance.ERATE, "a packet counter needs the rate: give rate_hz")
		}
		if err := checkRate(rate); err != nil {
			return Recording{}, err
		}
		unwrapCounter(times)
		tsc = 1 / rate
	}
	for i := range times {
		times[i] *= tsc
	}
	switch {
	case rate != 0:
		if err := checkRate(rate); err != nil {
			return Recording{}, err
		}
		if len(times) > 1 {
			if _, err := rateFromTimes(times); err != nil {
				return Recording{}, err
			}
		}
	case len(times) > 1:
		if rate, err = rateFromTimes(times); err != nil {
			return Recording{}, err
		}
	default:
		return Recording{}, balance.Errorf(balance.ERATE, "no time column and no rate_hz: give the rate")
	}
	rec := Recording{RateHz: rate, Source: FormatGeneric, HasGyro: idx[4] >= 0, Meta: meta}
	rec.Samples = rows
	for i := range rows {
		s := &rows[i]
		if len(times) > 0 {
			s.TimeNS = start + secondsToNS(times[i])
		} else {
			s.TimeNS = start + secondsToNS(float64(i)/rate)
		}
		for k := 0; k < 3; k++ {
			s.Acc[k] *= as
			s.Gyro[k] *= gs
		}
	}
	delete(meta, "acc_unit")
	delete(meta, "gyro_unit")
	delete(meta, "time_unit")
	if err := checkSamples(&rec); err != nil {
		return Recording{}, fmt.Errorf("recording: %w", err)
	}
	return rec, nil
}

// isPackets reports whether a time unit names a sample counter.
func isPackets(u string) bool {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "packets", "packet", "samples", "counter":
		return true
	}
	return false
}

// unwrapCounter adds counterWrap at each step where a packet counter falls
// by more than half its period (a wrap from 65535 to 0 with up to 32767
// packets lost), so that it keeps increasing. Smaller falls are left for
// rateFromTimes to reject.
func unwrapCounter(c []float64) {
	var off float64
	prev := math.Inf(-1)
	for i, v := range c {
		if prev-v > counterWrap/2 {
			off += counterWrap
		}
		prev = v
		c[i] = v + off
	}
}

// rateKeys are the phrases that name the sample rate in a free-text or
// comment line (Xsens: "Acquisition frequency: 100 Hz").
var rateKeys = []string{"acquisition frequency", "sampling frequency", "sample frequency", "sampling rate", "sample rate", "measurement frequency", "output data rate"}

// metaRate returns the rate the comment or free-text lines give: rate_hz,
// else a key holding one of rateKeys, its value in Hz with or without the
// unit ("100 Hz"); 0 when none does.
func metaRate(meta map[string]string) (float64, error) {
	v, key := meta["rate_hz"], "rate_hz"
	if v == "" {
		for k, val := range meta {
			lk := strings.ToLower(k)
			for _, rk := range rateKeys {
				if strings.Contains(lk, rk) && (key == "rate_hz" || k < key) { // the first key in order when several
					v, key = val, k
				}
			}
		}
		v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(v), "Hz"), "hz"))
	}
	if v == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, balance.Errorf(balance.ERATE, "%s %q is not a number", truncate(key, 30), truncate(v, 30))
	}
	return r, nil
}
