package analysis

import (
	"fmt"

	"github.com/balance-pt/balance"
)

// STSResult is the outcome of a five-times sit-to-stand test.
type STSResult struct {
	// Seconds is the test time: from the start of the first sit-to-stand
	// to the end of the fifth (the usual stopwatch protocol stops when the
	// fifth stand is complete; Bohannon 2006). 0 when fewer than 5 stands
	// were found.
	Seconds float64
	// Stands is the number of sit-to-stand transitions found; Complete is
	// Stands ≥ 5.
	Stands   int
	Complete bool
	// Inferred reports that some stands were taken from the order of the
	// flexions (the test starts seated, so flexions alternate rise, sit,
	// rise, ...) because their vertical motion was ambiguous.
	Inferred bool
	// Transitions are all transitions found, in time order.
	Transitions []Transition
}

// FiveTimesSitToStand times a 5×STS test from a recording that starts
// seated (Transitions finds the stands). Fall-risk cut-offs: ≥ 12 s
// (Tiedemann 2008), > 15 s (Buatois 2008). Input errors are those of
// AlignToBody.
func FiveTimesSitToStand(samples []balance.Sample, fs float64, opts TransitionOptions) (STSResult, error) {
	tr, err := Transitions(samples, fs, opts)
	if err != nil {
		return STSResult{}, fmt.Errorf("5xSTS: %w", err)
	}
	r := STSResult{Transitions: tr}
	stands := func(pick func(i int, t Transition) bool) (n int, secs float64) {
		var first Transition
		for i, t := range tr {
			if !pick(i, t) {
				continue
			}
			n++
			if n == 1 {
				first = t
			}
			if n == 5 {
				secs = t.End - first.Start
			}
		}
		return n, secs
	}
	r.Stands, r.Seconds = stands(func(_ int, t Transition) bool { return t.Kind == SitToStand })
	if r.Stands < 5 && alternates(tr) {
		// Flexions 0, 2, 4, ... are the rises.
		if n, secs := stands(func(i int, _ Transition) bool { return i%2 == 0 }); n > r.Stands {
			r.Stands, r.Seconds, r.Inferred = n, secs, true
		}
	}
	r.Complete = r.Stands >= 5
	return r, nil
}

// alternates reports whether no transition contradicts the order rise,
// sit, rise, ... from a seated start.
func alternates(tr []Transition) bool {
	for i, t := range tr {
		if i%2 == 0 && t.Kind == StandToSit || i%2 == 1 && t.Kind == SitToStand {
			return false
		}
	}
	return true
}
