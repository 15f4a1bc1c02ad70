package monitor

import (
	"context"
	"math"
	"sort"
	"time"
	"unsafe"

	"github.com/balance-pt/balance"
)

// Free-living gait from the stream. The worker sees every sample of an
// activity span as it arrives, so it keeps them and hands them to the slow
// lane when the span ends: nothing is read back from the store. Per device
// it keeps
//
//   - a ring of the last (gaitPadS+1) s of samples, always (the context
//     before a span that opens: about 19 KB a device at 100 Hz, a fixed
//     per-device cost like the fall detector's window, not budgeted);
//   - the samples of the open span, from gaitPadS before its start;
//   - a span already ended whose gaitPadS after its end have not all come
//     yet (a span cut at gaitMaxS while the walking goes on).
//
// The span buffers are bounded by the Monitor-wide sample buffer budget
// (Config.GaitBufferMB, counted in Stats.GaitBufferBytes), which the
// buffers of exercise sessions share (sessionbuf.go). A span is
// analysed from its buffer only when the buffer holds everything the store
// will hold in its window: a span that passed the budget, that the stream
// saw a gap in (a dropped batch caught up from the store, a late batch, a
// resumed device, samples before the first the ring saw), or whose device
// went silent for spanStale with it open, is read back from the store at
// its end as before (read reason readGait, counted in Stats.GaitReadBack).

// sampleBytes is the memory of one buffered sample (balance.Sample: 7 × 8
// bytes).
const sampleBytes = int64(unsafe.Sizeof(balance.Sample{}))

const (
	// spanStale: an open span whose device has sent nothing for this long
	// (wall time) gives up its buffer, so that silent devices do not hold
	// the budget; it is read back from the store when it ends.
	spanStale = time.Minute
	// closeWait bounds how long a span cut at gaitMaxS waits for the
	// samples of its after-pad (wall time); then it is analysed with what
	// came.
	closeWait = 10 * time.Second
	// spanGrowS is the least growth of a span buffer, in seconds of samples.
	spanGrowS = 10
)

// sampleRing holds a device's latest samples, oldest overwritten.
type sampleRing struct {
	rate float64
	s    []balance.Sample
	next int // index of the next write
	n    int // samples held
}

// newSampleRing returns a ring for (gaitPadS+1) s at rate Hz: the block
// that opens a span (rate samples) and the gaitPadS before it, with 10 %
// and 8 samples of slack for clocks faster than the declared rate. An
// estimated rate past balance.MaxRateHz is taken as that (the ring then
// does not cover a span's context, which is read back).
func newSampleRing(rate float64) *sampleRing {
	n := int(math.Ceil((gaitPadS+1)*bufRate(rate)*1.1)) + 8
	return &sampleRing{rate: rate, s: make([]balance.Sample, n)}
}

// bufRate is a stream rate bounded to what a device may declare
// (balance.MinRateHz..MaxRateHz), for sizing buffers.
func bufRate(rate float64) float64 {
	return min(max(rate, balance.MinRateHz), balance.MaxRateHz)
}

func (r *sampleRing) add(s balance.Sample) {
	r.s[r.next] = s
	r.next = (r.next + 1) % len(r.s)
	r.n = min(r.n+1, len(r.s))
}

// at returns the i-th oldest sample held.
func (r *sampleRing) at(i int) balance.Sample {
	return r.s[(r.next-r.n+i+len(r.s))%len(r.s)]
}

// covers reports whether the ring holds every sample it was given from
// device time from on: it holds one at or before from.
func (r *sampleRing) covers(from int64) bool {
	return r.n > 0 && r.at(0).TimeNS <= from
}

// since appends the samples held from device time from on to dst, oldest
// first.
func (r *sampleRing) since(from int64, dst []balance.Sample) []balance.Sample {
	for i := range r.n {
		if s := r.at(i); s.TimeNS >= from {
			dst = append(dst, s)
		}
	}
	return dst
}

