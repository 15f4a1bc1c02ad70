package analysis_test

import (
	"fmt"

	"github.com/balance-pt/balance/analysis"
)

// A trunk that rises and falls 3 cm per step on a 0.9 m pendulum makes steps
// of 2·sqrt(2·0.9·0.03 − 0.03²) = 0.461 m (Zijlstra & Hof 2003), 0.529 m
// with mobgap's default correction factor 4.587/4.
func ExampleStepLengthPendulum() {
	fmt.Printf("%.3f m\n", analysis.StepLengthPendulum(0.03, 0.9, 1))
	fmt.Printf("%.3f m\n", analysis.StepLengthPendulum(0.03, 0.9, analysis.ZijlstraK))
	// Output:
	// 0.461 m
	// 0.529 m
}

// Initial contacts every 0.55 s make 1.1 s strides: 109.1 steps/min.
func ExampleCadenceFromStrides() {
	ics := []float64{0, 0.55, 1.1, 1.65, 2.2}
	fmt.Printf("%.1f steps/min\n", analysis.CadenceFromStrides(analysis.StrideTimes(nil, ics)))
	// Output: 109.1 steps/min
}
