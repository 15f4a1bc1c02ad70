package monitor

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// Stream thresholds on 1 s blocks of samples.
const (
	// movingStdG and movingGyro: a block with |acc| SD above 0.05 g or mean
	// |gyro| above 0.35 rad/s is movement (the fall detector's stillness
	// bounds: breathing moves |acc| by under 0.02 g).
	movingStdG = 0.05
	movingGyro = 0.35
	// gaitEndS of stillness ends an activity span; spans shorter than
	// gaitMinS are not analysed; spans longer than gaitMaxS are cut.
	gaitEndS = 3
	gaitMinS = 5
	gaitMaxS = 600
	// gaitPadS of context is analysed on each side of a span (kept from
	// the stream, or read back).
	gaitPadS = 2
	// catchUpMax bounds how far back a device's samples are read from the
	// store after dropped batches or a restart.
	catchUpMax = 10 * time.Minute
	// maxPending bounds the sessions waiting for their samples per device.
	maxPending = 16
	// sessionWait is how long a stopped session waits for its samples.
	sessionWait = 2 * time.Minute
)

// openSession is a session whose start was seen.
type openSession struct {
	id, kind, exercise string
	start              time.Time
	// buf keeps the session's samples as they arrive (sessionbuf.go);
	// nil when its start was found in the stored events (read back).
	buf *sessionBuf
}

// pendingSession is a stopped session waiting for its samples.
type pendingSession struct {
	openSession
	stop    time.Time
	queued  time.Time // wall time
	early   bool      // analysed once before its samples were all in
	device  string
	patient string
}

// fallWatch follows a patient after a fall until they move.
type fallWatch struct {
	alertID  string
	impactNS int64
	deadline int64     // device time at which no movement escalates
	wall     time.Time // wall time of the fall's detection
	// escalated: the no-movement alert went out; the watch goes on until
	// the patient moves.
	escalated bool
}

// deviceState is the bounded per-device stream state: a fall detector (a 4 s
// ring), one block accumulator, a few times, at most maxPending sessions,
// and the samples kept for free-living gait and sessions (a 3 s ring, and
// activity spans and open or stopped sessions within the Monitor's sample
// buffer budget: spanbuf.go, sessionbuf.go).
type deviceState struct {
	id, patient string
	rate        float64
	det         *analysis.FallDetector
	wm          int64 // device time of the last analysed sample
	floor       int64 // the watermark the previous run left
	lookedUp    bool  // resume looked for a watermark saved since the start
	caughtUp    bool

	// 1 s block accumulator.
	bn              int
	bSum, bSq, bGyr float64
	bStart          int64

	spanStart, spanLast int64 // activity span for gait (0: none)
	lastMoveNS          int64 // last block with more than the not-worn floor

	// The samples kept for free-living gait (spanbuf.go): the ring of
	// the latest (gaitPadS+1) s, the open span's buffer, and a span
	// ended but still waiting for its after-pad. gBad is the latest device
	// time up to which the stream missed samples the store may hold:
	// spans and sessions whose window reaches back to it are read back.
	ring            *sampleRing
	gOpen, gClosing *spanBuf
	gBad            int64

	// seen holds the first sample times of the last batches analysed, to
	// tell a duplicate from a batch that arrives late.
	seen  [32]int64
	seenN int

	open     map[string]openSession // by kind
	lastStop map[string]time.Time   // by kind: the latest stop seen
	pending  []pendingSession
	watch    *fallWatch

	// holes are intervals the detector has not seen because reading them
	// back failed (the store down or slow) or the read-back limit
	// (Config.ReadBackPerS) deferred the read; they are re-read every
	// Monitor.RefillEvery until they are analysed, and the saved watermark
	// stays before the oldest (so that a restart re-reads it too).
	holes      []hole
	nextRefill time.Time

	// notWornID is the open not-worn alert (moving again resolves it).
	notWornID string

	// up is the wearer's upright axis (sensor coordinates) learned from
	// their walking, zero until the first walking bout: the fall detector
	// then does not alarm on impacts while lying (rolling in bed). learned
	// carries a new one from the gait analysis (the slow goroutine) to the
	// worker, which hands it to det between Push calls (takeUp). upForgotNS
	// is the device time at which it was last forgotten (forgetUp): an axis
	// learned from walking before then is not taken.
	up         [3]float64
	learned    atomic.Pointer[learnedUp]
	upForgotNS int64
}

