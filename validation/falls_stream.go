package validation

import (
	"fmt"
	"math/rand/v2"

	"github.com/balance-pt/balance/analysis"
)

// fallStreamCheck is the outcome of one concatenated stream.
type fallStreamCheck struct {
	Seed uint64
	// Seconds is the stream's length; Events the events it gave.
	Seconds float64
	Events  int
	// Differ lists the trials whose event count inside their span (0 or
	// 1) differs from the trial run alone, more than one event in a trial,
	// and events outside every trial.
	Differ []string
	// Rule lists the trials whose event count in the stream breaks the
	// rule: a fall trial without exactly one event, an activity with one.
	Rule []string
}

// concatStream joins every trial, in the order of a shuffle seeded by
// seed, into one stream with continuous timestamps (one sample period
// apart across trial boundaries) through a single streaming detector, as
// on a worn device. Each event is assigned to the trial whose span holds
// its impact; every fall trial must get exactly one, every activity none,
// and each trial the same number (0 or 1) as when run alone (alone).
func fallConcatStream(trials []fallTrial, alone []fallOutcome, cfg analysis.FallConfig, seed uint64) fallStreamCheck {
	order := rand.New(rand.NewPCG(seed, 12)).Perm(len(trials))
	rate := trials[0].RateHz
	step := int64(1e9 / rate)
	d := analysis.NewFallDetector(rate, cfg)
	lo := make([]int64, len(trials))
	hi := make([]int64, len(trials))
	var evs []analysis.FallEvent
	t := int64(1e9) // times start at 1 s: zero means "no time"
	for _, k := range order {
		lo[k] = t
		for _, s := range trials[k].Samples {
			s.TimeNS = t
			t += step
			if ev, ok := d.Push(s); ok {
				evs = append(evs, ev)
			}
		}
		hi[k] = t
	}
	evs = append(evs, d.Flush()...)
	r := fallStreamCheck{Seed: seed, Seconds: float64(t-1e9) / 1e9, Events: len(evs)}
	got := make([]int, len(trials))
	for _, ev := range evs {
		found := false
		for k := range trials {
			if ev.ImpactTimeNS >= lo[k] && ev.ImpactTimeNS < hi[k] {
				got[k]++
				found = true
				break
			}
		}
		if !found {
			r.Differ = append(r.Differ, fmt.Sprintf("event at %.2f s outside every trial", float64(ev.ImpactTimeNS)/1e9))
		}
	}
	for k, tr := range trials {
		want := 0
		if tr.Fall {
			want = 1
		}
		msg := fmt.Sprintf("%s/%s: %d events in the stream, %d alone, want %d", tr.Set, tr.File, got[k], len(alone[k].Events), want)
		if got[k] > 1 || got[k] != min(1, len(alone[k].Events)) {
			r.Differ = append(r.Differ, msg)
		}
		if got[k] != want {
			r.Rule = append(r.Rule, msg)
		}
	}
	return r
}
