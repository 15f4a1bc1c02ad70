package analysis

// BoutRules are the walking-bout assembly rules.
type BoutRules struct {
	// MinStrideS and MaxStrideS bound a plausible stride duration, s.
	MinStrideS, MaxStrideS float64
	// MinStrides is the fewest valid strides a bout needs.
	MinStrides int
	// MaxBreakS is the longest pause between valid strides inside a bout, s.
	MaxBreakS float64
	// MinStrideLengthM is the shortest valid stride, m, when stride lengths
	// are known.
	MinStrideLengthM float64
}

// MobilisedBoutRules are the Mobilise-D consensus rules for a walking bout
// (Kluge et al., PLOS ONE 16:e0256541, 2021; used for the reference bouts
// of Micó-Amigo et al., JNER 20:78, 2023): at least two consecutive
// strides, each of 0.2-3.0 s and at least 0.15 m long (mobgap WbAssembly's
// stride limits), and breaks longer than 3 s end a bout; turns stay inside
// a bout. (mobgap's own pipeline asks 4 strides before it reports a bout;
// here bouts under 10 s carry FlagShortBout instead.)
var MobilisedBoutRules = BoutRules{MinStrideS: 0.2, MaxStrideS: 3.0, MinStrides: 2, MaxBreakS: 3.0, MinStrideLengthM: 0.15}

// BoutSpan is one assembled bout: the initial contacts First..Last
// (inclusive indices into the IC list) and which strides k (IC k to IC k+2,
// First <= k <= Last-2) are valid, indexed from First.
type BoutSpan struct {
	First, Last int
	Valid       []bool
	NumStrides  int
}

// AssembleBouts groups initial contacts ics (seconds, increasing, feet
// alternating) into walking bouts. A stride k runs from IC k to IC k+2 and is
// valid when its duration lies in [MinStrideS, MaxStrideS] and, when
// stepLen (the length of each step, len(ics)-1 values) is not nil, its
// length stepLen[k] + stepLen[k+1] is at least MinStrideLengthM, and, when
// active is not nil, active[k] holds. Runs of valid
// strides separated by at most MaxBreakS (from the end of one valid stride
// to the start of the next) form one bout; bouts with fewer than MinStrides
// valid strides are dropped.
func AssembleBouts(ics, stepLen []float64, active []bool, r BoutRules) []BoutSpan {
	valid := func(k int) bool {
		if active != nil && !active[k] {
			return false
		}
		d := ics[k+2] - ics[k]
		if d < r.MinStrideS || d > r.MaxStrideS {
			return false
		}
		return stepLen == nil || stepLen[k]+stepLen[k+1] >= r.MinStrideLengthM
	}
	var out []BoutSpan
	cur := BoutSpan{First: -1}
	flush := func() {
		if cur.First >= 0 && cur.NumStrides >= r.MinStrides {
			cur.Valid = make([]bool, cur.Last-cur.First-1)
			for k := cur.First; k+2 <= cur.Last; k++ {
				cur.Valid[k-cur.First] = valid(k)
			}
			out = append(out, cur)
		}
		cur = BoutSpan{First: -1}
	}
	for k := 0; k+2 < len(ics); k++ {
		if !valid(k) {
			continue
		}
		if cur.First >= 0 && ics[k]-ics[cur.Last] > r.MaxBreakS {
			flush()
		}
		if cur.First < 0 {
			cur.First = k
		}
		cur.Last = k + 2
		cur.NumStrides++
	}
	flush()
	return out
}