// spanBuf is the buffer of one activity span's samples in [from, to).
type spanBuf struct {
	from int64 // device ns: the span's start minus gaitPadS
	to   int64 // device ns, exclusive: its end plus gaitPadS (0 while open)
	ss   []balance.Sample
	// bytes is what ss holds of the budget: its capacity, which grows by
	// half (at least spanGrowS) when full, so at most 1.5 times its
	// length past the first spanGrowS.
	bytes int64
	// readBack: the span is read back from the store at its end (ss nil);
	// overBudget says it was for the budget.
	readBack, overBudget bool
	grew                 time.Time // wall time of the last batch appended
	closed               time.Time // wall time at which its end was known
}

// reserveBuf takes n bytes of the sample buffer budget (gait spans and
// exercise sessions, sessionbuf.go), or reports that they would pass it.
func (m *Monitor) reserveBuf(n int64) bool {
	for {
		used := m.stats.GaitBufferBytes.Load()
		if used+n > m.bufBudget {
			return false
		}
		if m.stats.GaitBufferBytes.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// inWindow returns the samples of ss (in time order) in [from, to) of
// device time.
func inWindow(ss []balance.Sample, from, to int64) []balance.Sample {
	lo := sort.Search(len(ss), func(i int) bool { return ss[i].TimeNS >= from })
	hi := sort.Search(len(ss), func(i int) bool { return ss[i].TimeNS >= to })
	return ss[lo:max(lo, hi)]
}

// releaseBuf gives n bytes back to the sample buffer budget.
func (m *Monitor) releaseBuf(n int64) { m.stats.GaitBufferBytes.Add(-n) }

// dropSpan frees the span's buffer: it is read back at its end.
func (m *Monitor) dropSpan(sb *spanBuf) {
	if sb == nil {
		return
	}
	m.releaseBuf(sb.bytes)
	sb.ss, sb.bytes, sb.readBack = nil, 0, true
}

// openSpan starts buffering the span that d.spanStart just opened, with
// the ring's samples of the gaitPadS before it.
func (w *worker) openSpan(d *deviceState) {
	sb := &spanBuf{from: d.spanStart - gaitPadS*int64(time.Second), grew: time.Now()}
	d.gOpen = sb
	if d.ring == nil || !d.ring.covers(sb.from) || d.gBad >= sb.from {
		// The ring began after the pad (a new or resumed device, a rate
		// change) or the stream missed samples there.
		sb.readBack = true
		return
	}
	n := d.ring.n + int(math.Ceil(spanGrowS*bufRate(d.rate)))
	if !w.m.reserveBuf(int64(n) * sampleBytes) {
		sb.readBack, sb.overBudget = true, true
		return
	}
	sb.ss = d.ring.since(sb.from, make([]balance.Sample, 0, n))
	sb.bytes = int64(n) * sampleBytes
}

// appendSpan adds a sample to a buffered span, growing its buffer within
// the budget; past it, the buffer is freed and the span read back.
func (w *worker) appendSpan(sb *spanBuf, s balance.Sample, rate float64) {
	if sb.ss == nil {
		return
	}
	if len(sb.ss) == cap(sb.ss) {
		grow := max(cap(sb.ss)/2, int(math.Ceil(spanGrowS*bufRate(rate))))
		if !w.m.reserveBuf(int64(grow) * sampleBytes) {
			w.m.dropSpan(sb)
			sb.overBudget = true
			return
		}
		ss := make([]balance.Sample, len(sb.ss), cap(sb.ss)+grow)
		copy(ss, sb.ss)
		sb.ss = ss
		sb.bytes += int64(grow) * sampleBytes
	}
	sb.ss = append(sb.ss, s)
}

// bufferSample keeps a sample the stream analyses (newer than the
// watermark, in time order): in the ring, in the open span and in a closed
// span still waiting for its after-pad, which is handed over at the first
// sample past it, and in the buffers of the device's sessions
// (bufferSessions).
func (w *worker) bufferSample(d *deviceState, s balance.Sample) {
	w.bufferSessions(d, s)
	if d.ring == nil || d.ring.rate != d.rate {
		d.ring = newSampleRing(d.rate)
	}
	d.ring.add(s)
	if c := d.gClosing; c != nil {
		if s.TimeNS >= c.to {
			w.handOff(d)
		} else {
			w.appendSpan(c, s, d.rate)
		}
	}
	if o := d.gOpen; o != nil {
		w.appendSpan(o, s, d.rate)
	}
}

// markMissed notes that the stream missed samples of the device up to
// device time t (a dropped batch caught up from the store, a late batch):
// the spans and sessions whose window reaches back to t, open, closing or
// opening later, are read back from the store.
func (w *worker) markMissed(d *deviceState, t int64) {
	d.gBad = max(d.gBad, t)
	w.markSessionsMissed(d, t)
	for _, sb := range []*spanBuf{d.gOpen, d.gClosing} {
		if sb != nil && sb.ss != nil && sb.from <= t {
			w.m.dropSpan(sb)
		}
	}
}

// closeSpan ends the open span at its last moving block end (device ns):
// too short, it is dropped; otherwise it waits for the samples of its
// after-pad (already in when stillness ended it) and is handed over.
func (w *worker) closeSpan(d *deviceState, start, end int64) {
	sb := d.gOpen
	d.gOpen = nil
	if sb == nil { // cannot happen: block opens one with each span
		sb = &spanBuf{from: start - gaitPadS*int64(time.Second), readBack: true}
	}
	if float64(end-start) < gaitMinS*1e9 {
		w.m.dropSpan(sb)
		return
	}
	if d.gClosing != nil { // a span cut at gaitMaxS just before: as it is
		w.handOff(d)
	}
	sb.to, sb.closed = end+gaitPadS*int64(time.Second), time.Now()
	d.gClosing = sb
	if d.wm >= sb.to {
		w.handOff(d)
	}
}

// handOff hands the closed span to the slow lane: its buffer (ownership
// moves; released when the analysis is done), or a read-back of its window
// when it has none.
func (w *worker) handOff(d *deviceState) {
	m, sb := w.m, d.gClosing
	d.gClosing = nil
	if sb.ss != nil && d.gBad >= sb.from {
		m.dropSpan(sb)
	}
	device, patient, rate, end := d.id, d.patient, d.rate, sb.to-gaitPadS*int64(time.Second)
	learn := func(ctx context.Context, up [3]float64) {
		// Read by the worker at its next batch (deviceState.takeUp),
		// and kept for a restart.
		d.learned.Store(&learnedUp{up: up, atNS: end})
		m.storeUp(ctx, device, balance.UprightAxis{Up: up, LearnedNS: end})
	}
	if sb.ss == nil {
		m.stats.GaitReadBack.Add(1)
		if sb.overBudget {
			m.stats.GaitOverBudget.Add(1)
		}
		from, to := time.Unix(0, sb.from), time.Unix(0, sb.to)
		m.goSlow(func(ctx context.Context) {
			m.walkUp(ctx, readGait, device, patient, "free_living", from, to, rate, func(up [3]float64) { learn(ctx, up) })
		})
		return
	}
	m.stats.GaitFromStream.Add(1)
	ss, bytes := inWindow(sb.ss, sb.from, sb.to), sb.bytes
	sb.ss, sb.bytes = nil, 0
	m.goSlow(func(ctx context.Context) {
		defer m.releaseBuf(bytes)
		m.stats.GaitWindows.Add(1)
		m.gaitOn(ctx, device, patient, "free_living", ss, rate, func(up [3]float64) { learn(ctx, up) })
	})
}

// staleSpans frees the buffer of an open span whose device has been silent
// for spanStale (it is read back at its end), and hands over a cut span
// that waited closeWait for its after-pad with what came; the sessions'
// buffers likewise (staleSessions).
func (w *worker) staleSpans(d *deviceState, now time.Time) {
	w.staleSessions(d, now)
	if o := d.gOpen; o != nil && o.ss != nil && now.Sub(o.grew) > spanStale {
		w.m.dropSpan(o)
	}
	if c := d.gClosing; c != nil && now.Sub(c.closed) > closeWait {
		w.handOff(d)
	}
}

// dropBufs frees a device's span and session buffers (its state is
// dropped, or the monitor stops).
func (w *worker) dropBufs(d *deviceState) {
	w.m.dropSpan(d.gOpen)
	w.m.dropSpan(d.gClosing)
	d.gOpen, d.gClosing = nil, nil
	w.dropSessionBufs(d)
}
