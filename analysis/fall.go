package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// FallConfig holds the fall detector's thresholds. Zero fields take the
// published defaults noted on each; none is fitted to a data set.
type FallConfig struct {
	// ImpactG is the impact threshold on |acc| in g. Default 2.0 g, the
	// waist impact threshold of Kangas et al. 2008 (Gait Posture 28:285);
	// published trunk/waist values span 2-3.5 g (Bourke 2007: 3.52 g).
	ImpactG float64
	// FreeFallG is the free-fall threshold on |acc| in g within the second
	// before impact. Default 0.6 g (Kangas 2008; Bourke 2007's lower
	// threshold is 0.41 g). Free fall raises confidence but is not required:
	// falls from sitting and slumps have little of it.
	FreeFallG float64
	// PostureDeg is the least change of the gravity direction between
	// before and after the impact for the wearer to be lying. Default 60°
	// (Kangas 2008; Bourke 2010: 60° from upright).
	PostureDeg float64
	// SettleSec is how long after the impact the posture and inactivity
	// windows begin (bounces and rolling settle); default 1 s.
	SettleSec float64
	// PostureSec is the length of the post-impact posture/inactivity
	// window; default 2 s (Kangas 2008 checks posture 2 s after impact;
	// the literature's inactivity windows span 2-60 s).
	PostureSec float64
	// StillG and StillRadS bound the standard deviation of |acc| (g) and
	// the mean |gyro| (rad/s) in the post-impact window for "inactive".
	// Defaults 0.05 g (breathing and sensor noise move |acc| by under
	// 0.02 g; slow walking by over 0.1 g) and 0.35 rad/s (20 °/s).
	StillG, StillRadS float64
	// SkipInactivity makes inactivity a confidence cue instead of a
	// requirement (more sensitive to people who move after a fall, more
	// false alarms).
	SkipInactivity bool
}

func (c FallConfig) withDefaults() FallConfig {
	def := func(v *float64, d float64) {
		if !(*v > 0) {
			*v = d
		}
	}
	def(&c.ImpactG, 2.0)
	def(&c.FreeFallG, 0.6)
	def(&c.PostureDeg, 60)
	def(&c.SettleSec, 1)
	def(&c.PostureSec, 2)
	def(&c.StillG, 0.05)
	def(&c.StillRadS, 0.35)
	return c
}

// Fixed windows of the multiphase model (Becker/Klenk/Palmerini): the
// impact is the largest |acc| within impactWin of the first crossing; the
// pre-fall posture is the mean gravity direction from preLo to preHi
// seconds before it; free fall and the descent speed are looked for in the
// second before it.
const (
	impactWin = 1.0
	preLo     = 2.5
	preHi     = 1.0
	fallWin   = 1.0
	ringSec   = 4.0
	// speedMS is Bourke et al. 2010's (J Biomech 43:3051) vertical-velocity
	// threshold, 0.7 m/s, used here as a confidence cue on the descent
	// speed estimated from |acc|.
	speedMS = 0.7
	// hardImpactG is Bourke 2007's trunk upper fall threshold, a
	// confidence cue.
	hardImpactG = 3.52
	maxCands    = 8
)

// FallEvent is one detected fall. Times are the samples' TimeNS.
type FallEvent struct {
	// FreeFall reports |acc| under FreeFallG in the second before impact;
	// FreeFallStartNS is then the first such sample's time.
	FreeFall        bool
	FreeFallStartNS int64
	// ImpactTimeNS is the time of the largest |acc| of the impact.
	ImpactTimeNS int64
	// PostureTimeNS is when the post-impact posture window began.
	PostureTimeNS int64
	// InactivityEndNS is the end of the post-impact window (the decision).
	InactivityEndNS int64
	// PeakAccG is the impact's |acc| in g; MinAccG the least |acc| in the
	// second before it.
	PeakAccG, MinAccG float64
	// DescentMS is the downward speed (m/s) reached before impact, from
	// the running integral of (|acc| - g) over the second before it: an
	// axis-free stand-in for vertical velocity.
	DescentMS float64
	// TiltDeg is the angle between the gravity directions before and after
	// the fall.
	TiltDeg float64
	// Inactive reports the wearer still in the post-impact window.
	Inactive bool
	// Confidence in [0,1]: 0.55 for impact + posture (+ inactivity unless
	// skipped), plus 0.15 each for free fall, descent ≥ 0.7 m/s and impact
	// ≥ 3.52 g; with SkipInactivity, inactivity is a further cue and the
	// base is 0.4.
	Confidence float64
}

