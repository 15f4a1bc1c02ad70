package validation

import (
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

// TestIPOLGait asserts every floor of the IPOL section (issue 12) and
// prints the section. The data are read from shared/data/ipol-gait-dev
// (testenv.SharedData: skipped where the shared recordings are absent).
func TestIPOLGait(t *testing.T) {
	dir := testenv.SharedData(t, "ipol-gait-dev")
	sec, err := IPOLGait(dir)
	assertSection(t, sec, err)
}
