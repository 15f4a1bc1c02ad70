package recording

import (
	"fmt"
	"io"
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

// ReadGeneric reads the generic CSV format described in the package comment,
// with the mapping of opts.
func ReadGeneric(r io.Reader, opts GenericOptions) (Recording, error) {
	lr := newLineReader(r)
	meta := map[string]string{}
	idx := [7]int{-1, -1, -1, -1, -1, -1, -1}
	var headerDone bool
	var times []float64
	var rows []balance.Sample // raw values; units and times applied in buildGeneric
	var fields []string
	for {
		line, ok := lr.view() // valid until the next line: meta values are cloned
		if !ok {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "#") {
			if k, v, ok := strings.Cut(strings.TrimSpace(t[1:]), ":"); ok {
				meta[strings.Clone(strings.TrimSpace(k))] = strings.Clone(strings.TrimSpace(v))
			}
			continue
		}
		fields = splitComma(fields[:0], t)
		if !headerDone {
			headerDone = true
			var err error
			if idx, err = genericIndex(fields, opts.Columns, lr.line); err != nil {
				return Recording{}, err
			}
			if !allNumeric(fields) {
				continue // a header line
			}
		}
		var row balance.Sample
		var ts float64
		for c, j := range idx {
			if j < 0 {
				continue
			}
			if j >= len(fields) {
				return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d has %d fields, column %s is field %d", lr.line, len(fields), genericColumns[c], j+1)
			}
			v, err := parseNum(fields[j], lr.line, genericColumns[c])
			if err != nil {
				return Recording{}, err
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
		if idx[0] >= 0 {
			times = append(times, ts)
		}
		rows = append(rows, row)
	}
	if err := lr.err(); err != nil {
		return Recording{}, err
	}
	if !headerDone {
		return Recording{}, balance.Errorf(balance.ECOUNT, "generic CSV has no header and no samples")
	}
	return buildGeneric(meta, idx, times, rows, opts)
}

// genericIndex finds the field index of each canonical column.
func genericIndex(header []string, cols map[string]string, line int) ([7]int, error) {
	idx := [7]int{-1, -1, -1, -1, -1, -1, -1}
	pos := map[string]int{}
	for i, h := range header {
		pos[strings.ToLower(strings.TrimSpace(h))] = i
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
				return idx, balance.Errorf(balance.EINVALID, "column %s: %q is not a column number #1..#1000", name, want)
			}
			idx[c] = n - 1
			continue
		}
		if i, ok := pos[strings.ToLower(want)]; ok {
			idx[c] = i
		} else if name == "time_s" && want == name {
			// also accept the common alternatives
			for _, alt := range []string{"time", "t", "timestamp"} {
				if i, ok := pos[alt]; ok {
					idx[c] = i
					break
				}
			}
		}
	}
	for c := 1; c <= 3; c++ {
		if idx[c] < 0 {
			return idx, balance.Errorf(balance.EMALFORMED, "line %d: header %q lacks column %s (map it with --columns %s=NAME)", line, truncate(strings.Join(header, ","), 80), genericColumns[c], genericColumns[c])
		}
	}
	ng := 0
	for c := 4; c <= 6; c++ {
		if idx[c] >= 0 {
			ng++
		}
	}
	if ng != 0 && ng != 3 {
		return idx, balance.Errorf(balance.EMALFORMED, "line %d: header has %d of the 3 gyroscope columns", line, ng)
	}
	return idx, nil
}

func allNumeric(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err != nil {
			return false
		}
	}
	return true
}

// buildGeneric applies units, times and rate to the parsed rows in place.
func buildGeneric(meta map[string]string, idx [7]int, times []float64, rows []balance.Sample, opts GenericOptions) (Recording, error) {
	pick := func(opt, key string) string {
		if opt != "" {
			return opt
		}
		return meta[key]
	}
	as, err := accScale(pick(opts.AccUnit, "acc_unit"))
	if err != nil {
		return Recording{}, err
	}
	gs, err := gyroScale(pick(opts.GyroUnit, "gyro_unit"))
	if err != nil {
		return Recording{}, err
	}
	tsc, err := timeScale(pick(opts.TimeUnit, "time_unit"))
	if err != nil {
		return Recording{}, err
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
	if rate == 0 && meta["rate_hz"] != "" {
		if rate, err = strconv.ParseFloat(meta["rate_hz"], 64); err != nil {
			return Recording{}, balance.Errorf(balance.ERATE, "rate_hz %q is not a number", truncate(meta["rate_hz"], 30))
		}
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

// splitComma appends the comma-separated fields of s to dst (reusing its
// storage, unlike strings.Split) and returns it.
func splitComma(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}
