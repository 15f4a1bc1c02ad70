package validation

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/balance-pt/balance/analysis"
)

// fallWalkCodes are the SisFall activities that are upright walking (SisFall
// README): D01 walking slowly, D02 walking quickly, D03 jogging slowly, D04
// jogging quickly, D05 walking up and down stairs slowly, D06 quickly. The
// young adults of sisfall-more performed no D01-D04, so their stair walks
// (D05, D06) are their own walking.
var fallWalkCodes = map[string]bool{"D01": true, "D02": true, "D03": true, "D04": true, "D05": true, "D06": true}

// fallLearnedUp is one subject's upright axis learned from their own walking
// trials, as the live monitor learns it (analysis.Gait's bouts, then
// analysis.UpFromBouts).
type fallLearnedUp struct {
	Up     [3]float64 // zero when none was learned
	WalkS  float64    // walking seconds averaged over
	Trials []string   // the walking trials it came from
	// DeclaredDeg is the angle between the learned axis and the declared
	// mounting (NaN when none was learned).
	DeclaredDeg float64
}

// fallLearnUps learns each subject's upright axis from their walking trials
// (fallWalkCodes): analysis.Gait on each trial, analysis.UpFromBouts on its
// bouts, and the mean of the trials' axes weighted by their walking
// seconds. Nothing is fitted: the rule is the live system's.
func fallLearnUps(trials []fallTrial) (map[string]fallLearnedUp, error) {
	sums := map[string][3]float64{}
	out := map[string]fallLearnedUp{}
	for _, tr := range trials {
		if !fallWalkCodes[tr.Code] {
			continue
		}
		g, err := analysis.Gait(tr.Samples, tr.RateHz, analysis.GaitParams{})
		if err != nil {
			if analysis.IsInputError(err) {
				continue
			}
			return nil, fmt.Errorf("falls: gait of %s: %w", tr.File, err)
		}
		up, walkS, err := analysis.UpFromBouts(tr.Samples, tr.RateHz, g.Bouts)
		switch {
		case errors.Is(err, analysis.ErrNoWalkingUp):
			continue
		case err != nil:
			return nil, fmt.Errorf("falls: upright axis of %s: %w", tr.File, err)
		}
		s := sums[tr.Subject]
		for k := range s {
			s[k] += up[k] * walkS
		}
		sums[tr.Subject] = s
		l := out[tr.Subject]
		l.WalkS += walkS
		l.Trials = append(l.Trials, tr.Code)
		out[tr.Subject] = l
	}
	for subj, s := range sums {
		l := out[subj]
		n := math.Sqrt(s[0]*s[0] + s[1]*s[1] + s[2]*s[2])
		if n > 0 {
			l.Up = [3]float64{s[0] / n, s[1] / n, s[2] / n}
			c := l.Up[0]*sisFallUp[0] + l.Up[1]*sisFallUp[1] + l.Up[2]*sisFallUp[2]
			l.DeclaredDeg = math.Acos(math.Max(-1, math.Min(1, c))) * 180 / math.Pi
		}
		out[subj] = l
	}
	return out, nil
}

// fallRunLearned runs DetectFalls with base on every trial, with
// FallConfig.Up set to the trial's subject's learned axis (left unknown
// for a subject with none, as the live system before the first walk).
func fallRunLearned(trials []fallTrial, base analysis.FallConfig, ups map[string]fallLearnedUp) []fallOutcome {
	out := make([]fallOutcome, len(trials))
	for i, tr := range trials {
		c := base
		c.Up = ups[tr.Subject].Up
		out[i].Events = analysis.DetectFalls(tr.Samples, tr.RateHz, c)
	}
	return out
}

// fallLearnedTable reports the learned axes per subject.
func fallLearnedTable(trials []fallTrial, outs []fallOutcome, ups map[string]fallLearnedUp) Table {
	t := Table{Caption: "Up learned from the subject's own walking (per subject)",
		Header: []string{"subject", "walking trials used", "walking (s)", "angle to declared (°)", "falls found", "activities alarmed"}}
	for _, subj := range fallSubjects(trials) {
		l := ups[subj]
		c := fallCountWhere(trials, outs, func(t fallTrial) bool { return t.Subject == subj })
		used, ang := "none (no Up)", "–"
		if l.Up != ([3]float64{}) {
			used, ang = strings.Join(l.Trials, " "), fallF2(l.DeclaredDeg)
		}
		t.Rows = append(t.Rows, []string{subj, used, fmt.Sprintf("%.0f", l.WalkS), ang,
			fallFrac(c.TP, c.TP+c.FN), fallFrac(c.FP, c.FP+c.TN)})
	}
	return t
}
