// Package analysis turns body-worn IMU samples into clinical measures: signal
// basics (Butterworth filters in second-order sections, resampling,
// integration, Welch spectra), sensor-to-body orientation, postural sway
// (the iSway measures of Mancini et al. 2012), sit-to-stand, Timed Up and Go
// and 4-stage balance test segmentation, fall detection on a continuous
// stream, and gait (in the gait*.go, icd*.go, stride*.go, turn*.go and
// bout*.go files).
//
// Entry points (samples in the sensor frame, SI units, rate fs in Hz):
//
//   - AlignToBody: vertical/AP/ML accelerations, yaw rate, trunk tilt and
//     pitch, whatever way the sensor is worn (gravity gives up, walking
//     gives forward).
//   - Sway (SwayXY and the kernels Jerk, RMSDistance, ... on AP/ML series):
//     a quiet-stance trial's 13 iSway measures plus the 95 % ellipse, with
//     quality flags.
//   - Transitions, FiveTimesSitToStand, TUG: postural transitions and the
//     timed clinical tests; Hold and FourStage: static stances held.
//   - FallDetector (Push one sample at a time, bounded state) and
//     DetectFalls: multiphase fall detection (impact, posture, inactivity).
//   - SOS (ButterLowpass, ButterHighpass, ButterBandpass; Filter, FiltFilt),
//     Resample, CumTrapz, Detrend, Welch: the signal basics.
//
// Kernels are pure functions on []float64 with an explicit sample rate in Hz;
// where it fits they take a destination slice first (nil allocates), in the
// style of gonum's stat and floats packages. Nothing here does I/O, reads the
// clock or logs. Bad input yields a typed error (see errors.go) or a quality
// flag, never a panic or a silent NaN; only programming errors such as an
// impossible filter design panic, with the prefix "analysis: ".
package analysis
