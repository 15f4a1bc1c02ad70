package validation

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// Floors of issue 12 for the IPOL walks (stand, walk 10 m, U-turn, walk
// back, stop).
const (
	ipolFloorICSensitivity = 0.95
	ipolFloorICPrecision   = 0.95
	ipolFloorBoundS        = 0.5  // median |bout start/end − TrialBoundaries|, s
	ipolFloorCadenceRelErr = 0.03 // mean relative cadence error
	ipolFloorUTurn         = 0.95 // fraction of walks whose U-turn is found
	// ipolICTolS is the IC matching tolerance, as the Mobilise-D validation
	// (Micó-Amigo et al. JNER 20:78, 2023; the mobgap test here).
	ipolICTolS = 0.25
	// A U-turn is found when a detected turn overlaps UTurnBoundaries and
	// turns 180° ± 45°.
	ipolUTurnDeg, ipolUTurnTolDeg = 180.0, 45.0
)

// IPOLSet is the IPOL gait entry for Sets.
var IPOLSet = Set{Name: "ipol", Folder: "ipol-gait-dev", Evaluate: IPOLGait}

// ipolTimebase says how sample times are given to the analysis.
type ipolTimebase int

const (
	// ipolGappy: TimeNS from the PacketCounter, dropped packets as gaps.
	ipolGappy ipolTimebase = iota
	// ipolContiguous: the rows as if no packet were dropped (times i/fs).
	ipolContiguous
)

func (tb ipolTimebase) String() string {
	if tb == ipolGappy {
		return "PacketCounter times (gaps as recorded)"
	}
	return "contiguous times (rows at 100 Hz, gaps ignored)"
}

// ipolWalkScore is the comparison of one walk with its reference.
type ipolWalkScore struct {
	name               string
	subject            int
	refICs, det, match int     // in-trial reference ICs, detections, in-trial refs matched
	detMatch           int     // detections matching any reference IC
	bouts              int     // detected bouts overlapping the trial
	extraBouts         int     // detected bouts outside the trial
	startErr, endErr   float64 // s, detected − reference (NaN: no bout)
	firstICErr         float64 // s, first detected IC − first reference IC
	cadRef, cadDet     float64 // steps/min
	uturn              bool
	uturnDeg           float64
	refSpeed, detSpeed float64 // m/s (reference: 20 m / trial duration)
	err                error
}

// IPOLGait runs analysis.Gait over every walk of the IPOL healthy-gait
// subset (Voisard et al., IPOL 2023) in folder and judges initial
// contacts, bout boundaries, cadence and the U-turn against the foot-sensor
// reference, with the recording's own dropped packets as time gaps and with
// contiguous times. Nothing is chosen from these data: every parameter of
// the analysis is a published constant, so every subject is an unseen one.
func IPOLGait(folder string) (Section, error) {
	files, err := filepath.Glob(filepath.Join(folder, "*_lb.txt"))
	if err != nil || len(files) == 0 {
		return Section{}, fmt.Errorf("ipol: no *_lb.txt under %s: %v", folder, err)
	}
	var walks []ipolWalk
	for _, f := range files {
		w, err := readIPOLWalk(strings.TrimSuffix(f, "_lb.txt"))
		if err != nil {
			return Section{}, err
		}
		walks = append(walks, w)
	}
	sort.Slice(walks, func(i, j int) bool {
		if walks[i].Subject != walks[j].Subject {
			return walks[i].Subject < walks[j].Subject
		}
		return walks[i].Ref.Trial < walks[j].Ref.Trial
	})
	sec := Section{
		Title: "Gait: IPOL healthy gait (10 adults, 58 walks with a U-turn)",
		Notes: []string{
			"Each walk (stand, walk 10 m, U-turn, walk 10 m back, stop) is analysed whole by analysis.Gait with the subject's height " +
				"(pendulum length 0.53 × height). Reference: foot-mounted IMU events checked by hand (Voisard et al., IPOL 2023); " +
				"an initial contact is the end of a footstep. Detected ICs are every IC of every detected bout, anywhere in the " +
				"recording (steps found while standing count as false ones); matched one-to-one within ±0.25 s.",
			"Bout start and end are compared with TrialBoundaries (first foot movement, last foot contact) using the detected bouts " +
				"that overlap the trial (first start, last end). A bout starts at its first initial contact (Mobilise-D), which " +
				"follows the first foot-off by one swing time, so the start error has a floor of about one swing (0.4 s); the " +
				"error of the first IC against the first reference IC is given too. Cadence: 120 / mean stride time of the bout " +
				"overlapping the trial most, against 120 / mean same-foot IC interval of the reference. The U-turn is found when a " +
				"detected turn overlaps UTurnBoundaries and turns 180° ± 45°. The speed column is indicative only: 20 m over " +
				"the trial's duration against the speed of that bout (the distance walked in the turn is not recorded); " +
				"subject 10 has no height, so no speed.",
			"No parameter was chosen on these data (published constants only), so all 10 subjects are unseen: there is no " +
				"development/test split to report. The evaluation runs twice: with the PacketCounter as time base (dropped " +
				"packets are time gaps, as a device streams them) and with contiguous times (rows at 100 Hz).",
		},
	}
	for _, tb := range []ipolTimebase{ipolGappy, ipolContiguous} {
		scores := make([]ipolWalkScore, len(walks))
		for i := range walks {
			scores[i] = scoreIPOLWalk(&walks[i], tb)
		}
		addIPOLTables(&sec, scores, tb)
	}
	return sec, nil
}

