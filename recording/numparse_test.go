package recording

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// checkDecimal fails unless parseDecimal, where it takes s, gives bit for
// bit what strconv.ParseFloat gives, and parseField always does (its
// fallback being strconv). It returns whether the fast path took s.
func checkDecimal(t *testing.T, s string) bool {
	t.Helper()
	want, werr := strconv.ParseFloat(strings.TrimSpace(s), 64)
	got, ok := parseDecimal([]byte(s))
	if ok && (werr != nil || math.Float64bits(got) != math.Float64bits(want)) {
		t.Fatalf("parseDecimal(%q) = %v (%#x), strconv %v (%#x) %v", s, got, math.Float64bits(got), want, math.Float64bits(want), werr)
	}
	fv, ferr := parseField([]byte(s), 1, "x")
	if werr == nil && !math.IsNaN(want) && !math.IsInf(want, 0) {
		if ferr != nil || math.Float64bits(fv) != math.Float64bits(want) {
			t.Fatalf("parseField(%q) = %v, %v; strconv %v", s, fv, ferr, want)
		}
	} else if ferr == nil {
		t.Fatalf("parseField(%q) = %v, want an error (strconv %v, %v)", s, fv, want, werr)
	}
	return ok
}

// TestParseDecimalEdges: syntax strconv accepts or rejects, signs, zeros,
// leading zeros, 19 and 20 digits, the 2^53 and 10^22 limits of Clinger's
// fast path and halfway cases.
func TestParseDecimalEdges(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "+0", "0.0", "-0.000", "00012.5000", ".5", "5.", "-.5", "+1", "1e5", "1E-5", "1e+22", "1e23",
		"1e-22", "1e-23", "9007199254740991", "9007199254740992", "9007199254740993", "0.1", "0.2", "0.3",
		"1234567890123456789", "12345678901234567890", "0.12345678901234567890", "0.000000000000000000001234",
		"2.2250738585072011e-308", "4.9e-324", "1.7976931348623157e308", "1e309", "-1e-400",
		"9.81", "-9.80665", " 1.5 ", "\t2\t", "1,5", "1.5.2", "--1", "-", "+", ".", "e5", "1e", "1e+", "0x1p-2",
		"1_000", "NaN", "inf", "-Inf", "", "  ", "1\u00a0", "\u00851", "0.1e1", "100e-2", "1.00000000000000011102230246251565404236316680908203125",
		"0.30000000000000004", "0.8414709848078965", "-0.0012300000000000002", "10.810000000000002",
	} {
		checkDecimal(t, s)
	}
}

// TestParseDecimalRandom compares parseDecimal with strconv.ParseFloat on
// a million random decimals: the shortest, fixed and exponent forms of
// random float64 values of the magnitudes recordings carry (10^-12 to
// 10^12), and random digit strings of 1 to 20 digits with a decimal point
// anywhere, leading zeros and exponents.
func TestParseDecimalRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	fast := 0
	const n = 1_000_000
	buf := make([]byte, 0, 64)
	for i := 0; i < n; i++ {
		var s string
		switch i % 4 {
		case 0, 1:
			v := math.Pow(10, r.Float64()*24-12) * (r.Float64()*2 - 1)
			s = strconv.FormatFloat(v, "gfe"[r.IntN(3)], r.IntN(20)-1, 64)
		default:
			buf = buf[:0]
			if r.IntN(2) == 0 {
				buf = append(buf, '-')
			}
			nd := 1 + r.IntN(20)
			dot := r.IntN(nd + 1)
			for k := 0; k < nd; k++ {
				if k == dot {
					buf = append(buf, '.')
				}
				if k < 3 && r.IntN(3) == 0 {
					buf = append(buf, '0')
				} else {
					buf = append(buf, byte('0'+r.IntN(10)))
				}
			}
			if r.IntN(4) == 0 {
				buf = strconv.AppendInt(append(buf, 'e'), int64(r.IntN(80)-40), 10)
			}
			s = string(buf)
		}
		if checkDecimal(t, s) {
			fast++
		}
	}
	t.Logf("%d of %d random decimals taken by the fast paths", fast, n)
	if fast < n/2 {
		t.Errorf("the fast paths took %d of %d inputs, want most", fast, n)
	}
}

// TestParseDecimalFiles compares parseDecimal with strconv.ParseFloat on
// every field of the repository's test recordings and of the shared IPOL
// and mobgap recordings present.
func TestParseDecimalFiles(t *testing.T) {
	files := []string{"../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv", "../analysis/testdata/gaitpy/demo_data.csv"}
	files = append(files, sharedData(t, "ipol-gait-dev/1-1_lb.txt"))
	fields := 0
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(b, []byte("\n")) {
			for _, f := range bytes.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '\t' || r == '\r' }) {
				checkDecimal(t, string(f))
				fields++
			}
		}
	}
	t.Logf("%d fields of %s", fields, strings.Join(files, ", "))
}

// TestParseInt32 compares parseInt32 with strconv.ParseInt(s, 10, 32) on
// edge cases and on every field of a SisFall recording.
func TestParseInt32(t *testing.T) {
	cases := []string{"0", "-0", "+7", " -257", "  63 ", "2147483647", "2147483648", "-2147483648", "-2147483649",
		"99999999999", "1.0", "", "-", "+", "1 2", "0x10", "1_0", "\u00a01"}
	b, err := os.ReadFile(filepath.Join(sharedData(t, "sisfall-dev"), "raw", "F01_SA01_R01.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		cases = append(cases, strings.Split(strings.TrimSuffix(strings.TrimSpace(line), ";"), ",")...)
	}
	for _, s := range cases {
		want, werr := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
		got, ok := parseInt32([]byte(s))
		if ok && (werr != nil || got != want) {
			t.Fatalf("parseInt32(%q) = %d, strconv %d %v", s, got, want, werr)
		}
		if !ok && werr == nil && strings.TrimSpace(s) == s && s != "" && s[0] != '+' {
			t.Errorf("parseInt32(%q) not taken, strconv reads %d", s, want)
		}
	}
}
