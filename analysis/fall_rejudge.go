package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// FallWindows keeps, from a stream of samples, the stretches around every
// impact crossing (|acc| ≥ FallConfig.ImpactG) that a FallDetector's
// decisions depend on, so that the falls of a long recording can be
// decided again once its upright axis (FallConfig.Up) is known, for
// example learned from all its walking at the end (UpFromBouts), without
// keeping the recording.
//
// Why this is exact: between impacts the detector is idle. A candidate is
// decided within impactWin + SettleSec + PostureSec (2.5 s) of its first
// crossing, and the watch after a fall ends at the latest relockSec (30 s)
// after the impact; until the next crossing nothing of what follows is
// used except the 4 s ring of past samples (ringSec) for the pre-fall
// window, and d.upright (the last fall's pre-fall direction), which only
// matters while Up is unknown. A window opens Before (ringSec + 1 s)
// before a crossing and closes once Quiet + Before (impactWin + SettleSec
// + PostureSec + relockSec + 1 s, plus Before) have passed without one, so
// each window starts where the detector over the whole recording is idle
// and ends where it is idle again; DetectFalls over each window with a
// known Up then gives the events a detector with that Up gives over the
// whole recording (two windows may share up to Before samples, which hold
// no crossing, so no fall is found twice). Crossings during a watch, which the detector ignores,
// also open or extend windows (with another Up the watch may have ended).
//
// Memory is a window of about 42 s (at least) per isolated crossing; runs
// of crossings (running, jumping, a dropped sensor) make windows longer.
// A zero FallWindows is not usable; call NewFallWindows.
type FallWindows struct {
	impact2         float64 // (ImpactG · g)², m²/s⁴, less 1e-9 so that rounding never misses a crossing the detector sees
	before, closeAt int64
	ring            []balance.Sample
	n, last         int64 // samples pushed; index of the last crossing
	cur             []balance.Sample
	open            bool
	windows         [][]balance.Sample
	kept            int
}

// NewFallWindows returns a FallWindows for samples at fs Hz and the
// impact threshold of cfg (default DefaultImpactG). It panics if fs is not
// in balance.MinRateHz..MaxRateHz, as NewFallDetector does.
func NewFallWindows(fs float64, cfg FallConfig) *FallWindows {
	if CheckRate(fs) != nil {
		panic("analysis: fall windows rate outside the accepted band")
	}
	c := cfg.withDefaults()
	secs := func(s float64) int64 { return int64(math.Ceil(s * fs)) }
	before := secs(ringSec + 1)
	quiet := secs(impactWin + c.SettleSec + c.PostureSec + relockSec + 1)
	return &FallWindows{
		impact2: c.ImpactG * c.ImpactG * balance.StandardGravity * balance.StandardGravity * (1 - 1e-9), before: before, closeAt: quiet + before,
		ring: make([]balance.Sample, before),
	}
}

// PushAll adds samples, as Push does one at a time.
func (w *FallWindows) PushAll(p []balance.Sample) {
	L := int64(len(w.ring))
	for k := range p {
		s := &p[k]
		if !w.open {
			a2 := dot(s.Acc, s.Acc)
			if a2 < w.impact2 || !(a2 <= math.MaxFloat64) {
				// The idle path: no window open, no crossing.
				w.ring[w.n%L] = *s
				w.n++
				continue
			}
		}
		w.Push(*s)
	}
}

// Push adds one sample.
func (w *FallWindows) Push(s balance.Sample) {
	i := w.n
	w.n++
	a2 := dot(s.Acc, s.Acc)
	if a2 >= w.impact2 && a2 <= math.MaxFloat64 {
		if !w.open {
			// The window begins with the last Before samples, in order.
			w.open = true
			L := int64(len(w.ring))
			w.cur = make([]balance.Sample, 0, L+w.closeAt)
			for j := max(0, i-L); j < i; j++ {
				w.cur = append(w.cur, w.ring[j%L])
			}
		}
		w.last = i
	}
	w.ring[i%int64(len(w.ring))] = s
	if w.open {
		w.cur = append(w.cur, s)
		if i-w.last >= w.closeAt {
			w.close()
		}
	}
}

func (w *FallWindows) close() {
	w.windows = append(w.windows, w.cur)
	w.kept += len(w.cur)
	w.cur, w.open = nil, false
}

// Windows closes the open window, if any, and returns the windows, in time
// order, and the number of samples they hold.
func (w *FallWindows) Windows() ([][]balance.Sample, int) {
	if w.open {
		w.close()
	}
	return w.windows, w.kept
}

// DetectFallsIn runs DetectFalls over each window (of FallWindows) and
// returns the events, in time order.
func DetectFallsIn(windows [][]balance.Sample, fs float64, cfg FallConfig) []FallEvent {
	var out []FallEvent
	for _, win := range windows {
		out = append(out, DetectFalls(win, fs, cfg)...)
	}
	return out
}