type fallCand struct {
	first, imp  int64 // sample indices
	peak        float64
	ev          FallEvent
	pre         [3]float64
	post        [3]float64
	m, m2, gyro float64
	nPost       int
	preDone     bool
}

type ringEntry struct {
	t   int64
	acc [3]float64
	mag float64
}

// FallDetector finds falls in a continuous stream of samples, one Push at
// a time, with state bounded by a 4 s ring buffer and at most 8 pending
// impacts. It uses no sensor axes: upright is whatever the gravity
// direction was before the impact. A zero value is not usable; call
// NewFallDetector.
type FallDetector struct {
	cfg      FallConfig
	fs       float64
	ring     []ringEntry
	n        int64 // samples pushed
	cands    []fallCand
	lastCand int64 // index of the last candidate's first crossing
	quiet    int64 // no new candidates before this index (after an event)
	// Window lengths in samples.
	nImpact, nSettle, nPost int64
	lastT                   int64   // previous sample's time
	maxStep                 float64 // largest time step (ns) that is not a gap: 2/fs
	since                   int64   // first sample index after the last gap
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
	d.nImpact, d.nSettle, d.nPost = d.secs(impactWin), d.secs(d.cfg.SettleSec), d.secs(d.cfg.PostureSec)
	d.maxStep = 2e9 / fs
	return d
}

func (d *FallDetector) secs(s float64) int64 { return int64(math.Round(s * d.fs)) }

// Push adds one sample and returns a fall event when one is decided at
// this sample (SettleSec + PostureSec after its impact). Samples with a
// non-finite value are skipped and counted. When times are given (non-zero
// TimeNS), a step over 2/fs or backwards restarts the detector: impacts
// pending across the gap are dropped and no pre-fall window reaches back
// over it.
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
	}
	d.lastT = s.TimeNS
	i := d.n
	d.n++
	g := math.Sqrt(a2) * (1 / balance.StandardGravity)
	d.ring[i%int64(len(d.ring))] = ringEntry{s.TimeNS, s.Acc, g}

	if g >= d.cfg.ImpactG && i >= d.quiet && i-d.lastCand >= d.nImpact && len(d.cands) < maxCands {
		d.cands = append(d.cands, fallCand{first: i, imp: i, peak: g})
		d.cands[len(d.cands)-1].ev.ImpactTimeNS = s.TimeNS
		d.lastCand = i
	}
	if len(d.cands) == 0 {
		return FallEvent{}, false
	}
	settle, win := d.nSettle, d.nPost
	keep := d.cands[:0]
	for k := range d.cands {
		c := &d.cands[k]
		switch {
		case i < c.first+d.nImpact:
			if g > c.peak {
				c.peak, c.imp, c.ev.ImpactTimeNS = g, i, s.TimeNS
			}
		case !c.preDone:
			d.preFeatures(c)
		}
		if c.preDone && i >= c.imp+settle && i < c.imp+settle+win {
			if c.nPost == 0 {
				c.ev.PostureTimeNS = s.TimeNS
			}
			c.post = add3(c.post, s.Acc)
			c.m += g
			c.m2 += g * g
			c.gyro += math.Sqrt(w2)
			c.nPost++
		}
		if c.preDone && i == c.imp+settle+win-1 {
			c.ev.InactivityEndNS = s.TimeNS
			if e, fall := d.decide(c); fall && !ok {
				ev, ok = e, true
				continue
			}
			continue
		}
		keep = append(keep, *c)
	}
	d.cands = keep
	if ok {
		// One fall, one alarm: drop impacts belonging to it.
		d.cands = d.cands[:0]
		d.quiet = i + 1
	}
	return ev, ok
}

