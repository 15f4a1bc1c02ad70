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
	var first Transition
	for _, t := range tr {
		if t.Kind != SitToStand {
			continue
		}
		r.Stands++
		if r.Stands == 1 {
			first = t
		}
		if r.Stands == 5 {
			r.Seconds = t.End - first.Start
			r.Complete = true
		}
	}
	return r, nil
}
