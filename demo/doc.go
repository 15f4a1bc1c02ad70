// Package demo generates the embedded default's demo history at its first
// start: weeks of past sessions for the simulated patients, synthesised by
// the simulator and analysed by monitoring's own functions, with plans moved
// along the ladder by progression's real rules, risk assessed by
// monitoring's rules, a fall and its alerts, and review time for the RTM
// report — so that a newcomer sees a product in use, not an empty one.
//
// story.go holds the storyline (pure: who improves, who declines, what
// happens on which day), synth.go the synthesis and analysis of one
// session, backfill.go the writing of it all through the stores and
// services. docs/simulator.md ("Demo history") describes the result.
package demo
