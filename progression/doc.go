// Package progression moves patients along a ladder of balance exercises.
//
// The Catalog is data a clinic can edit (catalog.yaml, embedded as the
// default): the exercises of the clinical seed document with their cautions,
// the static stance ladder (stance × vision × surface × support) and the
// Otago programme's dynamic levels A–D, joined by explicit next/previous
// edges that each change one dimension. LoadCatalog refuses a catalog with
// unknown ids, cycles, missing fields or duplicates, listing every problem.
//
// Evaluate is the pure rule: plan, measured sessions, risk, falls and the
// time in; progress, regress or hold out, with the dimension and the
// reasons. Service runs it against storage (a PlanStore) after each session
// and for therapists' requests; Handler serves the HTTP API. The rules follow
// the synthesis in the clinical references (section 4.3): progress when the
// target hold is reached with sway at or under the patient's own baseline
// over several consecutive sessions; regress on a hold under 10 s, two or
// more losses of balance, sway at twice the baseline, a fall or a high-risk
// assessment; for neuropathy, eyes closed and foam come last.
package progression
