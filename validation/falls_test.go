package validation

import (
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

// TestFalls asserts every floor of the falls section (issue 12: pooled
// sensitivity ≥ 0.95, specificity ≥ 0.98, one event per fall, the same
// falls in shuffled concatenated streams; and the pooled sensitivity and
// specificity floors again with the up axis learned from each subject's own
// walking, as the live system runs; and no free fall in lying down or
// turning in bed long enough for a fall out of bed) and prints the section
// with -v.
// The data are read from shared/data/sisfall-dev and sisfall-more
// (testenv.SharedData: skipped where the shared recordings are absent).
func TestFalls(t *testing.T) {
	testenv.SharedData(t, "sisfall-dev")
	testenv.SharedData(t, "sisfall-more")
	sec, err := Falls(testenv.SharedDataDir())
	assertSection(t, sec, err)
	if len(sec.Floors) != 7 {
		t.Errorf("%d floors, want 7", len(sec.Floors))
	}
}
