package recording

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Exact fast paths for the decimal numbers of recording files, parsed from
// the line bytes without a string.
//
// scanDecimal reads a mantissa m of up to 19 significant digits (8 at a time
// by eightDigits) and a power of ten e, then takes Clinger's fast path
// (W. D. Clinger 1990, "How to read floating point numbers accurately",
// Proc. ACM PLDI '90, 92-101), the first step of strconv.ParseFloat too
// (atof64exact): when m < 2^53 and |e| ≤ 22, m and 10^|e| are exact in
// float64, so one IEEE multiplication or division, correctly rounded, gives
// the correctly rounded value. Otherwise it runs eiselLemire, strconv's
// second step, which gives the correctly rounded value or gives up. Both are
// therefore bit for bit what strconv.ParseFloat returns (TestParseDecimal*
// compare them on a million random decimals and on the recordings).
// Anything else (more than 19 significant digits, NaN, Inf, hexadecimal,
// underscores, non-ASCII space, syntax errors, the rare inputs
// Eisel-Lemire gives up on) reports ok = false and the caller parses the
// field with strconv, so results and error messages are strconv's.
//
// github.com/valyala/fastjson/fastfloat was not used: its Parse rounds twice
// (float64 of a mantissa above 2^53 before the division, and a
// multiplication by math.Pow10 for exponents), so it is not bit-identical
// to strconv, and it rejects "+1", which strconv accepts.

// pow10 holds the powers of ten exact in float64.
var pow10 = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// isSpace reports the ASCII bytes strings.TrimSpace removes.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// trimSpace removes leading and trailing ASCII space from b.
func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// parseDecimal parses b (surrounding ASCII space allowed) as
// [+-]digits[.digits][(e|E)[+-]digits] when the result is exact by
// Clinger's fast path; ok is false otherwise (see the file comment).
func parseDecimal(b []byte) (v float64, ok bool) {
	b = trimSpace(b)
	v, n, ok := scanDecimal(b, 0)
	return v, ok && n == len(b)
}

// scanDecimal parses the number at the start of b, between spaces, up to
// the delimiter delim or the end of b, by Clinger's fast path: n is the
// length up to the delimiter. ok is false when the field is not such a
// number or needs more than the fast path (more than 19 digits, a mantissa
// of 2^53 or more, a power of ten beyond 10^±22).
func scanDecimal(b []byte, delim byte) (v float64, n int, ok bool) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	// Leading zeros are skipped, so that m holds up to 19 significant
	// digits; exp counts the fraction digits.
	var m uint64
	start := i
	for i < len(b) && b[i] == '0' {
		i++
	}
	sig := i
	for i < len(b) && b[i]-'0' <= 9 {
		m = m*10 + uint64(b[i]-'0')
		i++
	}
	nd, seen, exp := i-sig, i-start, 0
	if i < len(b) && b[i] == '.' {
		i++
		frac := i
		if nd == 0 {
			for i < len(b) && b[i] == '0' {
				i++
			}
		}
		sig := i
		for i+8 <= len(b) {
			v, ok := eightDigits(b[i:])
			if !ok {
				break
			}
			m = m*1e8 + v
			i += 8
		}
		for i < len(b) && b[i]-'0' <= 9 {
			m = m*10 + uint64(b[i]-'0')
			i++
		}
		exp = frac - i
		nd += i - sig
		seen += i - frac
	}
	if seen == 0 || nd > 19 {
		return 0, 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		es, e := i, 0
		for i < len(b) && b[i]-'0' <= 9 {
			if e < 10000 {
				e = e*10 + int(b[i]-'0')
			}
			i++
		}
		if i == es {
			return 0, 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i < len(b) && b[i] != delim {
		return 0, 0, false
	}
	if m < 1<<53 {
		f := float64(m)
		if neg {
			f = -f
		}
		switch {
		case m == 0 || exp == 0:
			return f, i, true
		case exp > 0 && exp <= 22:
			return f * pow10[exp], i, true
		case exp < 0 && exp >= -22:
			return f / pow10[-exp], i, true
		}
	}
	if f, ok := eiselLemire(m, exp, neg); ok {
		return f, i, true
	}
	return 0, 0, false
}

// eightDigits parses the 8 bytes at the start of b when they are all
// decimal digits, in a few operations on one 64-bit word (D. Lemire 2021,
// Software: Practice and Experience 51(8):1700-1727, section 7; simdjson's
// parse_eight_digits_unrolled).
func eightDigits(b []byte) (uint64, bool) {
	x := binary.LittleEndian.Uint64(b)
	if (x&0xF0F0F0F0F0F0F0F0)|(((x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) != 0x3333333333333333 {
		return 0, false
	}
	x -= 0x3030303030303030
	x = x*10 + x>>8
	x = ((x&0x000000FF000000FF)*(100+1000000<<32) + (x>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
	return x & 0xFFFFFFFF, true
}

// parseField parses a decimal field of line as parseNum does, with the
// same results and errors, without allocating for fields of up to 32
// bytes: parseDecimal, else strconv.ParseFloat over the bytes (the
// compiler converts a short non-escaping string on the stack).
func parseField(f []byte, line int, name string) (float64, error) {
	if v, ok := parseDecimal(f); ok {
		return v, nil
	}
	if v, err := strconv.ParseFloat(string(trimSpace(f)), 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
		return v, nil
	}
	return parseNum(string(f), line, name)
}

// parseInt32 parses b (surrounding ASCII space allowed) as a decimal
// integer [+-]digits within int32, as strconv.ParseInt(s, 10, 32) does;
// ok is false for anything else, which the caller gives to strconv.
func parseInt32(b []byte) (v int64, ok bool) {
	b = trimSpace(b)
	v, n, ok := scanInt32(b, 0)
	return v, ok && n == len(b)
}

// scanInt32 parses the integer [+-]digits within int32 at the start of b,
// between spaces, up to the delimiter delim or the end of b: n is the
// length up to the delimiter; ok is false for anything else.
func scanInt32(b []byte, delim byte) (v int64, n int, ok bool) {
	i := 0
	for i < len(b) && b[i] == ' ' {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	start := i
	for i < len(b) && b[i]-'0' <= 9 {
		v = v*10 + int64(b[i]-'0')
		i++
	}
	if i == start || i-start > 10 {
		return 0, 0, false
	}
	for i < len(b) && b[i] == ' ' {
		i++
	}
	if i < len(b) && b[i] != delim {
		return 0, 0, false
	}
	if neg {
		v = -v
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, 0, false
	}
	return v, i, true
}
