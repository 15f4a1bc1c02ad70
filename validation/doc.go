// Package validation runs the analysis on real recordings made by others
// (the shared data sets: SisFall, IPOL healthy gait, Mobilise-D mobgap) and
// reports how it does against their independent references, per subject and
// pooled, with leave-subjects-out figures for anything chosen from data.
//
// Each data set has one evaluator returning a Section; `balance validate`
// prints every section as Markdown (docs/validation.md is its output) and the
// package's tests assert each section's floors.
package validation
