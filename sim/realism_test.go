package sim

import (
	"math"
	"path/filepath"
	"sort"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/recording"
)

// sharedData returns shared/data/sub, skipping the test when absent (the
// recordings are not part of the repository).
func sharedData(t *testing.T, sub string) string { return testenv.SharedData(t, sub) }

func readRec(t *testing.T, path string) recording.Recording {
	t.Helper()
	rec, err := recording.ReadFile(path, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// magnitudes returns |acc| of samples [from, to), m/s².
func magnitudes(s []balance.Sample) []float64 {
	m := make([]float64, len(s))
	for i, x := range s {
		m[i] = math.Sqrt(x.Acc[0]*x.Acc[0] + x.Acc[1]*x.Acc[1] + x.Acc[2]*x.Acc[2])
	}
	return m
}

func sdOf(x []float64) float64 {
	var m, v float64
	for _, e := range x {
		m += e
	}
	m /= float64(len(x))
	for _, e := range x {
		v += (e - m) * (e - m)
	}
	return math.Sqrt(v / float64(len(x)))
}

// stepFrequency estimates the step frequency (Hz) of a walk as the lag of
// the first autocorrelation peak of |acc| between 0.3 and 1.0 s (Moe-Nilssen
// & Helbostad 2004), refined by parabolic interpolation.
func stepFrequency(mag []float64, rate float64) float64 {
	x := make([]float64, len(mag))
	var m float64
	for _, v := range mag {
		m += v
	}
	m /= float64(len(mag))
	for i, v := range mag {
		x[i] = v - m
	}
	ac := func(lag int) float64 {
		var s float64
		for i := 0; i+lag < len(x); i++ {
			s += x[i] * x[i+lag]
		}
		return s / float64(len(x)-lag)
	}
	lo, hi := int(0.3*rate), int(1.0*rate)
	best, at := math.Inf(-1), lo
	for l := lo; l <= hi; l++ {
		if v := ac(l); v > best {
			best, at = v, l
		}
	}
	a, b, c := ac(at-1), ac(at), ac(at+1)
	lag := float64(at)
	if d := a - 2*b + c; d != 0 {
		lag += 0.5 * (a - c) / d
	}
	return rate / lag
}

// The simulated walk of a person with the real participant's height,
// sensor height, cadence and stride length (mobgap reference values from
// the INDIP system; GaitPy's output for its demo) must look like the real
// lower-back recording: the same
// step frequency (±5 %) by the same estimator, and the spread of |acc|
// within a factor of 1.5 (the model's harmonics and irregularity are
// generic, not fitted to this person).
func TestSimulatedWalkLooksLikeReal(t *testing.T) {
	dir := filepath.Dir(sharedData(t, "mobgap-lowerback"))
	for _, tc := range []struct {
		file                  string
		from, to              float64 // INDIP walking bout, s
		cadence, stride       float64 // INDIP, steps/min and m
		heightM, sensorHeight float64 // participant_info.json
	}{
		// reference_summary_microwb.csv rows HA_001 Test5 Trial1/2 and
		// MS_001 Test5 Trial1 (INDIP).
		{"mobgap-lowerback/HA_001/Test5_Trial1_imu.csv", 5.05, 9.88, 100.51, 1.2638, 1.59, 0.964},
		{"mobgap-lowerback/HA_001/Test5_Trial2_imu.csv", 3.93, 8.62, 103.45, 1.2112, 1.59, 0.964},
		{"mobgap-lowerback/MS_001/Test5_Trial1_imu.csv", 6.74, 11.30, 108.51, 1.1028, 1.68, 0.975},
		// The slow bouts (0.5-0.8 m/s) of HA_001 Test11 (INDIP).
		{"mobgap-lowerback/HA_001/Test11_Trial1_imu.csv", 38.54, 50.85, 89.25, 0.8390, 1.59, 0.964},
		{"mobgap-lowerback/HA_001/Test11_Trial1_imu.csv", 76.42, 86.21, 94.37, 0.6452, 1.59, 0.964},
		{"mobgap-lowerback/HA_001/Test11_Trial1_imu.csv", 94.52, 99.32, 88.78, 1.0217, 1.59, 0.964},
		// GaitPy demo (50 Hz, acc only, 1.77 m): its three bouts (start
		// 30.5, 63.5, 123.5 s into the file; 24, 30, 30 s) with GaitPy's
		// own median cadence and stride length — a second implementation,
		// not a reference; sensor height 0.53 × height as GaitPy assumes.
		{"gaitpy-demo/demo_data.csv", 30.5, 54.5, 96.77, 1.10, 1.77, 0.938},
		{"gaitpy-demo/demo_data.csv", 63.5, 93.5, 96.77, 1.05, 1.77, 0.938},
		{"gaitpy-demo/demo_data.csv", 123.5, 153.5, 96.77, 1.05, 1.77, 0.938},
	} {
		rec := readRec(t, filepath.Join(dir, tc.file))
		real := rec.Samples[int(tc.from*rec.RateHz):int(tc.to*rec.RateHz)]
		realMag := magnitudes(real)

		b := BodyFor(balance.Patient{HeightM: tc.heightM, SensorHeightM: tc.sensorHeight}, 0)
		w := NormalWalk(b, 30)
		w.CadenceSPM, w.StepLengthM = tc.cadence, tc.stride/2
		s := NewScenario(b, rec.RateHz, 1)
		s.Walk(w)
		simMag := magnitudes(s.Samples(TypicalSensor(), 0))

		fr, fs := stepFrequency(realMag, rec.RateHz), stepFrequency(simMag, rec.RateHz)
		sr, ss := sdOf(realMag), sdOf(simMag)
		t.Logf("%s: step frequency real %.3f Hz, simulated %.3f Hz; SD |acc| real %.2f, simulated %.2f m/s²", tc.file, fr, fs, sr, ss)
		if math.Abs(fs/fr-1) > 0.05 {
			t.Errorf("%s: step frequency real %.3f Hz, simulated %.3f Hz", tc.file, fr, fs)
		}
		if ss/sr > 1.5 || sr/ss > 1.5 {
			t.Errorf("%s: SD of |acc| real %.2f, simulated %.2f m/s²", tc.file, sr, ss)
		}
	}
}

// peakG returns the largest |acc| of a recording in g.
func peakOf(s []balance.Sample) float64 {
	best := 0.0
	for _, v := range magnitudes(s) {
		best = math.Max(best, v)
	}
	return best / balance.StandardGravity
}

// Simulated falls and look-alikes must have impact peaks in the range of
// SisFall's (waist, young adult onto a mattress): the simulated falls'
// median within a factor 1.5 of the real falls' median, and the real
// look-alikes with the highest peaks (jogging, stumble, jump) matched in
// kind by ours (a peak above 2 g).
func TestSimulatedFallsLikeSisFall(t *testing.T) {
	dir := sharedData(t, "sisfall-dev")
	files, _ := filepath.Glob(filepath.Join(dir, "raw", "F*.txt"))
	if len(files) == 0 {
		t.Fatal("shared/data/sisfall-dev holds no fall trials (raw/F*.txt)")
	}
	var real []float64
	for _, f := range files {
		real = append(real, peakOf(readRec(t, f).Samples))
	}
	var sim []float64
	for i, k := range []FallKind{FallForward, FallBackward, FallLeft, FallRight, FallCollapse} {
		for seed := uint64(0); seed < 3; seed++ {
			s := NewScenario(DefaultBody(), 200, seed+uint64(10*i))
			s.Idle(1)
			s.Fall(FallSpec{Kind: k, LieS: 2})
			sim = append(sim, peakOf(s.Samples(TypicalSensor(), 0)))
		}
	}
	mr, ms := median(real), median(sim)
	t.Logf("fall peaks: SisFall median %.2f g (range %.2f-%.2f, n=%d), simulated median %.2f g (range %.2f-%.2f, n=%d)",
		mr, minOf(real), maxOf(real), len(real), ms, minOf(sim), maxOf(sim), len(sim))
	if ms/mr > 1.5 || mr/ms > 1.5 {
		t.Errorf("median fall peak: SisFall %.2f g, simulated %.2f g", mr, ms)
	}
	for _, code := range []string{"D04", "D18", "D19"} {
		m, _ := filepath.Glob(filepath.Join(dir, "raw", code+"_*.txt"))
		for _, f := range m {
			t.Logf("SisFall %s peak %.2f g", filepath.Base(f), peakOf(readRec(t, f).Samples))
		}
	}
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}

func minOf(x []float64) float64 {
	m := math.Inf(1)
	for _, v := range x {
		m = math.Min(m, v)
	}
	return m
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	return m
}