// learnedUp is an upright axis learned from walking that ended at atNS
// (device time).
type learnedUp struct {
	up   [3]float64
	atNS int64
}

// upForgetGap: a device silent this long (device time) may have been
// taken off (charging, the night) and clipped on again another way, so
// the axis learned before is forgotten until the wearer walks again.
const upForgetGap = int64(time.Hour)

// takeUp hands an axis learned since the last call to the fall detector.
func (d *deviceState) takeUp() {
	l := d.learned.Swap(nil)
	if l == nil || l.atNS <= d.upForgotNS {
		return
	}
	d.up = l.up
	if d.det != nil {
		d.det.SetUp(d.up)
	}
}

// forgetUp is deviceState.forgetUp, stored (in the slow lane) so that a
// restart does not bring the forgotten axis back.
func (w *worker) forgetUp(d *deviceState, atNS int64) {
	d.forgetUp(atNS)
	w.m.saveUp(d.id, balance.UprightAxis{LearnedNS: atNS})
}

// forgetUp drops the learned axis (the device was taken off or silent for
// long): the detector runs without it until the wearer walks again.
func (d *deviceState) forgetUp(atNS int64) {
	d.up, d.upForgotNS = [3]float64{}, atNS
	d.learned.Store(nil)
	if d.det != nil {
		d.det.SetUp(d.up)
	}
}

// hole is an interval [from, to) of device time, ns.
type hole struct {
	from, to int64
	// failed is when a read of it first failed or came back incomplete;
	// zero while its reads were only deferred by the read-back limit.
	failed time.Time
}

// refillTimeout bounds one re-read of a hole (Monitor.RefillEvery paces them).
const refillTimeout = 3 * time.Second

// maxHoles bounds a device's holes: beyond it the two oldest merge.
const maxHoles = 64

// holeGiveUp is how long a hole is re-read after its first failed or
// incomplete read before it is given up (logged and counted): the store
// has been down, or the device sent nothing there. Time a hole spends
// waiting for the read-back limit (no read tried) does not count: under a
// long overload a hole waits rather than being given up unread, and the
// saved watermark stays before it meanwhile.
const holeGiveUp = 24 * time.Hour

// addHole adds [from, to) to the device's holes: failed says whether a read
// of it failed (false: the read-back limit deferred it, and no read was
// tried yet).
func (d *deviceState) addHole(from, to int64, failed bool) {
	h := hole{from: from, to: to}
	if failed {
		h.failed = time.Now()
	}
	d.holes = append(d.holes, h)
	if len(d.holes) > maxHoles {
		a, b := &d.holes[0], &d.holes[1]
		b.from, b.to = min(a.from, b.from), max(a.to, b.to)
		if b.failed.IsZero() || (!a.failed.IsZero() && a.failed.Before(b.failed)) {
			b.failed = a.failed
		}
		d.holes = d.holes[1:]
	}
}

// savedWM is the watermark that may be saved: before the oldest hole.
func (d *deviceState) savedWM() int64 {
	wm := d.wm
	for _, h := range d.holes {
		wm = min(wm, h.from-1)
	}
	return wm
}

type worker struct {
	m       *Monitor
	id      int
	devices map[string]*deviceState
	initWM  map[string]int64
	// initUp holds the upright axes stored by an earlier run.
	initUp map[string]balance.UprightAxis
}

func newWorker(m *Monitor, id int, wm map[string]int64, ups map[string]balance.UprightAxis) *worker {
	return &worker{m: m, id: id, devices: map[string]*deviceState{}, initWM: wm, initUp: ups}
}

func (w *worker) run(q chan job, ticks chan time.Time) {
	for {
		select {
		case <-w.m.stop:
			w.drain(q)
			for _, d := range w.devices {
				w.dropBufs(d)
			}
			return
		case j := <-q:
			w.handle(j)
		case now := <-ticks:
			w.handle(job{tick: now})
		}
	}
}

// drain handles what is queued already, until Close's grace runs out; what
// is left is redone after the restart (batches beyond the saved watermark
// are read back, sessions found again in the stored events).
func (w *worker) drain(q chan job) {
	for {
		select {
		case j := <-q:
			if w.m.draining() {
				w.handle(j)
			} else {
				w.m.stats.LeftAtStop.Add(1)
			}
		default:
			return
		}
	}
}

