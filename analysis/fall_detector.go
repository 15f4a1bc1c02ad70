package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

type fallCand struct {
	first, imp  int64 // sample indices
	peak        float64
	ev          FallEvent
	pre         [3]float64 // mean gravity direction before the impact
	post        [3]float64
	m, m2, gyro float64
	nPost       int
	preDone     bool
	upright     bool       // not lying before the impact (true when Up is unknown)
	bedDrop     bool       // a free-fall run long enough for a fall out of bed
	up          [3]float64 // the Up the pre-fall posture was judged by
}

// fallWatch follows the wearer after a decided fall: whether and when they
// are upright again. Until then (or relockSec) no new impact is taken.
type fallWatch struct {
	active, emitted bool
	ev              FallEvent
	ref             [3]float64 // pre-fall gravity direction
	imp             int64
	blk             [3]float64
	blkN            int64
	blkT            int64 // time of the block's first sample
	upRun           int
	upT             int64 // time of the first upright block of the run
}

type ringEntry struct {
	t   int64
	acc [3]float64
	mag float64
}

// FallDetector finds falls in a continuous stream of samples, one Push at
// a time, with state bounded by a 4 s ring buffer and at most 8 pending
// impacts. It follows the multiphase fall model (Becker 2012, Klenk 2011,
// Palmerini 2020): pre-impact (free fall, descent speed, pre-fall posture),
// impact (|acc| peak over FallConfig.ImpactG), post-impact posture (trunk
// turned by PostureDeg or more 0.5-1.5 s after the impact) and what
// follows (still or not, up again and how soon). Stillness is reported,
// not required. One fall gives one event: after it no impact is taken
// until the wearer is upright again (or 30 s have passed). It uses no
// sensor axes unless FallConfig.Up declares the mounting (or SetUp gives
// it); then an impact while the trunk was already lying counts only as a
// fall out of bed: after a free-fall drop of FallConfig.BedDropM or more,
// ending lying (FallEvent.FromLying). A zero value is not usable; call
// NewFallDetector.
type FallDetector struct {
	cfg      FallConfig
	fs       float64
	ring     []ringEntry
	n        int64 // samples pushed
	cands    []fallCand
	lastCand int64 // index of the last candidate's first crossing
	watch    fallWatch
	upright  [3]float64 // the last fall's pre-fall direction (zero: none yet)
	// Window lengths in samples.
	nImpact, nSettle, nPost, nBlock, nGetUp, nRelock int64
	nBedDrop                                         int64   // least free-fall run (samples) of a fall out of bed
	lastT                                            int64   // previous sample's time
	maxStep                                          float64 // largest time step (ns) that is not a gap: 2/fs
	since                                            int64   // first sample index after the last gap
	// Skipped counts samples ignored because a value was not finite;
	// Gaps the breaks in time (a step over 2/fs, or backwards) at which
	// the detector restarted.
	Skipped, Gaps int64
}

// NewFallDetector returns a detector for samples at fs Hz. It panics if
// fs is not in balance.MinRateHz..MaxRateHz.
func NewFallDetector(fs float64, cfg FallConfig) *FallDetector {
	if !(fs >= balance.MinRateHz && fs <= balance.MaxRateHz) {
		panic("analysis: fall detector rate outside the accepted band")
	}
	d := &FallDetector{
		cfg:      cfg.withDefaults(),
		fs:       fs,
		ring:     make([]ringEntry, int(math.Ceil(ringSec*fs))),
		lastCand: math.MinInt64 / 2,
		cands:    make([]fallCand, 0, maxCands),
	}
	d.nImpact, d.nSettle, d.nPost = d.secs(impactWin), d.secs(d.cfg.SettleSec), max(1, d.secs(d.cfg.PostureSec))
	d.nBlock, d.nGetUp, d.nRelock = max(1, d.secs(upBlock)), d.secs(d.cfg.GetUpSec), d.secs(relockSec)
	d.nBedDrop = max(1, int64(math.Ceil(FreeFallSec(d.cfg.BedDropM)*fs-1e-9)))
	d.maxStep = 2e9 / fs
	return d
}

func (d *FallDetector) secs(s float64) int64 { return int64(math.Round(s * d.fs)) }