// timesFor returns the samples of w with times for tb, and a function
// mapping an analysis time (s since the first sample) to a PacketCounter
// value.
func timesFor(w *ipolWalk, tb ipolTimebase) ([]balance.Sample, func(float64) float64) {
	s := slices.Clone(w.Samples)
	pc0 := float64(w.Counter[0])
	if tb == ipolGappy {
		return s, func(t float64) float64 { return pc0 + t*ipolRateHz }
	}
	for i := range s {
		s[i].TimeNS = int64(i) * int64(1e9/ipolRateHz)
	}
	return s, func(t float64) float64 {
		r := t * ipolRateHz
		i := int(math.Floor(r))
		switch {
		case i < 0:
			return float64(w.Counter[0]) + r
		case i >= len(w.Counter)-1:
			return float64(w.Counter[len(w.Counter)-1]) + r - float64(len(w.Counter)-1)
		}
		f := r - float64(i)
		return float64(w.Counter[i]) + f*float64(w.Counter[i+1]-w.Counter[i])
	}
}

func scoreIPOLWalk(w *ipolWalk, tb ipolTimebase) ipolWalkScore {
	sc := ipolWalkScore{name: w.Name, subject: w.Subject, startErr: math.NaN(), endErr: math.NaN(), firstICErr: math.NaN()}
	samples, toPC := timesFor(w, tb)
	res, err := analysis.Gait(samples, ipolRateHz, analysis.GaitParams{HeightM: w.Ref.Height / 100})
	if err != nil {
		sc.err = err
		return sc
	}
	// Every reference IC can match a detection (a step after the trial is
	// a step), but sensitivity counts only those inside TrialBoundaries
	// (the README: the reference checks the initial contacts inside
	// TrialBoundaries).
	ref := w.Ref.ICs()
	refT := make([]float64, len(ref))
	var inTrial []float64
	for i, r := range ref {
		refT[i] = float64(r) / ipolRateHz
		if r >= w.Ref.TrialBoundaries[0] && r <= w.Ref.TrialBoundaries[1] {
			inTrial = append(inTrial, refT[i])
		}
	}
	sc.refICs = len(inTrial)
	tb0, tb1 := float64(w.Ref.TrialBoundaries[0])/ipolRateHz, float64(w.Ref.TrialBoundaries[1])/ipolRateHz
	var det []float64
	first, last := math.Inf(1), math.Inf(-1)
	firstIC := math.Inf(1)
	best, bestOv := -1, 0.0
	for bi, b := range res.Bouts {
		for _, ic := range b.ICs {
			det = append(det, toPC(ic)/ipolRateHz)
		}
		s, e := toPC(b.Start)/ipolRateHz, toPC(b.End)/ipolRateHz
		ov := math.Min(e, tb1) - math.Max(s, tb0)
		if ov <= 0 {
			sc.extraBouts++
			continue
		}
		sc.bouts++
		first, last = math.Min(first, s), math.Max(last, e)
		firstIC = math.Min(firstIC, toPC(b.ICs[0])/ipolRateHz)
		if ov > bestOv {
			best, bestOv = bi, ov
		}
		for _, tr := range b.Turns {
			ts, te := toPC(tr.Start), toPC(tr.End)
			if math.Min(te, float64(w.Ref.UTurnBoundaries[1])) > math.Max(ts, float64(w.Ref.UTurnBoundaries[0])) {
				if math.Abs(math.Abs(tr.AngleDeg)-ipolUTurnDeg) <= ipolUTurnTolDeg {
					sc.uturn = true
				}
				if math.Abs(tr.AngleDeg) > math.Abs(sc.uturnDeg) {
					sc.uturnDeg = tr.AngleDeg
				}
			}
		}
	}
	sc.det = len(det)
	sc.detMatch, sc.match = matchICsIn(det, refT, ipolICTolS, tb0, tb1)
	if sc.bouts > 0 {
		sc.startErr, sc.endErr = first-tb0, last-tb1
		sc.firstICErr = firstIC - inTrial[0]
	}
	// Reference cadence: 120 / mean same-foot IC interval.
	var strides []float64
	for _, foot := range [][][2]int{w.Ref.LeftFootEvents, w.Ref.RightFootEvents} {
		for k := 1; k < len(foot); k++ {
			if foot[k][1] <= w.Ref.TrialBoundaries[1] {
				strides = append(strides, float64(foot[k][1]-foot[k-1][1])/ipolRateHz)
			}
		}
	}
	if m := mean(strides); m > 0 {
		sc.cadRef = 120 / m
	}
	sc.refSpeed = 20 / (tb1 - tb0)
	if best >= 0 {
		b := res.Bouts[best]
		sc.cadDet = b.CadenceSPM
		sc.detSpeed = b.SpeedMPS
	}
	return sc
}

