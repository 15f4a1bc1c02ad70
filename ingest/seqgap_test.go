package ingest

import (
	"testing"
	"time"
)

// TestSeqGaps walks one device's batch counter through the cases: in
// order, a jump (gaps open), a late batch filling one (recovered), a
// duplicate, a restart, and the wait after which open gaps count as lost.
func TestSeqGaps(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	g := newSeqGaps()
	steps := []struct {
		seq  uint64
		at   time.Duration
		want seqResult
		open int
	}{
		{1, 0, seqResult{}, 0},
		{2, 0, seqResult{}, 0},
		{6, 0, seqResult{missing: 3}, 3},   // 3, 4, 5 skipped
		{4, 0, seqResult{recovered: 1}, 2}, // 4 was late
		{4, 0, seqResult{}, 2},             // a redelivery of 4: nothing
		{6, 0, seqResult{}, 2},             // a redelivery of 6
		{7, time.Minute, seqResult{}, 2},
		{0, time.Minute, seqResult{}, 2}, // no counter: not tracked
	}
	for i, s := range steps {
		if got := g.observe("d1", s.seq, t0.Add(s.at)); got != s.want {
			t.Errorf("step %d seq %d: %+v, want %+v", i, s.seq, got, s.want)
		}
		if got := g.openGaps(); got != s.open {
			t.Errorf("step %d seq %d: %d gaps open, want %d", i, s.seq, got, s.open)
		}
	}
	if lost := g.expire(t0.Add(seqGapWait - time.Second)); lost != 0 {
		t.Errorf("expire before the wait: %d lost, want 0", lost)
	}
	if lost := g.expire(t0.Add(seqGapWait)); lost != 2 || g.openGaps() != 0 {
		t.Errorf("expire after the wait: %d lost, %d open; want 2 (3 and 5), 0", lost, g.openGaps())
	}
	// A device that restarts counts from 1 again: not a late batch.
	if got := g.observe("d1", 1<<30, t0); got != (seqResult{restarted: true}) {
		t.Errorf("jump far ahead: %+v, want a restart", got)
	}
	if got := g.observe("d1", 1, t0); got != (seqResult{restarted: true}) {
		t.Errorf("counter back to 1: %+v, want a restart", got)
	}
	// A huge gap is bounded: what is not tracked is lost at once.
	g2 := newSeqGaps()
	g2.observe("d2", 1, t0)
	if got := g2.observe("d2", 2+seqMaxTracked+10, t0); got.missing != seqMaxTracked || got.lost != 10 {
		t.Errorf("gap of %d: %+v, want %d tracked and 10 lost at once", seqMaxTracked+10, got, seqMaxTracked)
	}
}
