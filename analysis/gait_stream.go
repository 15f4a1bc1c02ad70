package analysis

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
)

// GaitStream runs Gait over a recording given a chunk of samples at a time,
// in memory bounded by the chunk plus the gait sequence still open at its
// end, and gives the result Gait gives on all the samples at once:
//
//   - time gaps are bridged or split as BridgeGaps does, sample by sample;
//   - in each stretch between long gaps (and flat runs), the samples are
//     kept from the stretch's start (or the last cut) on; when
//     chunk samples have come, GaitSequences runs over what is kept, every
//     sequence that ends at least GaitStreamMarginS before the kept end is
//     final and analysed as Gait analyses it, and the kept samples are cut
//     GaitStreamMarginS before the first sequence that is not (or before
//     the end less the margin), at a multiple of the sequence detector's
//     window hop from the stretch's start, so that its 3 s windows fall
//     where they fall in Gait. The margin lets the detector's zero-phase
//     band-pass (time constant under 1 s) settle, and covers the merging
//     of windows up to 2 s apart; a sequence already analysed (ending at
//     or before the cut's accepted point) is not analysed again.
//
// Differences from Gait, all documented edge cases: a gait sequence longer
// than maxOpen samples (an hour at the default) is cut there; runs of one
// repeated acceleration of 1 s or more split the stretch even when the raw
// samples hold no such run (Gait splits only when one raw run is 1 s long:
// a bridged gap can lengthen a run); hasGyro is the file's (the header's)
// rather than found in the samples; and the filtered values near a cut
// agree with Gait's to rounding, which could in principle move a window
// sitting exactly on a threshold.
//
// Up also gives what UpFromBouts would compute over the same bouts: the
// sum of the raw samples inside bouts, collected as sequences are analysed.
// A zero GaitStream is not usable; call NewGaitStream.
type GaitStream struct {
	fs               float64
	l, k             float64
	rules            BoutRules
	hasGyro          bool
	chunk, margin    int
	maxOpen, step    int
	minFlat          int
	res              GaitResult
	n, nb            int // raw samples seen, bridged samples made
	t00              int64
	prev             balance.Sample
	dt, maxNS, span  float64
	regular, missing int
	run, longest     int // raw runs of one repeated acceleration
	gyro             bool
	varies           bool
	hiExt, loExt     [3]float64
	hiRun, loRun     [3]int
	hiHit, loHit     [3]bool
	gaps             bool
	// The open stretch: seg holds its bridged samples from index segOff of
	// the stretch on, raw marks the measured (not interpolated) ones.
	seg                []balance.Sample
	raw                []bool
	segOff             int
	segT               float64
	accept             int // stretch index: sequences ending at or before it are done
	nextAt             int // process when len(seg) reaches it
	flatStart, flatLen int // current run of one acceleration in seg
	inFlat             bool
	flat               [3]float64 // the stuck acceleration while inFlat
	upSum              [3]float64
	upN                int
	err                error
}

// GaitStreamMarginS is the margin, s, GaitStream keeps before a cut and
// before the end of what it has for a gait sequence to be final: many
// times the 0.5-3 Hz band-pass's settling time (under 1 s) and more than
// the 2 s over which GaitSequences merges windows.
const GaitStreamMarginS = 30.0

// NewGaitStream returns a GaitStream for samples at fs Hz with Gait's
// parameters p; chunkS is how many seconds of samples it gathers before
// looking for gait sequences (0: 10 min); hasGyro says whether the
// recording carries a gyroscope (turns). It returns ErrBadRate for fs
// outside balance.MinRateHz..MaxRateHz.
func NewGaitStream(fs float64, p GaitParams, hasGyro bool, chunkS float64) (*GaitStream, error) {
	if err := CheckRate(fs); err != nil {
		return nil, err
	}
	if !(chunkS > 0) {
		chunkS = 600
	}
	q := max(1, int(math.Round(fs/gsdRateHz)))
	win := int(math.Round(gsdWindowS * fs / float64(q)))
	g := &GaitStream{
		fs: fs, hasGyro: hasGyro, chunk: max(int(chunkS*fs), 1), margin: int(GaitStreamMarginS * fs),
		maxOpen: int(3600 * fs), step: max(1, win/2) * q, minFlat: int(fs),
		dt: 1e9 / fs, maxNS: MaxBridgeGapS * 1e9,
	}
	g.chunk = max(g.chunk, 4*g.margin)
	g.l, g.k, g.rules = gaitSettings(p)
	g.res.SensorHeightM = g.l
	for k := 0; k < 3; k++ {
		g.hiExt[k], g.loExt[k] = math.Inf(-1), math.Inf(1)
	}
	g.nextAt = g.chunk
	return g, nil
}

// Push adds samples (time order, continuing the previous ones) to the
// analysis. Errors are ErrGap (a time that does not increase) and those of
// the first Push that failed, again.
func (g *GaitStream) Push(samples []balance.Sample) error {
	for i := range samples {
		if g.err != nil {
			return g.err
		}
		g.push(&samples[i])
	}
	return g.err
}