func (w *worker) handle(j job) {
	ctx := w.m.runCtx
	switch {
	case j.batch != nil:
		w.batch(ctx, j.batch)
	case j.stored != nil:
		if d := w.devices[j.stored.DeviceID]; d != nil && d.rate > 0 {
			w.reanalyseSessions(ctx, d, j.stored.Samples[0].TimeNS, j.stored.Samples[len(j.stored.Samples)-1].TimeNS)
		}
	case j.event != nil:
		w.event(ctx, *j.event)
	case j.forget != nil:
		for id, d := range w.devices {
			if j.forget(id) {
				w.dropBufs(d)
				delete(w.devices, id)
			}
		}
		for id := range w.initWM {
			if j.forget(id) {
				delete(w.initWM, id)
			}
		}
		for id := range w.initUp {
			if j.forget(id) {
				delete(w.initUp, id)
			}
		}
	case !j.tick.IsZero():
		w.tick(ctx, j.tick)
	}
}

func (w *worker) device(id, patient string) *deviceState {
	d := w.devices[id]
	if d == nil {
		d = &deviceState{id: id, patient: patient, wm: w.initWM[id], floor: w.initWM[id], open: map[string]openSession{}, lastStop: map[string]time.Time{}}
		if a, ok := w.initUp[id]; ok {
			// The axis an earlier run learned (or forgot): the silence
			// check below forgets it again if the device was off too long.
			d.up, d.upForgotNS = a.Up, 0
			if a.Up == ([3]float64{}) {
				d.upForgotNS = a.LearnedNS
			}
		}
		w.devices[id] = d
	}
	d.patient = patient
	return d
}

// batchRate returns the batch's declared rate or one estimated from its
// sample times (0 when neither is usable).
func batchRate(b *balance.Batch) float64 {
	if b.RateHz > 0 {
		return b.RateHz
	}
	return estimateRate(b.Samples)
}

// estimateRate is 1 / the median time step of samples, 0 when unusable.
func estimateRate(ss []balance.Sample) float64 { return analysis.EstimateRate(ss) }

func (w *worker) batch(ctx context.Context, b *balance.Batch) {
	m := w.m
	d := w.device(b.DeviceID, b.PatientID)
	fs := batchRate(b)
	if fs == 0 {
		m.log.Warn("batch without a usable rate skipped by monitoring", "device", b.DeviceID)
		return
	}
	if d.det == nil || d.rate != fs {
		d.rate = fs
		d.det = analysis.NewFallDetector(fs, analysis.FallConfig{Up: d.up})
		d.bn = 0
	}
	defer m.stats.Batches.Add(1) // handled (counted last: tests wait on it)
	first, last := b.Samples[0].TimeNS, b.Samples[len(b.Samples)-1].TimeNS
	if d.wm == 0 && !d.caughtUp && !d.lookedUp {
		w.resume(ctx, d, first)
	}
	if last <= d.wm {
		// Entirely behind the stream: a duplicate, or a batch that came
		// late (reordered in the network, or replayed from ingest's
		// spool after later ones).
		// Batches up to the watermark saved by the previous run were
		// analysed then (redelivery and spool replay after a restart).
		if last > d.floor && !d.wasSeen(first) {
			d.markSeen(first)
			w.late(ctx, d, first, last)
		}
		return
	}
	d.markSeen(first)
	if d.wm > 0 && first-d.wm > upForgetGap && d.up != ([3]float64{}) {
		w.forgetUp(d, first)
	}
	if d.wm > 0 && first > d.wm+int64(2e9/fs) {
		// A gap: batches were dropped, or came while we were down, or the
		// device sent nothing. The store knows which.
		if m.takeBehind(b.DeviceID) || !d.caughtUp {
			// What is read back may lack samples the store gets later:
			// gait spans reaching back into the gap read back at their end.
			w.markMissed(d, first-1)
			w.catchUp(ctx, d, first)
		}
	}
	d.caughtUp = true
	if t, ok := m.takeEventsBehind(b.DeviceID); ok {
		w.replayEvents(ctx, d, t, math.MaxInt64)
	}
	w.push(ctx, d, b.Samples)
	w.runPending(ctx, d, false)
}

