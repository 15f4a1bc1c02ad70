package monitor

import (
	"iter"
	"math"
	"time"

	"github.com/balance-pt/balance"
)

// Exercise sessions from the stream. The worker sees every sample of a
// session as it arrives, so while a session of a device is open (its start
// event seen) it keeps them, and when the stream has passed the stop
// (runPending) it hands the samples [start, stop] to the slow lane, which
// analyses them as it would the same samples read back
// (analyseSessionSamples): nothing is read from the store. The buffers
// share the Monitor's sample buffer budget with the activity spans kept
// for gait (Config.GaitBufferMB, Stats.GaitBufferBytes, spanbuf.go) and
// count their samples the same way.
//
// Start events and samples come on different topics, so a start may come
// after its first samples: the buffer then begins with the device's ring
// (the last (gaitPadS+1) s, spanbuf.go), which covers a start up to ~3 s
// late. A session is read back from the store instead (reason readSession,
// Stats.SessionsReadBack) when its buffer cannot hold everything the store
// holds in [start, stop]:
//
//   - its start is older than what the ring holds (a start event more than
//     ~3 s late, a start replayed from the stored events), or the stream
//     had seen nothing of the device yet and its first sample came after
//     the start;
//   - the stream missed samples of the device inside the session (a
//     dropped batch caught up from the store, a late batch, a restart:
//     deviceState.gBad, worker.markMissed);
//   - the buffer would pass the budget (Stats.SessionsOverBudget) or hold
//     more than sessionBufMaxS of samples;
//   - the device sent nothing for spanStale with the session open;
//   - the session is analysed early (sessionWait passed, "incomplete"), or
//     again (late data, reanalyseSessions), or its stop came without a
//     start this run saw (worker.findStart).

// sessionBufMaxS bounds a session's buffer (seconds of samples): a session
// left open past it (a stop never sent) gives its buffer up and is read
// back, so that it does not hold the budget the gait spans share. 30 min
// is 10 MiB at 100 Hz; the longest protocol sessions (a walk, an exercise)
// last minutes.
const sessionBufMaxS = 30 * 60

// sessionBuf keeps an exercise session's samples in [from, to).
type sessionBuf struct {
	spanBuf // from: the start; to: the stop + 1 µs (0 while open)
	// needHead: the stream had analysed nothing of the device when the
	// session opened, so the buffer is complete only if the first sample
	// the stream gives is at or before the start.
	needHead bool
}

// openSessionBuf starts keeping the samples of a session that starts at
// start (device time), from the ring's samples at or after it when the
// start event comes after them. It returns a buffer marked for read-back
// (ss nil) when it cannot be complete.
func (w *worker) openSessionBuf(d *deviceState, start time.Time) *sessionBuf {
	sb := &sessionBuf{spanBuf: spanBuf{from: start.UnixNano(), grew: time.Now()}}
	switch {
	case d.gBad >= sb.from:
		// The stream missed samples up to a time past the start.
		sb.readBack = true
		return sb
	case d.ring != nil && d.ring.covers(sb.from):
		// The ring holds every sample from the start on (none when the
		// start is ahead of the stream, as usual).
	case d.wm == 0:
		// Nothing of the device analysed yet (new or resumed device).
		sb.needHead = true
	case d.wm < sb.from && (d.ring == nil || d.ring.n == 0):
		// Analysed up to before the start by the previous run: every
		// later sample comes through the stream or is marked missed.
	default:
		// The start is older than what the ring holds.
		sb.readBack = true
		return sb
	}
	held := 0
	if d.ring != nil {
		held = d.ring.n
	}
	n := held + int(math.Ceil(spanGrowS*bufRate(d.rate)))
	if !w.m.reserveBuf(int64(n) * sampleBytes) {
		sb.readBack, sb.overBudget = true, true
		return sb
	}
	sb.ss = make([]balance.Sample, 0, n)
	if d.ring != nil && !sb.needHead {
		sb.ss = d.ring.since(sb.from, sb.ss)
	}
	sb.bytes = int64(n) * sampleBytes
	return sb
}

// stop sets the end of the session's window: its stop time, inclusive.
func (sb *sessionBuf) stop(t time.Time) {
	if sb != nil {
		sb.to = t.Add(time.Microsecond).UnixNano()
	}
}

