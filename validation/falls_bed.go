package validation

import (
	"fmt"
	"math"
	"sort"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// fallLyingCodes are SisFall's activities that lie down or turn while
// lying (SisFall README): D12 lying slowly, D13 lying quickly (both from
// sitting, then sitting again), D14 turning from the back to the side and
// back. They are what the fall-out-of-bed exemption
// (analysis.FallConfig.BedDropM) must not alarm on.
var fallLyingCodes = []string{"D12", "D13", "D14"}

// fallLongestFreeFallS returns the longest unbroken run (s) of |acc| under
// thrG (g) anywhere in samples at fs Hz: an upper bound of the run the
// detector measures in the second before any impact of the trial
// (analysis.FallEvent.FreeFallS).
func fallLongestFreeFallS(samples []balance.Sample, fs, thrG float64) float64 {
	lim := thrG * balance.StandardGravity
	run, best := 0, 0
	for _, s := range samples {
		a := s.Acc
		if math.Sqrt(a[0]*a[0]+a[1]*a[1]+a[2]*a[2]) < lim {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return float64(best) / fs
}

// fallQuantile is the nearest-rank q-quantile of sorted x (NaN if empty).
func fallQuantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// fallBedTable reports the free-fall phase the fall-out-of-bed exemption
// reads, with the default thresholds (analysis.FallConfig.FreeFallG,
// BedDropM's free-fall time): per lying activity, the longest run under
// FreeFallG anywhere in each trial (every trial, every subject); and, for
// contrast, the run in the second before the impact of every detected
// fall (events of the declared-mounting run, def). It returns the table
// and the longest run over the lying activities (s).
func fallBedTable(trials []fallTrial, def []fallOutcome) (Table, float64) {
	const freeFallG = analysis.DefaultFreeFallG
	tff := analysis.FreeFallSec(analysis.DefaultBedDropM)
	t := Table{Caption: fmt.Sprintf("Free-fall phase: longest run of |acc| < %.1f g (s); a fall out of bed needs ≥ %.3f s "+
		"(a free drop of %.2f m, analysis.FallConfig.BedDropM)", freeFallG, tff, analysis.DefaultBedDropM),
		Header: []string{"trials", "what is measured", "n", "median", "90th pct", "max", "≥ needed"}}
	row := func(name, what string, x []float64) {
		sort.Float64s(x)
		n := 0
		for _, v := range x {
			if v >= tff {
				n++
			}
		}
		t.Rows = append(t.Rows, []string{name, what, fmt.Sprint(len(x)), fallF3(fallQuantile(x, 0.5)),
			fallF3(fallQuantile(x, 0.9)), fallF3(fallQuantile(x, 1)), fmt.Sprint(n)})
	}
	var all []float64
	for _, code := range fallLyingCodes {
		var x []float64
		for _, tr := range trials {
			if tr.Code == code {
				x = append(x, fallLongestFreeFallS(tr.Samples, tr.RateHz, freeFallG))
			}
		}
		all = append(all, x...)
		row(code, "anywhere in the trial", x)
	}
	row("D12-D14", "anywhere in the trial", append([]float64(nil), all...))
	var falls []float64
	for i, tr := range trials {
		if tr.Fall && len(def[i].Events) > 0 {
			falls = append(falls, def[i].Events[0].FreeFallS)
		}
	}
	row("falls from standing (F01-F15, detected)", "second before the impact", falls)
	longest := 0.0
	for _, v := range all {
		longest = max(longest, v)
	}
	return t, longest
}