// Push adds one sample and returns a fall event when one is complete at
// this sample: the wearer is up again after a fall, or GetUpSec has passed
// since its impact (the alarm itself could be raised at the event's
// DecisionTimeNS, SettleSec + PostureSec after the impact). Samples with a
// non-finite value are skipped and counted. When times are given (non-zero
// TimeNS), a step over 2/fs or backwards restarts the detector: impacts
// pending across the gap are dropped, a decided fall is returned as it
// stands, and no pre-fall window reaches back over the gap.
func (d *FallDetector) Push(s balance.Sample) (ev FallEvent, ok bool) {
	a2, w2 := dot(s.Acc, s.Acc), dot(s.Gyro, s.Gyro)
	// NaN fails every comparison and ±Inf squares to +Inf: one test each.
	if !(a2 <= math.MaxFloat64) || !(w2 <= math.MaxFloat64) {
		d.Skipped++
		return FallEvent{}, false
	}
	if d.lastT != 0 && s.TimeNS != 0 && (s.TimeNS <= d.lastT || float64(s.TimeNS-d.lastT) > d.maxStep) {
		// A gap or a clock step: what came before cannot be joined to
		// what follows. Drop pending impacts and the pre-fall history.
		d.Gaps++
		d.cands = d.cands[:0]
		d.since = d.n
		if d.watch.active && !d.watch.emitted {
			ev, ok = d.watch.ev, true
			ev.InactivityEndNS = d.lastT
		}
		d.watch = fallWatch{}
	}
	d.lastT = s.TimeNS
	i := d.n
	d.n++
	g := math.Sqrt(a2) * (1 / balance.StandardGravity)
	d.ring[i%int64(len(d.ring))] = ringEntry{s.TimeNS, s.Acc, g}

	if d.watch.active {
		if e, done := d.follow(i, s); done {
			return e, true
		}
		return ev, ok
	}
	if g >= d.cfg.ImpactG && i-d.lastCand >= d.nImpact && len(d.cands) < maxCands {
		d.cands = append(d.cands, fallCand{first: i, imp: i, peak: g})
		d.cands[len(d.cands)-1].ev.ImpactTimeNS = s.TimeNS
		d.lastCand = i
	}
	if len(d.cands) == 0 {
		return ev, ok
	}
	settle, win := d.nSettle, d.nPost
	keep := d.cands[:0]
	for k := range d.cands {
		c := &d.cands[k]
		switch {
		case i < c.first+d.nImpact:
			if g > c.peak {
				// A later peak moves the impact and its posture window.
				c.peak, c.imp, c.ev.ImpactTimeNS = g, i, s.TimeNS
				c.post, c.m, c.m2, c.gyro, c.nPost = [3]float64{}, 0, 0, 0, 0
			}
		case !c.preDone:
			d.preFeatures(c)
		}
		if i >= c.imp+settle && i < c.imp+settle+win {
			if c.nPost == 0 {
				c.ev.PostureTimeNS = s.TimeNS
			}
			c.post = add3(c.post, s.Acc)
			c.m += g
			c.m2 += g * g
			c.gyro += math.Sqrt(w2)
			c.nPost++
		}
		if c.preDone && i >= c.imp+settle+win-1 {
			c.ev.DecisionTimeNS = s.TimeNS
			if e, fall := d.decide(c); fall {
				d.startWatch(c, e)
				break
			}
			continue
		}
		keep = append(keep, *c)
	}
	if d.watch.active {
		// One fall, one event: impacts belonging to it are dropped.
		d.cands = d.cands[:0]
	} else {
		d.cands = keep
	}
	return ev, ok
}