// Resuming a device another instance was analysing (see resume).
const (
	// resumeBack is how far before the other instance's saved watermark
	// the fall detector is primed: longer than an impact can stay
	// undecided in the detector (posture window and the 5 s get-up watch).
	resumeBack = 20 * time.Second
	// resumeLookback is how far back it is primed when no watermark was saved:
	// longer than the watermark flush interval (flushEvery) twice over plus
	// a healthy instance's analysis lag.
	resumeLookback = 2 * time.Minute
)

// resume takes up a device that had no watermark when this monitor
// started, or whose state Forget dropped: another instance may have
// analysed it meanwhile (it owned the device's ingest partition, and died
// or gave it up), and acknowledged samples it had stored but not yet
// analysed, or analysed without having decided on a fall yet. The device
// resumes from the watermark that instance saved (the gap after it up to
// this batch is caught up from the store, through the same detector), and
// the fresh fall detector is first primed with the stored samples of the
// resumeBack before that watermark (of the resumeLookback before this
// batch when none was saved), so a fall pending there is decided by the
// samples that follow, as the other instance would have. A fall already
// raised keeps its alert ID (raised once).
func (w *worker) resume(ctx context.Context, d *deviceState, first int64) {
	d.lookedUp = true
	saved, err := w.m.deps.State.Watermark(ctx, d.id)
	if err != nil {
		w.m.log.Warn("reading the saved watermark failed; the device starts from its first batch", "device", d.id, "err", err)
		return
	}
	if a, err := w.m.deps.State.UprightAxis(ctx, d.id); err == nil && a.Up != ([3]float64{}) {
		d.up = a.Up
		d.det.SetUp(d.up)
	}
	from, to := first-int64(resumeLookback), first
	if saved > 0 {
		from, to = saved-int64(resumeBack), saved+1
	}
	ss, err := w.m.read(ctx, readResume, balance.SampleQuery{DeviceID: d.id, From: time.Unix(0, from), To: time.Unix(0, to)})
	if err != nil {
		w.m.log.Warn("reading samples before a resumed device's first batch failed", "device", d.id, "err", err)
		return
	}
	if saved > 0 {
		d.wm, d.floor = saved, saved
	}
	if len(ss) > 0 {
		w.m.stats.Resumed.Add(1)
	}
	for _, s := range ss {
		if ev, ok := d.det.Push(s); ok {
			w.fall(ctx, d, ev)
		}
	}
}

// catchUp reads the device's samples after its watermark and before `to`
// (at most catchUpMax) back from the store and analyses them. When the
// read-back limit does not allow the read now, the interval is left as a
// hole (re-read by refill when the limit allows; its session events are
// replayed at once: they come from the state database and their sessions
// are read by design) and the stream goes on.
func (w *worker) catchUp(ctx context.Context, d *deviceState, to int64) {
	from := time.Unix(0, d.wm+1)
	if lim := time.Unix(0, to).Add(-catchUpMax); from.Before(lim) {
		from = lim
	}
	if !w.allowRead(d, readCatchUp, from.UnixNano(), to) {
		d.addHole(from.UnixNano(), to, false)
		w.replayEvents(ctx, d, from, to)
		return
	}
	ss, err := w.m.read(ctx, readCatchUp, balance.SampleQuery{DeviceID: d.id, From: from, To: time.Unix(0, to)})
	if err != nil {
		// The stream goes on (falls in new batches must not wait), and the
		// interval is re-read until it is analysed.
		w.m.log.Warn("monitor catch-up read failed; the interval is re-read until it is analysed", "device", d.id, "err", err)
		d.addHole(from.UnixNano(), to, true)
		w.m.stats.Holes.Add(1)
		return
	}
	// Session events of the interval may have been dropped too.
	w.replayEvents(ctx, d, from, to)
	w.m.stats.CatchUpSamples.Add(int64(len(ss)))
	w.push(ctx, d, ss)
}

// replayEvents hands the device's stored events in [from, to) to the
// session tracking again (sessions queued or analysed already are skipped).
func (w *worker) replayEvents(ctx context.Context, d *deviceState, from time.Time, to int64) {
	evs, err := w.m.deps.State.Events(ctx, d.id, from)
	if err != nil {
		w.m.log.Warn("reading stored device events failed", "device", d.id, "err", err)
		return
	}
	for _, e := range evs {
		if e.Time.UnixNano() < to {
			e.PatientID = d.patient
			w.event(ctx, e)
		}
	}
}

