package recording

import (
	"encoding/csv"
	"errors"
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

// isPackets reports whether a time unit names a sample counter.
func isPackets(u string) bool {
	switch strings.ToLower(strings.TrimSpace(u)) {
	case "packets", "packet", "samples", "counter":
		return true
	}
	return false
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
