package validation

import (
	"math"
	"sort"

	"github.com/balance-pt/balance/analysis"
)

// fallOutcome is the detector's result on one trial.
type fallOutcome struct {
	Events []analysis.FallEvent
}

// fallCounts tallies trial outcomes: falls with at least one event (TP),
// falls without (FN), daily activities without (TN) and with (FP), the most
// events on one fall trial, and the falls the wearer got up from.
type fallCounts struct {
	TP, FN, TN, FP, MaxPerFall, GotUp int
	// Delays are the decision delays (DecisionTimeNS - ImpactTimeNS, s) of
	// the detected falls.
	Delays []float64
}

func (c *fallCounts) add(tr fallTrial, o fallOutcome) {
	n := len(o.Events)
	switch {
	case tr.Fall && n > 0:
		c.TP++
		c.MaxPerFall = max(c.MaxPerFall, n)
		ev := o.Events[0]
		c.Delays = append(c.Delays, float64(ev.DecisionTimeNS-ev.ImpactTimeNS)/1e9)
		if ev.GotUp {
			c.GotUp++
		}
	case tr.Fall:
		c.FN++
	case n > 0:
		c.FP++
	default:
		c.TN++
	}
}

func (c *fallCounts) merge(o fallCounts) {
	c.TP += o.TP
	c.FN += o.FN
	c.TN += o.TN
	c.FP += o.FP
	c.GotUp += o.GotUp
	c.MaxPerFall = max(c.MaxPerFall, o.MaxPerFall)
	c.Delays = append(c.Delays, o.Delays...)
}

// Sens is TP/(TP+FN), NaN without falls.
func (c fallCounts) Sens() float64 { return fallRatio(c.TP, c.TP+c.FN) }

// Spec is TN/(TN+FP), NaN without daily activities.
func (c fallCounts) Spec() float64 { return fallRatio(c.TN, c.TN+c.FP) }

// youden is sensitivity + specificity - 1 (Youden 1950), the criterion for
// choosing a threshold on development subjects; a set without falls or
// without activities counts its missing term as 1.
func (c fallCounts) youden() float64 {
	s, p := c.Sens(), c.Spec()
	if math.IsNaN(s) {
		s = 1
	}
	if math.IsNaN(p) {
		p = 1
	}
	return s + p - 1
}

func fallRatio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

// runFalls runs DetectFalls with cfg on every trial.
func fallRun(trials []fallTrial, cfg analysis.FallConfig) []fallOutcome {
	out := make([]fallOutcome, len(trials))
	for i, tr := range trials {
		out[i].Events = analysis.DetectFalls(tr.Samples, tr.RateHz, cfg)
	}
	return out
}

// countWhere tallies the outcomes of the trials for which keep is true.
func fallCountWhere(trials []fallTrial, outs []fallOutcome, keep func(fallTrial) bool) fallCounts {
	var c fallCounts
	for i, tr := range trials {
		if keep(tr) {
			c.add(tr, outs[i])
		}
	}
	return c
}

// fallImpactGrid is the impact thresholds (g) the selection chooses from: the
// published range for trunk/waist sensors, from soft real-world impacts
// (about 1.5 g) to Bourke 2007's 3.52 g, through Kangas 2008's 2 g.
var fallImpactGrid = []float64{1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.25, 2.5, 3.0, 3.52}

// chooseImpact returns the grid threshold with the largest Youden index on
// the trials for which keep is true, given each threshold's outcomes
// (ties: the larger threshold, fewer alarms).
func fallChooseImpact(trials []fallTrial, outs map[float64][]fallOutcome, keep func(fallTrial) bool) float64 {
	best, bestJ := fallImpactGrid[0], math.Inf(-1)
	for _, g := range fallImpactGrid {
		if j := fallCountWhere(trials, outs[g], keep).youden(); j >= bestJ {
			best, bestJ = g, j
		}
	}
	return best
}

// subjectsOf lists the distinct subjects of trials, sorted.
func fallSubjects(trials []fallTrial) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range trials {
		if !seen[t.Subject] {
			seen[t.Subject] = true
			out = append(out, t.Subject)
		}
	}
	sort.Strings(out)
	return out
}
