package wire

import (
	"math"
	"strconv"
	"testing"

	"github.com/balance-pt/balance"
)

// TestParseMillisNS: expected values are the decimal inputs multiplied by
// 10⁶ by hand (1 ms = 10⁶ ns), rounded to the nearest ns, ties away from 0.
func TestParseMillisNS(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		code string
	}{
		{"0", 0, ""},
		{"1764300000000", 1764300000000_000000, ""},
		{"1764300000000.5", 1764300000000_500000, ""},
		{"1764300000000.000001", 1764300000000_000001, ""},
		{"1764300000000.0000004", 1764300000000_000000, ""},
		{"1764300000000.0000005", 1764300000000_000001, ""},
		{"1764300000000.00000049999999999999", 1764300000000_000000, ""},
		{"1764300000000.123456789", 1764300000000_123457, ""},
		{"-1.5", -1_500_000, ""},
		{"-0.0000005", -1, ""},
		{"0.00000004", 0, ""},
		{"1.7643e12", 1764300000000_000000, ""},
		{"1.7643E+12", 1764300000000_000000, ""},
		{"17643000000000000e-4", 1764300000000_000000, ""},
		{"0001764300000000", 1764300000000_000000, ""},
		{"9223372036854.775807", math.MaxInt64, ""},
		{"-9223372036854.775807", -math.MaxInt64, ""},
		{"9223372036854.775808", 0, balance.ECLOCK},
		{"1e20", 0, balance.ECLOCK},
		{"1e-400", 0, ""},
		{"1e99999999", 0, balance.ECLOCK},
		{"", 0, balance.EMALFORMED},
		{"-", 0, balance.EMALFORMED},
		{"1.", 0, balance.EMALFORMED},
		{".5", 0, balance.EMALFORMED},
		{"1e", 0, balance.EMALFORMED},
		{"1-2", 0, balance.EMALFORMED},
		{"NaN", 0, balance.EMALFORMED},
		{"inf", 0, balance.EMALFORMED},
	}
	for _, tt := range tests {
		got, err := parseMillisNS([]byte(tt.in))
		if c := balance.ErrorCode(err); c != tt.code || got != tt.want {
			t.Errorf("parseMillisNS(%q) = %d, %q (%v); want %d, %q", tt.in, got, c, err, tt.want, tt.code)
		}
	}
}

// TestAppendMillisRoundTrip: appendMillis writes ns/10⁶ exactly, so
// parseMillisNS gives every int64 back.
func TestAppendMillisRoundTrip(t *testing.T) {
	for _, ns := range []int64{0, 1, -1, 999_999, 1_000_000, 1764300000000_123456, -1764300000000_000001, math.MaxInt64, math.MinInt64 + 1} {
		b := appendMillis(nil, ns)
		got, err := parseMillisNS(b)
		if err != nil || got != ns {
			t.Errorf("appendMillis(%d) = %s, parsed back %d, %v", ns, b, got, err)
		}
		// Independent check of the text: strconv's exact decimal of ns/1e6
		// for values where float64 holds ns exactly.
		if ns > -1<<53 && ns < 1<<53 {
			if f, _ := strconv.ParseFloat(string(b), 64); f*1e6 != float64(ns) && math.Abs(f*1e6-float64(ns)) > 1 {
				t.Errorf("appendMillis(%d) = %s", ns, b)
			}
		}
	}
}
