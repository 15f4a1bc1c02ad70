package ingest

import (
	"sync"
	"time"
)

// seqGaps finds batches lost before they reached balance (a broker queue
// that overflowed during an outage, a device's full buffer) from the
// per-device batch counter (Batch.Seq, +1 per batch): a jump opens a gap
// for each missing number; a late batch that fills one recovers it; a gap
// still open after seqGapWait is counted as lost. Devices that send no
// counter (seq 0) are not tracked.
type seqGaps struct {
	mu      sync.Mutex
	devices map[string]*deviceSeq
	open    int // gaps open across devices
}

type deviceSeq struct {
	last    uint64
	missing map[uint64]time.Time // seq -> when its gap was found
}

const (
	// seqGapWait is how long a missing batch may still arrive (reordered,
	// replayed by the device) before it counts as lost.
	seqGapWait = 10 * time.Minute
	// seqMaxTracked bounds the gaps tracked per device: a larger jump is
	// counted as lost at once beyond it.
	seqMaxTracked = 4096
	// seqRestart: a counter this far below the last one is a device that
	// restarted (or a 32-bit counter that wrapped), not a late batch.
	seqRestart = 1 << 20
)

// seqResult is what one batch's counter showed.
type seqResult struct {
	missing   int // numbers skipped: gaps opened
	recovered int // a gap this batch filled
	lost      int // skipped beyond what is tracked, lost at once
	restarted bool
}

func newSeqGaps() *seqGaps { return &seqGaps{devices: map[string]*deviceSeq{}} }

// observe notes device's batch number seq at now.
func (g *seqGaps) observe(device string, seq uint64, now time.Time) seqResult {
	var r seqResult
	if seq == 0 {
		return r
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.devices[device]
	if d == nil {
		g.devices[device] = &deviceSeq{last: seq, missing: map[uint64]time.Time{}}
		return r
	}
	switch {
	case seq == d.last+1:
		d.last = seq
	case seq > d.last+1 && seq-d.last < seqRestart:
		for s := d.last + 1; s < seq; s++ {
			if len(d.missing) >= seqMaxTracked {
				r.lost += int(seq - s)
				break
			}
			d.missing[s] = now
			r.missing++
			g.open++
		}
		d.last = seq
	case seq <= d.last && d.last-seq < seqRestart:
		if _, ok := d.missing[seq]; ok { // late, not lost
			delete(d.missing, seq)
			r.recovered++
			g.open--
		} // else a duplicate (redelivery)
	default: // a restart or a wrap: start over
		r.restarted = true
		g.open -= len(d.missing)
		d.last, d.missing = seq, map[uint64]time.Time{}
	}
	return r
}

// expire counts the gaps open longer than seqGapWait as lost and closes
// them; it returns how many.
func (g *seqGaps) expire(now time.Time) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	lost := 0
	for _, d := range g.devices {
		for s, at := range d.missing {
			if now.Sub(at) >= seqGapWait {
				delete(d.missing, s)
				lost++
			}
		}
	}
	g.open -= lost
	return lost
}

// openGaps returns how many missing batches may still arrive.
func (g *seqGaps) openGaps() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}