// push analyses samples newer than the watermark.
func (w *worker) push(ctx context.Context, d *deviceState, ss []balance.Sample) {
	m := w.m
	d.takeUp()
	n := 0
	var skipped int64
	for i := range ss {
		s := ss[i]
		if s.TimeNS <= d.wm {
			skipped = max(skipped, s.TimeNS)
			continue
		}
		n++
		d.wm = s.TimeNS
		if ev, ok := d.det.Push(s); ok {
			w.fall(ctx, d, ev)
		}
		w.bufferSample(d, s)
		w.block(ctx, d, s)
	}
	if skipped > 0 {
		// A batch reaching back behind the stream: whether the stream
		// had those samples is not known, so spans there read back.
		w.markMissed(d, skipped)
	}
	if n > 0 {
		now := time.Now()
		if d.gOpen != nil {
			d.gOpen.grew = now
		}
		d.touchSessions(now)
		m.stats.Samples.Add(int64(n))
		m.setWatermark(d.id, d.savedWM())
	}
}

// refill re-reads a device's holes, oldest first, each read allowed by the
// read-back limit: one that the store now holds in full is analysed
// (falls, and sessions that were analysed without it) and closed. A hole
// only deferred so far (no read of it failed) is analysed and closed on
// its first successful read, complete or not, as the catch-up or late read
// it stands for would have been (the device may have sent nothing in part
// of it). When the limit denies a read, that hole and the newer ones wait
// for the next refill: not a failure, and never given up for it.
func (w *worker) refill(ctx context.Context, d *deviceState) {
	if len(d.holes) == 0 || d.rate <= 0 || time.Now().Before(d.nextRefill) {
		return
	}
	// At most every RefillEvery, each read bounded: the worker's stream,
	// and the falls in it, must not wait on a slow store.
	d.nextRefill = time.Now().Add(w.m.RefillEvery)
	ctx, cancel := context.WithTimeout(ctx, refillTimeout)
	defer cancel()
	m := w.m
	period := int64(1e9 / d.rate)
	kept := d.holes[:0]
	denied := false
	for _, h := range d.holes {
		from, to := time.Unix(0, h.from).Add(-lateBefore), time.Unix(0, h.to).Add(lateAfter)
		if denied || !w.allowRead(d, readRefill, from.UnixNano(), to.UnixNano()) {
			denied = true
			kept = append(kept, h)
			continue
		}
		ss, err := m.read(ctx, readRefill, balance.SampleQuery{DeviceID: d.id, From: from, To: to})
		complete := err == nil && len(ss) > 0 && ss[0].TimeNS <= h.from+2*period && ss[len(ss)-1].TimeNS >= h.to-2*period
		switch {
		case complete || (err == nil && h.failed.IsZero()):
			w.fallsIn(ctx, d, ss)
			w.reanalyseSessions(ctx, d, h.from, h.to)
			m.log.Info("monitor: an interval missed earlier has been analysed", "device", d.id, "from", time.Unix(0, h.from).UTC(), "to", time.Unix(0, h.to).UTC(),
				"samples", len(ss), "complete", complete)
		case !h.failed.IsZero() && time.Since(h.failed) > holeGiveUp:
			m.stats.HolesAbandoned.Add(1)
			m.log.Error("monitor: an interval could not be read back for a day; given up: falls in it were not looked for", "device", d.id,
				"from", time.Unix(0, h.from).UTC(), "to", time.Unix(0, h.to).UTC(), "err", err)
		default:
			if h.failed.IsZero() {
				h.failed = time.Now()
			}
			kept = append(kept, h)
		}
	}
	d.holes = kept
	if len(kept) == 0 {
		m.setWatermark(d.id, d.wm)
	}
}