// preFeatures computes, once the impact is final, the pre-fall gravity
// direction, the free-fall minimum and the descent speed from the ring.
func (d *FallDetector) preFeatures(c *fallCand) {
	c.preDone = true
	lo, hi := c.imp-d.secs(preLo), c.imp-d.secs(preHi)
	c.pre = d.meanDir(lo, hi)
	c.up = d.cfg.Up
	c.upright = c.up == [3]float64{} || c.pre != [3]float64{} && angleDeg(c.pre, c.up) < d.cfg.PostureDeg
	L := int64(len(d.ring))
	oldest := max(0, d.n-L, d.since)
	c.ev.MinAccG = math.Inf(1)
	v, vmin := 0.0, 0.0
	run, longest := int64(0), int64(0)
	for j := max(oldest, c.imp-d.secs(fallWin)); j < c.imp; j++ {
		e := d.ring[j%L]
		if e.mag < c.ev.MinAccG {
			c.ev.MinAccG = e.mag
		}
		if e.mag < d.cfg.FreeFallG {
			if !c.ev.FreeFall {
				c.ev.FreeFall, c.ev.FreeFallStartNS = true, e.t
			}
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
		v += (e.mag - 1) * balance.StandardGravity / d.fs
		vmin = math.Min(vmin, v)
	}
	if math.IsInf(c.ev.MinAccG, 1) {
		c.ev.MinAccG = c.peak
	}
	c.ev.DescentMS = -vmin
	c.ev.PeakAccG = c.peak
	c.ev.FreeFallS = float64(longest) / d.fs
	c.bedDrop = longest >= d.nBedDrop
}

// decide judges a candidate on its posture window: a fall when the trunk
// was not lying before the impact and turned by PostureDeg or more, or
// (Up known) a fall out of bed: lying before, a free-fall drop of at least
// BedDropM (FreeFallS), and lying after (PostureDeg or more from Up).
func (d *FallDetector) decide(c *fallCand) (FallEvent, bool) {
	ev := c.ev
	if c.nPost == 0 || c.pre == ([3]float64{}) || !c.upright && !c.bedDrop {
		return ev, false
	}
	nf := float64(c.nPost)
	sd := math.Sqrt(math.Max(0, c.m2/nf-(c.m/nf)*(c.m/nf)))
	ev.Inactive = sd < d.cfg.StillG && c.gyro/nf < d.cfg.StillRadS
	post := unit(c.post)
	ev.TiltDeg = angleDeg(c.pre, post)
	if !c.upright {
		// Out of bed: lying before (so Up was known) and lying after.
		if post == ([3]float64{}) || !(angleDeg(post, c.up) >= d.cfg.PostureDeg) {
			return ev, false
		}
		ev.FromLying = true
		ev.Confidence = fallConfidence(ev)
		return ev, true
	}
	if ev.TiltDeg < d.cfg.PostureDeg || d.isUpright(post) {
		// Too little turn, or a turn that ends upright (getting up from
		// lying with a thud is not a fall).
		return ev, false
	}
	ev.Confidence = fallConfidence(ev)
	return ev, true
}

// startWatch begins following the wearer after the fall ev of c; the
// pre-fall direction becomes the wearer's known upright, unless the fall
// was out of bed (lying before it).
func (d *FallDetector) startWatch(c *fallCand, ev FallEvent) {
	d.watch = fallWatch{active: true, ev: ev, ref: c.pre, imp: c.imp}
	if !ev.FromLying {
		d.upright = c.pre
	}
}

// isUpright reports dir within GetUpDeg of the known upright: the
// declared Up, or else the pre-fall direction of the last fall (false
// while neither is known).
func (d *FallDetector) isUpright(dir [3]float64) bool {
	u := d.cfg.Up
	if u == ([3]float64{}) {
		u = d.upright
	}
	return u != ([3]float64{}) && angleDeg(u, dir) <= d.cfg.GetUpDeg
}

// follow adds sample i to the watch after a fall and returns the event
// when it is complete (up again, or GetUpSec after the impact).
func (d *FallDetector) follow(i int64, s balance.Sample) (FallEvent, bool) {
	w := &d.watch
	if w.blkN == 0 {
		w.blkT = s.TimeNS
	}
	w.blk = add3(w.blk, s.Acc)
	w.blkN++
	up := false
	if w.blkN == d.nBlock {
		if d.isUpright(unit(w.blk)) {
			if w.upRun == 0 {
				w.upT = w.blkT
			}
			w.upRun++
		} else {
			w.upRun = 0
		}
		w.blk, w.blkN = [3]float64{}, 0
		up = w.upRun >= 2
	}
	if w.emitted {
		if up || i >= w.imp+d.nRelock {
			d.watch = fallWatch{}
		}
		return FallEvent{}, false
	}
	switch {
	case up:
		w.ev.GotUp, w.ev.GetUpTimeNS = true, w.upT
		w.ev.TimeToGetUpS = float64(w.upT-w.ev.ImpactTimeNS) / 1e9
		w.ev.InactivityEndNS = s.TimeNS
		ev := w.ev
		d.watch = fallWatch{}
		return ev, true
	case i >= w.imp+d.nGetUp:
		w.ev.InactivityEndNS = s.TimeNS
		w.emitted = true
		return w.ev, true
	}
	return FallEvent{}, false
}

// Flush returns the fall still being followed at the end of a recording
// (InactivityEndNS is then the last sample's time), or else decides the
// impacts still pending: those with at least half of their posture window
// seen are judged on what was seen (DecisionTimeNS is then the last
// sample's time); the rest are dropped. The detector may be used again
// afterwards.
func (d *FallDetector) Flush() []FallEvent {
	var out []FallEvent
	if d.watch.active && !d.watch.emitted {
		ev := d.watch.ev
		ev.InactivityEndNS = d.lastT
		out = append(out, ev)
	}
	if len(out) == 0 {
		for k := range d.cands {
			c := &d.cands[k]
			if !c.preDone || c.nPost < int(d.nPost/2) {
				continue
			}
			c.ev.DecisionTimeNS, c.ev.InactivityEndNS = d.lastT, d.lastT
			if ev, ok := d.decide(c); ok {
				out = append(out, ev)
				break // one fall, one event
			}
		}
	}
	d.cands = d.cands[:0]
	d.watch = fallWatch{}
	return out
}