// preFeatures computes, once the impact is final, the pre-fall gravity
// direction, the free-fall minimum and the descent speed from the ring.
func (d *FallDetector) preFeatures(c *fallCand) {
	c.preDone = true
	L := int64(len(d.ring))
	oldest := max(0, d.n-L, d.since)
	var pre [3]float64
	for j := max(oldest, c.imp-d.secs(preLo)); j < c.imp-d.secs(preHi); j++ {
		pre = add3(pre, d.ring[j%L].acc)
	}
	c.pre = unit(pre)
	c.ev.MinAccG = math.Inf(1)
	v, vmin := 0.0, 0.0
	for j := max(oldest, c.imp-d.secs(fallWin)); j < c.imp; j++ {
		e := d.ring[j%L]
		if e.mag < c.ev.MinAccG {
			c.ev.MinAccG = e.mag
		}
		if !c.ev.FreeFall && e.mag < d.cfg.FreeFallG {
			c.ev.FreeFall, c.ev.FreeFallStartNS = true, e.t
		}
		v += (e.mag - 1) * balance.StandardGravity / d.fs
		vmin = math.Min(vmin, v)
	}
	if math.IsInf(c.ev.MinAccG, 1) {
		c.ev.MinAccG = c.peak
	}
	c.ev.DescentMS = -vmin
	c.ev.PeakAccG = c.peak
}

func (d *FallDetector) decide(c *fallCand) (FallEvent, bool) {
	ev := c.ev
	if c.nPost == 0 || c.pre == ([3]float64{}) {
		return ev, false
	}
	nf := float64(c.nPost)
	sd := math.Sqrt(math.Max(0, c.m2/nf-(c.m/nf)*(c.m/nf)))
	ev.Inactive = sd < d.cfg.StillG && c.gyro/nf < d.cfg.StillRadS
	ev.TiltDeg = angleDeg(c.pre, unit(c.post))
	if ev.TiltDeg < d.cfg.PostureDeg {
		return ev, false
	}
	conf := 0.55
	if d.cfg.SkipInactivity {
		conf = 0.4
		if ev.Inactive {
			conf += 0.15
		}
	} else if !ev.Inactive {
		return ev, false
	}
	if ev.FreeFall {
		conf += 0.15
	}
	if ev.DescentMS >= speedMS {
		conf += 0.15
	}
	if ev.PeakAccG >= hardImpactG {
		conf += 0.15
	}
	ev.Confidence = math.Min(1, conf)
	return ev, true
}

// Flush decides the impacts still pending at the end of a recording: those
// with at least half of their post-impact window seen are judged on what
// was seen (InactivityEndNS is then the last sample's time); the rest are
// dropped. The detector may be used again afterwards.
func (d *FallDetector) Flush() []FallEvent {
	var out []FallEvent
	for k := range d.cands {
		c := &d.cands[k]
		if !c.preDone || c.nPost < int(d.nPost/2) {
			continue
		}
		c.ev.InactivityEndNS = d.lastT
		if ev, ok := d.decide(c); ok {
			out = append(out, ev)
			break // one fall, one alarm
		}
	}
	d.cands = d.cands[:0]
	return out
}

// DetectFalls runs a FallDetector over a whole recording and flushes it.
// Impacts within SettleSec + PostureSec/2 of the end are not reported. Unlike
// NewFallDetector it does not panic on a rate outside balance.MinRateHz..
// MaxRateHz: it returns no events (rates are validated at ingest by
// balance.Batch.Validate; use CheckRate to tell the cases apart).
func DetectFalls(samples []balance.Sample, fs float64, cfg FallConfig) []FallEvent {
	if CheckRate(fs) != nil {
		return nil
	}
	d := NewFallDetector(fs, cfg)
	var out []FallEvent
	for i := range samples {
		if ev, ok := d.Push(samples[i]); ok {
			out = append(out, ev)
		}
	}
	return append(out, d.Flush()...)
}