func (g *GaitStream) push(s *balance.Sample) {
	if g.n == 0 {
		g.t00 = s.TimeNS
		g.run, g.longest = 1, 1
		g.startSeg(s)
		g.addRaw(s)
		g.prev = *s
		g.n++
		return
	}
	if s.Acc != g.prev.Acc {
		g.varies = true
	}
	if s.Acc == g.prev.Acc {
		g.run++
		g.longest = max(g.longest, g.run)
	} else {
		g.run = 1
	}
	a := g.prev
	d := float64(s.TimeNS - a.TimeNS)
	if d <= 0 {
		g.err = fmt.Errorf("%w: time does not increase at sample %d", ErrGap, g.n)
		return
	}
	switch k, split := gapStep(d, g.dt, g.maxNS); {
	case !split && k == 0:
		g.span += d
		g.regular++
		g.addRaw(s)
	case !split:
		g.missing += k
		for j := 1; j <= k; j++ {
			b := lerpSample(&a, s, d, float64(j)/float64(k+1))
			g.add(&b, false)
		}
		g.addRaw(s)
	default:
		g.gaps = true
		g.endSeg()
		g.startSeg(s)
		g.addRaw(s)
	}
	g.prev = *s
	g.n++
}

func (g *GaitStream) addRaw(s *balance.Sample) { g.add(s, true) }

// add appends one bridged sample to the open stretch.
func (g *GaitStream) add(s *balance.Sample, raw bool) {
	g.nb++
	if s.Gyro != ([3]float64{}) {
		g.gyro = true
	}
	for k := 0; k < 3; k++ {
		switch v := s.Acc[k]; {
		case v > g.hiExt[k]:
			g.hiExt[k], g.hiRun[k], g.hiHit[k] = v, 1, false
		case v == g.hiExt[k]:
			if g.hiRun[k]++; g.hiRun[k] >= 3 {
				g.hiHit[k] = true
			}
		default:
			g.hiRun[k] = 0
		}
		switch v := s.Acc[k]; {
		case v < g.loExt[k]:
			g.loExt[k], g.loRun[k], g.loHit[k] = v, 1, false
		case v == g.loExt[k]:
			if g.loRun[k]++; g.loRun[k] >= 3 {
				g.loHit[k] = true
			}
		default:
			g.loRun[k] = 0
		}
	}
	if g.inFlat {
		if s.Acc == g.flat {
			return
		}
		g.inFlat = false
		g.startSeg(s)
	}
	if n := len(g.seg); n > 0 && s.Acc == g.seg[n-1].Acc {
		g.flatLen++
	} else {
		g.flatStart, g.flatLen = n, 1
	}
	g.seg = append(g.seg, *s)
	g.raw = append(g.raw, raw)
	if g.flatLen >= g.minFlat {
		// A stuck accelerometer ends the stretch where the run began
		// (splitAtFlat); the next different sample starts a new one.
		flat := g.seg[g.flatStart].Acc
		g.seg, g.raw = g.seg[:g.flatStart], g.raw[:g.flatStart]
		g.endSeg()
		g.inFlat, g.flat = true, flat
		return
	}
	if len(g.seg) >= g.nextAt {
		g.process(false)
	}
}

// startSeg opens a stretch whose first sample is s (not yet added).
func (g *GaitStream) startSeg(s *balance.Sample) {
	g.seg, g.raw = g.seg[:0], g.raw[:0]
	g.segOff, g.accept, g.flatLen, g.inFlat = 0, 0, 0, false
	g.segT = float64(s.TimeNS-g.t00) / 1e9
	g.nextAt = g.chunk
}

// endSeg analyses what is left of the open stretch.
func (g *GaitStream) endSeg() {
	g.process(true)
	g.seg, g.raw = g.seg[:0], g.raw[:0]
}

// process looks for gait sequences in the kept samples of the open stretch
// and analyses those that are final (all of them when final is true), then
// cuts the kept samples.
func (g *GaitStream) process(final bool) {
	if len(g.seg) == 0 {
		return
	}
	n := len(g.seg)
	open := n - g.margin // first sequence ending past it is not final
	if final || n-(g.accept-g.segOff) > g.maxOpen {
		// The end, or a sequence open for maxOpen: analyse it all.
		open = n
	}
	a := open
	for _, gs := range GaitSequences(g.seg, g.fs) {
		if g.segOff+gs.End <= g.accept {
			continue // analysed before the last cut
		}
		if gs.End > open {
			a = min(a, gs.Start)
			break
		}
		// A sequence reaching back over the accepted point (one cut at
		// maxOpen) is analysed from that point on only.
		gs.Start = max(gs.Start, g.accept-g.segOff)
		g.sequence(gs)
	}
	if final {
		return
	}
	g.accept = max(g.accept, g.segOff+a)
	cut := max(0, g.segOff+a-g.margin) / g.step * g.step
	if c := cut - g.segOff; c > 0 {
		k := copy(g.seg, g.seg[c:])
		copy(g.raw, g.raw[c:])
		g.seg, g.raw = g.seg[:k], g.raw[:k]
		g.segOff = cut
		g.flatStart -= c
	}
	g.nextAt = len(g.seg) + g.chunk
}