// block accumulates 1 s blocks and acts on each finished one.
func (w *worker) block(ctx context.Context, d *deviceState, s balance.Sample) {
	a := math.Sqrt(s.Acc[0]*s.Acc[0] + s.Acc[1]*s.Acc[1] + s.Acc[2]*s.Acc[2])
	g := math.Sqrt(s.Gyro[0]*s.Gyro[0] + s.Gyro[1]*s.Gyro[1] + s.Gyro[2]*s.Gyro[2])
	if math.IsNaN(a+g) || math.IsInf(a+g, 0) {
		return
	}
	if d.bn == 0 {
		d.bStart = s.TimeNS
		d.bSum, d.bSq, d.bGyr = 0, 0, 0
	}
	d.bn++
	d.bSum += a
	d.bSq += a * a
	d.bGyr += g
	if float64(d.bn) < d.rate {
		return
	}
	nf := float64(d.bn)
	sd := math.Sqrt(math.Max(0, d.bSq/nf-(d.bSum/nf)*(d.bSum/nf)))
	moving := sd > movingStdG*balance.StandardGravity || d.bGyr/nf > movingGyro
	end := s.TimeNS
	d.bn = 0
	rules := w.m.cfg.RulesFor(d.patient)
	if d.lastMoveNS == 0 || sd > rules.NotWornStd {
		d.lastMoveNS = end
	}
	if moving && d.notWornID != "" {
		w.m.resolve(ctx, d.notWornID, "the device moves again: it is worn")
		d.notWornID = ""
	}
	// Post-fall watch: moving again resolves the fall alert (and the
	// escalation, if it came to that); lying still escalates.
	if fw := d.watch; fw != nil && end > fw.impactNS {
		if moving && end > fw.impactNS+int64(4e9) {
			w.m.log.Info("movement after fall", "patient", d.patient, "device", d.id)
			after := time.Duration(end - fw.impactNS).Round(time.Second)
			w.m.resolve(ctx, fw.alertID, fmt.Sprintf("the patient moved again %s after the fall (got up or was helped up)", after))
			if fw.escalated {
				w.m.resolve(ctx, AlertID(balance.AlertNoMovement, d.patient, nsPart(fw.impactNS)),
					fmt.Sprintf("the patient moved again %s after the fall", after))
			}
			d.watch = nil
		} else if end >= fw.deadline && !fw.escalated {
			w.noMovement(ctx, d, fw, "no movement")
			fw.escalated = true // keep watching: moving later resolves both
		}
	}
	// Free-living gait: activity spans outside sessions.
	inSession := d.inSession(end) || d.inSession(d.bStart)
	if inSession && d.spanStart != 0 {
		w.gaitSpan(ctx, d)
	}
	if moving && !inSession {
		if d.spanStart == 0 {
			d.spanStart = d.bStart
			w.openSpan(d)
		}
		d.spanLast = end
		if float64(end-d.spanStart) >= gaitMaxS*1e9 {
			w.gaitSpan(ctx, d)
		}
	} else if d.spanStart != 0 && float64(end-d.spanLast) >= gaitEndS*1e9 {
		w.gaitSpan(ctx, d)
	}
}

// tick runs the time-based parts of the stream state.
func (w *worker) tick(ctx context.Context, now time.Time) {
	for _, d := range w.devices {
		w.refill(ctx, d)
		w.staleSpans(d, time.Now())
		w.runPending(ctx, d, false)
		if fw := d.watch; fw != nil {
			// No data at all after a fall: the device may be off or out of
			// range while the patient lies on the floor; escalate too.
			rules := w.m.cfg.RulesFor(d.patient)
			if !fw.escalated && now.Sub(fw.wall) > rules.NoMovementAfter+30*time.Second && d.wm < fw.deadline {
				w.noMovement(ctx, d, fw, "no data from the device")
				fw.escalated = true
			}
		}
		w.notWorn(ctx, d, now)
	}
}

// inSession reports whether device time t lies in an open or stopped but
// not yet analysed session (free-living gait leaves those alone).
func (d *deviceState) inSession(t int64) bool {
	for _, o := range d.open {
		if o.start.UnixNano() <= t {
			return true
		}
	}
	for _, p := range d.pending {
		if p.start.UnixNano() <= t && t <= p.stop.UnixNano() {
			return true
		}
	}
	return false
}

func (d *deviceState) markSeen(t int64) {
	d.seen[d.seenN%len(d.seen)] = t
	d.seenN++
}

func (d *deviceState) wasSeen(t int64) bool {
	for i := range min(d.seenN, len(d.seen)) {
		if d.seen[i] == t {
			return true
		}
	}
	return false
}