// bufferSessions adds a sample the stream analyses (newer than the
// watermark, in time order) to the buffers of the device's open sessions
// and of its stopped sessions still waiting for their last samples.
func (w *worker) bufferSessions(d *deviceState, s balance.Sample) {
	for sb := range d.sessionBufs() {
		w.appendSession(d, sb, s)
	}
}

// sessionBufs yields the buffers of the device's open sessions and of its
// stopped sessions still waiting for their last samples (not the nil ones).
func (d *deviceState) sessionBufs() iter.Seq[*sessionBuf] {
	return func(yield func(*sessionBuf) bool) {
		for _, o := range d.open {
			if o.buf != nil && !yield(o.buf) {
				return
			}
		}
		for _, p := range d.pending {
			if p.buf != nil && !yield(p.buf) {
				return
			}
		}
	}
}

// appendSession adds s to a session's buffer when it falls in its window.
func (w *worker) appendSession(d *deviceState, sb *sessionBuf, s balance.Sample) {
	if sb.ss == nil {
		return
	}
	if sb.needHead {
		sb.needHead = false
		if s.TimeNS > sb.from {
			// The store may hold samples between the start and the
			// first the stream gave.
			w.m.dropSessionBuf(sb)
			return
		}
	}
	if s.TimeNS < sb.from || (sb.to != 0 && s.TimeNS >= sb.to) {
		return
	}
	if float64(len(sb.ss)) >= sessionBufMaxS*bufRate(d.rate)*1.1 {
		w.m.dropSessionBuf(sb)
		sb.overBudget = true
		return
	}
	w.appendSpan(&sb.spanBuf, s, d.rate)
}

// touchSessions notes that the device's sessions got samples now (wall
// time; once a batch, for staleSessions).
func (d *deviceState) touchSessions(now time.Time) {
	for sb := range d.sessionBufs() {
		sb.grew = now
	}
}

// takeSessionBuf takes the samples of a stopped session's window from its
// buffer, moving their ownership (bytes of the budget, released by the
// caller once analysed) when they are all there: the stream has passed the
// stop (ready), the buffer was complete from the start and within the
// budget, and the stream missed nothing of the device in the window.
// Otherwise the buffer is freed and ok is false: the session is read back
// (counted over budget when that is why).
func (w *worker) takeSessionBuf(d *deviceState, p pendingSession, ready bool) (ss []balance.Sample, bytes int64, ok bool) {
	sb := p.buf
	if sb == nil {
		return nil, 0, false
	}
	if sb.overBudget {
		w.m.stats.SessionsOverBudget.Add(1)
	}
	if !ready || sb.ss == nil || sb.needHead || d.gBad >= sb.from {
		w.m.dropSessionBuf(sb)
		return nil, 0, false
	}
	to := sb.to
	if to == 0 {
		to = p.stop.Add(time.Microsecond).UnixNano()
	}
	ss, bytes = inWindow(sb.ss, sb.from, to), sb.bytes
	sb.ss, sb.bytes, sb.readBack = nil, 0, true
	return ss, bytes, true
}

// dropSessionBuf frees a session's buffer: it is read back.
func (m *Monitor) dropSessionBuf(sb *sessionBuf) {
	if sb != nil {
		m.dropSpan(&sb.spanBuf)
	}
}

// markSessionsMissed frees the buffers of the device's sessions whose
// window reaches back to t, up to which the stream missed samples.
func (w *worker) markSessionsMissed(d *deviceState, t int64) {
	for sb := range d.sessionBufs() {
		if sb.from <= t {
			w.m.dropSessionBuf(sb)
		}
	}
}

// staleSessions frees the buffers of the device's sessions whose device
// sent nothing for spanStale (wall time): a silent device does not hold the
// budget; they are read back when analysed.
func (w *worker) staleSessions(d *deviceState, now time.Time) {
	for sb := range d.sessionBufs() {
		if sb.ss != nil && now.Sub(sb.grew) > spanStale {
			w.m.dropSessionBuf(sb)
		}
	}
}

// dropSessionBufs frees the buffers of the device's sessions (its state is
// dropped, or the monitor stops).
func (w *worker) dropSessionBufs(d *deviceState) {
	for sb := range d.sessionBufs() {
		w.m.dropSessionBuf(sb)
	}
}