// sequence analyses the gait sequence gs of the kept samples as Gait does.
func (g *GaitStream) sequence(gs Interval) {
	fs := g.fs
	t0 := g.segT + float64(g.segOff+gs.Start)/fs
	g.res.Sequences = append(g.res.Sequences, [2]float64{t0, g.segT + float64(g.segOff+gs.End)/fs})
	bouts := gaitSequence(g.seg[gs.Start:gs.End], fs, t0, g.l, g.k, g.rules, g.hasGyro)
	for i := range bouts {
		bouts[i].StartTimeNS = g.t00 + int64(math.Round(bouts[i].Start*1e9))
	}
	g.res.Bouts = append(g.res.Bouts, bouts...)
	if len(bouts) == 0 {
		return
	}
	for i := gs.Start; i < gs.End; i++ {
		if !g.raw[i] {
			continue
		}
		t := float64(g.seg[i].TimeNS-g.t00) / 1e9
		for k := range bouts {
			if t >= bouts[k].Start && t <= bouts[k].End {
				g.upSum = add3(g.upSum, g.seg[i].Acc)
				g.upN++
				break
			}
		}
	}
}

// Result analyses what is left and returns the result Gait gives on all
// the samples pushed, with Gait's errors: ErrTooShort below 3 s, ErrFlat
// for a constant accelerometer, ErrBadRate when the times contradict fs
// (BridgeGaps' rule), and Push's errors. Push must not be called after it.
func (g *GaitStream) Result() (GaitResult, error) {
	if g.err != nil {
		return GaitResult{}, g.err
	}
	fs := g.fs
	if float64(g.n) < minGaitSeconds*fs {
		return GaitResult{}, fmt.Errorf("%w: %d samples (%.2f s), gait needs %.0f s", ErrTooShort, g.n, float64(g.n)/fs, minGaitSeconds)
	}
	if !g.varies {
		return GaitResult{}, fmt.Errorf("%w: every accelerometer axis is constant", ErrFlat)
	}
	if g.n > 1 {
		if 2*g.regular < g.n-1 {
			return GaitResult{}, fmt.Errorf("%w: only %d of %d time steps are 1/%v s", ErrBadRate, g.regular, g.n-1, fs)
		}
		if mean := g.span / float64(g.regular); math.Abs(mean-g.dt) > 0.1*g.dt {
			return GaitResult{}, fmt.Errorf("%w: timestamps say %.4g Hz, declared %v Hz", ErrBadRate, 1e9/mean, fs)
		}
	}
	if !g.inFlat {
		g.endSeg()
	}
	res := g.res
	res.DurationS = float64(g.nb) / fs
	res.BridgedSamples = g.missing
	if g.gaps {
		res.Quality = append(res.Quality, FlagGaps)
	}
	if g.missing > 0 {
		res.Quality = append(res.Quality, FlagGapsBridged)
	}
	const lim = 1.5 * balance.StandardGravity
	sat := false
	for k := 0; k < 3; k++ {
		sat = sat || g.hiHit[k] && math.Abs(g.hiExt[k]) >= lim || g.loHit[k] && math.Abs(g.loExt[k]) >= lim
	}
	if sat {
		res.Quality = append(res.Quality, FlagSaturated)
	}
	if float64(g.longest) >= fs {
		res.Quality = append(res.Quality, FlagFlatline)
	}
	if g.l == 0 {
		res.Quality = append(res.Quality, FlagNoSensorHeight)
	}
	if !g.gyro {
		res.Quality = append(res.Quality, FlagNoGyro)
	}
	res.Aggregates = Aggregate(res.Bouts)
	return res, nil
}

// Up returns what UpFromBouts returns for the recording pushed and the
// bouts of Result (call it after Result): the direction of the mean raw
// acceleration inside the bouts, the walking seconds, and ErrNoWalkingUp
// below UpMinWalkS.
func (g *GaitStream) Up() (up [3]float64, walkS float64, err error) {
	walkS = float64(g.upN) / g.fs
	if len(g.res.Bouts) == 0 {
		return up, 0, ErrNoWalkingUp
	}
	if walkS < UpMinWalkS {
		return up, walkS, fmt.Errorf("%w: %.1f s in %d bout(s), need %.0f s", ErrNoWalkingUp, walkS, len(g.res.Bouts), UpMinWalkS)
	}
	if up = unit(g.upSum); up == ([3]float64{}) {
		return up, walkS, fmt.Errorf("%w: the mean acceleration over walking is zero", ErrNoWalkingUp)
	}
	return up, walkS, nil
}
