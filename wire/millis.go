package wire

import (
	"math"

	"github.com/balance-pt/balance"
)

// parseMillisNS converts the decimal text of a time in Unix milliseconds, as
// JSON writes it (optional '-', digits, optional fraction, optional exponent),
// exactly to Unix nanoseconds, rounding to the nearest nanosecond with ties
// away from zero. Going through float64 would lose up to ~0.1 µs at today's
// epoch (2⁵³ ns ≈ 104 days), so the digits are handled as integers.
//
// Errors: EMALFORMED for bad syntax, ECLOCK when the time does not fit in an
// int64 of nanoseconds (years 1678 to 2262).
func parseMillisNS(t []byte) (int64, error) {
	i := 0
	neg := false
	if i < len(t) && (t[i] == '-' || t[i] == '+') {
		neg = t[i] == '-'
		i++
	}
	// Significant digits (leading zeros dropped), at most 20 kept: 19 fill an
	// int64 and the 20th decides the rounding; later ones cannot change it
	// except at exact ties, which round away from zero anyway.
	var digits [20]byte
	nd := 0      // digits kept
	dropped := 0 // integer-part digits not kept (beyond 20)
	exp := 0     // decimal exponent applied to the kept digits
	sawDigit := false
	for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
		sawDigit = true
		switch {
		case nd == 0 && t[i] == '0':
		case nd < len(digits):
			digits[nd] = t[i]
			nd++
		default:
			dropped++
		}
	}
	exp += dropped
	if i < len(t) && t[i] == '.' {
		i++
		fracDigits := false
		for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
			fracDigits = true
			switch {
			case nd == 0 && t[i] == '0':
				exp--
			case nd < len(digits):
				digits[nd] = t[i]
				nd++
				exp--
			}
		}
		if !fracDigits {
			return 0, balance.Errorf(balance.EMALFORMED, "time %q has no digits after '.'", t)
		}
	}
	if !sawDigit {
		return 0, balance.Errorf(balance.EMALFORMED, "time %q is not a number", t)
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		eneg := false
		if i < len(t) && (t[i] == '-' || t[i] == '+') {
			eneg = t[i] == '-'
			i++
		}
		e, ok := 0, false
		for ; i < len(t) && t[i] >= '0' && t[i] <= '9'; i++ {
			ok = true
			if e < 10000 {
				e = e*10 + int(t[i]-'0')
			}
		}
		if !ok {
			return 0, balance.Errorf(balance.EMALFORMED, "time %q has no exponent digits", t)
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(t) {
		return 0, balance.Errorf(balance.EMALFORMED, "time %q is not a number", t)
	}
	// value in ns = digits × 10^(exp+6)
	shift := exp + 6
	keep := nd + shift // digits of the integer part in ns
	if nd == 0 || keep < 0 {
		return 0, nil // |value| < 0.1 ns (or zero)
	}
	if keep > 19 {
		return 0, balance.Errorf(balance.ECLOCK, "time %s ms is beyond the year 2262", t)
	}
	var u uint64
	for k := range keep {
		d := uint64(0)
		if k < nd {
			d = uint64(digits[k] - '0')
		}
		u = u*10 + d
	}
	if keep < nd && digits[keep] >= '5' {
		u++ // ties (5 followed by zeros) round away from zero
	}
	if u > math.MaxInt64 {
		return 0, balance.Errorf(balance.ECLOCK, "time %s ms is beyond the year 2262", t)
	}
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}
