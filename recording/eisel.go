// The algorithm below is transcribed from Go's internal/strconv/atofeisel.go:
// Copyright 2020 The Go Authors. All rights reserved. Use of that source
// code is governed by the BSD-style licence in the Go distribution's
// LICENSE file (https://go.dev/LICENSE).

package recording

import (
	"math"
	"math/big"
	"math/bits"
)

// eiselLemire returns man·10^exp10 correctly rounded to float64, or ok =
// false when it cannot tell (about 1 in 10^4 inputs near a halfway point)
// or exp10 is outside eiselMin..eiselMax. It is the Eisel-Lemire algorithm
// (D. Lemire 2021, "Number parsing at a gigabyte per second", Software:
// Practice and Experience 51(8):1700-1727; N. Tao 2020, "The Eisel-Lemire
// ParseNumberF64 Algorithm", nigeltao.github.io/blog/2020/eisel-lemire.html),
// transcribed from Go's internal/strconv/atofeisel.go (BSD-style licence,
// The Go Authors), which strconv.ParseFloat runs for every mantissa of up to
// 19 digits that Clinger's fast path does not take: when ok, the result is
// bit for bit strconv's.
func eiselLemire(man uint64, exp10 int, neg bool) (f float64, ok bool) {
	if man == 0 {
		if neg {
			f = math.Float64frombits(0x8000000000000000) // -0
		}
		return f, true
	}
	if exp10 < eiselMin || exp10 > eiselMax {
		return 0, false
	}
	pow := eiselPow10[exp10-eiselMin]
	exp2 := 1 + (exp10*108853)>>15 // 1 + floor(exp10·log2(10)), as strconv's mulLog2_10

	// Normalization.
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	retExp2 := uint64(exp2+63+1023) - uint64(clz)

	// Multiplication.
	xHi, xLo := bits.Mul64(man, pow[0])

	// Wider approximation.
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, pow[1])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}

	// Shifting to 54 bits.
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb

	// Half-way ambiguity.
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}

	// From 54 to 53 bits.
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	// Subnormal, Inf and NaN space: leave to strconv.
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	retBits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		retBits |= 0x8000000000000000
	}
	return math.Float64frombits(retBits), true
}

// The powers of ten eiselLemire takes: recording values are within
// 10^-60..10^40 of a unit (strconv takes the others).
const (
	eiselMin = -60
	eiselMax = 40
)

// eiselPow10[e-eiselMin] is {hi, lo} of the 128-bit mantissa of 10^e,
// scaled into [2^127, 2^128) and rounded down, as strconv's pow10Tab
// (internal/strconv/pow10gen.go computes it the same way).
var eiselPow10 = func() (t [eiselMax - eiselMin + 1][2]uint64) {
	one, ten := big.NewInt(1), big.NewInt(10)
	b1p64 := new(big.Int).Lsh(one, 64)
	r1p128 := new(big.Rat).SetInt(new(big.Int).Lsh(one, 128))
	r2 := big.NewRat(2, 1)
	for e := eiselMin; e <= eiselMax; e++ {
		p := new(big.Int).Exp(ten, big.NewInt(int64(max(e, -e))), nil)
		r := new(big.Rat).SetInt(p)
		if e < 0 {
			r.SetFrac(one, p)
		}
		for r.Cmp(r1p128) < 0 {
			r.Mul(r, r2)
		}
		for r.Cmp(r1p128) >= 0 {
			r.Quo(r, r2)
		}
		d := new(big.Int).Div(r.Num(), r.Denom())
		hi, lo := new(big.Int).DivMod(d, b1p64, new(big.Int))
		t[e-eiselMin] = [2]uint64{hi.Uint64(), lo.Uint64()}
	}
	return t
}()
