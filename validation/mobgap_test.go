package validation

import (
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

// TestMobgapGait asserts every floor of the Mobilise-D section (the floors
// analysis/gait_validation_test.go asserts on the same recordings) and
// prints the section with -v. Data: shared/data/mobgap-lowerback
// (testenv.SharedData: skipped where the shared recordings are absent).
func TestMobgapGait(t *testing.T) {
	dir := testenv.SharedData(t, "mobgap-lowerback")
	sec, err := MobgapGait(dir)
	assertSection(t, sec, err)
}
