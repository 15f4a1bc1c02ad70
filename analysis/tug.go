package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// TUGPhase is one segment of a Timed Up and Go, seconds since the first
// sample.
type TUGPhase struct {
	Start, End float64
}

// Seconds is End − Start.
func (p TUGPhase) Seconds() float64 { return p.End - p.Start }

// TUGQuality flags an incomplete segmentation.
type TUGQuality uint32

// TUG quality flags.
const (
	TUGNoStand TUGQuality = 1 << iota // no sit-to-stand found
	TUGNoSit                          // no stand-to-sit after it
	TUGNoTurn                         // no turn of 90° or more between them
	// TUGInferred: the rise or the sit was taken from the order of the
	// flexions (first and last) because its vertical motion was ambiguous.
	TUGInferred
)

// TUGResult segments a Timed Up and Go (Podsiadlo & Richardson 1991): rise,
// walk 3 m, turn, walk back, turn and sit.
type TUGResult struct {
	// Seconds is the test time, from the start of the sit-to-stand to the
	// end of the stand-to-sit (0 if either is missing). Fall-risk cut-offs:
	// ≥ 13.5 s (Shumway-Cook 2000), ≥ 12 s (CDC STEADI).
	Seconds                         float64
	SitToStand, WalkOut, Turn       TUGPhase
	WalkBack, TurnToSit, StandToSit TUGPhase
	TurnDeg, TurnToSitDeg           float64
	Quality                         TUGQuality
	Transitions                     []Transition
}

// TUG segments a Timed Up and Go recording (Salarian et al. 2010, IEEE
// TNSRE 18:303, iTUG; Zijlstra 2010): the first sit-to-stand and the last
// stand-to-sit after it (Transitions) bound the test; turns are runs of
// the 1 Hz low-passed yaw rate above 15 °/s, bounded where it falls under
// 5 °/s, of at least 90° (El-Gohary 2014's thresholds); the first such turn
// after standing is the 180° turn, the last one before the end of sitting
// is the turn to sit (often merged with sitting down); walking fills the
// gaps. Input errors are those of AlignToBody.
func TUG(samples []balance.Sample, fs float64, opts TransitionOptions) (TUGResult, error) {
	b, err := AlignToBody(samples, fs, opts.Align)
	if err != nil {
		return TUGResult{}, fmt.Errorf("TUG: %w", err)
	}
	tr := transitionsFromBody(samples, fs, &b, opts)
	r := TUGResult{Transitions: tr}
	// The test starts seated: the rise is the first sit-to-stand, or else
	// the first flexion if it is not a stand-to-sit; the sit is the last
	// stand-to-sit after it, or else the last flexion after it.
	st := -1
	for i, t := range tr {
		if t.Kind == SitToStand {
			st = i
			break
		}
	}
	if st < 0 && len(tr) > 0 && tr[0].Kind == TransitionOther {
		st = 0
		r.Quality |= TUGInferred
	}
	if st < 0 {
		r.Quality |= TUGNoStand | TUGNoSit
		return r, nil
	}
	sit := -1
	for i := len(tr) - 1; i > st; i-- {
		if tr[i].Kind == StandToSit {
			sit = i
			break
		}
	}
	if sit < 0 && len(tr)-1 > st && tr[len(tr)-1].Kind == TransitionOther {
		sit = len(tr) - 1
		r.Quality |= TUGInferred
	}
	r.SitToStand = TUGPhase{tr[st].Start, tr[st].End}
	end := float64(len(samples)-1) / fs
	if sit >= 0 {
		r.StandToSit = TUGPhase{tr[sit].Start, tr[sit].End}
		end = tr[sit].End
		r.Seconds = end - r.SitToStand.Start
	} else {
		r.Quality |= TUGNoSit
	}
	var turns []tugTurn
	for _, t := range yawTurns(b.YawRate, fs) {
		if t.start >= r.SitToStand.Start && t.start < end && math.Abs(t.deg) >= 90 {
			turns = append(turns, t)
		}
	}
	if len(turns) == 0 {
		r.Quality |= TUGNoTurn
		return r, nil
	}
	first, last := turns[0], turns[len(turns)-1]
	r.Turn, r.TurnDeg = TUGPhase{first.start, first.end}, first.deg
	r.WalkOut = TUGPhase{r.SitToStand.End, math.Max(r.SitToStand.End, first.start)}
	if len(turns) > 1 {
		r.TurnToSit, r.TurnToSitDeg = TUGPhase{last.start, last.end}, last.deg
		r.WalkBack = TUGPhase{first.end, math.Max(first.end, last.start)}
	} else if sit >= 0 {
		r.WalkBack = TUGPhase{first.end, math.Max(first.end, r.StandToSit.Start)}
	}
	return r, nil
}

type tugTurn struct{ start, end, deg float64 }

// yawTurns finds turns in a yaw rate (rad/s): runs where the 1 Hz
// low-passed |rate| exceeds 15 °/s, widened to where it falls under 5 °/s;
// the angle integrates the unfiltered rate over the run (degrees).
func yawTurns(yaw []float64, fs float64) []tugTurn {
	if len(yaw) < 2 {
		return nil
	}
	lp := ButterLowpass(2, math.Min(1, 0.4*fs), fs).FiltFilt(nil, yaw)
	hiT, loT := 15*math.Pi/180, 5*math.Pi/180
	var out []tugTurn
	for i := 0; i < len(lp); i++ {
		if math.Abs(lp[i]) < hiT {
			continue
		}
		s, e := i, i
		for s > 0 && math.Abs(lp[s-1]) >= loT && lp[s-1]*lp[i] > 0 {
			s--
		}
		for e+1 < len(lp) && math.Abs(lp[e+1]) >= loT && lp[e+1]*lp[i] > 0 {
			e++
		}
		var deg float64
		for j := s; j <= e; j++ {
			deg += yaw[j] / fs
		}
		out = append(out, tugTurn{float64(s) / fs, float64(e) / fs, deg * 180 / math.Pi})
		i = e
	}
	return out
}