func addIPOLTables(sec *Section, scores []ipolWalkScore, tb ipolTimebase) {
	type agg struct {
		ref, det, match, detMatch, walks, uturns, oneBout, extra int
		startErr, endErr, firstIC, cadErr, speedErr, uturnDeg    []float64
	}
	add := func(a *agg, s ipolWalkScore) {
		a.walks++
		a.ref += s.refICs
		a.det += s.det
		a.match += s.match
		a.detMatch += s.detMatch
		if s.uturn {
			a.uturns++
		}
		if s.uturnDeg != 0 {
			a.uturnDeg = append(a.uturnDeg, math.Abs(s.uturnDeg))
		}
		if s.bouts == 1 {
			a.oneBout++
		}
		a.extra += s.extraBouts
		if !math.IsNaN(s.startErr) {
			a.startErr = append(a.startErr, math.Abs(s.startErr))
			a.endErr = append(a.endErr, math.Abs(s.endErr))
			a.firstIC = append(a.firstIC, math.Abs(s.firstICErr))
		}
		if s.cadDet > 0 {
			a.cadErr = append(a.cadErr, math.Abs(s.cadDet-s.cadRef)/s.cadRef)
			if s.detSpeed > 0 { // 0: no height, no speed
				a.speedErr = append(a.speedErr, math.Abs(s.detSpeed-s.refSpeed))
			}
		} else {
			a.cadErr = append(a.cadErr, 1) // no bout: 100 % error
		}
	}
	row := func(name string, a agg) []string {
		return []string{name, fmt.Sprint(a.walks),
			fmt.Sprintf("%.3f (%d/%d)", ratio(a.match, a.ref), a.match, a.ref),
			fmt.Sprintf("%.3f (%d/%d)", ratio(a.detMatch, a.det), a.detMatch, a.det),
			fmt.Sprintf("%d/%d", a.oneBout, a.walks), fmt.Sprint(a.extra),
			fmt.Sprintf("%.2f", median(a.startErr)), fmt.Sprintf("%.2f", median(a.firstIC)), fmt.Sprintf("%.2f", median(a.endErr)),
			fmt.Sprintf("%.1f", 100*mean(a.cadErr)),
			fmt.Sprintf("%d/%d", a.uturns, a.walks), fmt.Sprintf("%.0f", median(a.uturnDeg)),
			fmt.Sprintf("%.3f", mean(a.speedErr))}
	}
	header := []string{"subject", "walks", "IC sensitivity", "IC precision", "one bout", "bouts outside", "start err s (median)", "first IC err s", "end err s", "cadence err %", "U-turn found", "U-turn angle ° (median)", "speed MAE m/s (approx.)"}
	per := map[int]*agg{}
	var subjects []int
	var pooled agg
	var errs []string
	for _, s := range scores {
		if s.err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", s.name, s.err))
		}
		if per[s.subject] == nil {
			per[s.subject] = &agg{}
			subjects = append(subjects, s.subject)
		}
		add(per[s.subject], s)
		add(&pooled, s)
	}
	t := Table{Caption: "IPOL, " + tb.String() + ": per subject and pooled", Header: header}
	for _, sub := range subjects {
		t.Rows = append(t.Rows, row(fmt.Sprint(sub), *per[sub]))
	}
	t.Rows = append(t.Rows, row("pooled", pooled))
	sec.Tables = append(sec.Tables, t)
	if len(errs) > 0 {
		sec.Notes = append(sec.Notes, "Errors with "+tb.String()+": "+strings.Join(errs, "; "))
	}
	tag := map[ipolTimebase]string{ipolGappy: "gappy", ipolContiguous: "contiguous"}[tb]
	sec.Floors = append(sec.Floors,
		Floor{Name: "IPOL " + tag + ": IC sensitivity", Value: ratio(pooled.match, pooled.ref), Limit: ipolFloorICSensitivity, AtLeast: true},
		Floor{Name: "IPOL " + tag + ": IC precision", Value: ratio(pooled.detMatch, pooled.det), Limit: ipolFloorICPrecision, AtLeast: true},
		Floor{Name: "IPOL " + tag + ": bout start median |error| s", Value: median(pooled.startErr), Limit: ipolFloorBoundS},
		Floor{Name: "IPOL " + tag + ": bout end median |error| s", Value: median(pooled.endErr), Limit: ipolFloorBoundS},
		Floor{Name: "IPOL " + tag + ": cadence mean relative error", Value: mean(pooled.cadErr), Limit: ipolFloorCadenceRelErr},
		Floor{Name: "IPOL " + tag + ": U-turn found", Value: ratio(pooled.uturns, pooled.walks), Limit: ipolFloorUTurn, AtLeast: true},
	)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}
