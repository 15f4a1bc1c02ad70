package analysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/gonum/floats/scalar"
)

func TestRicker(t *testing.T) {
	const a = 8.0
	w := Ricker(nil, 161, a)
	// Centre value 2/(sqrt(3a)·π^(1/4)) and zeros at t = ±a: the closed form
	// of scipy.signal.ricker.
	if want := 2 / (math.Sqrt(3*a) * math.Pow(math.Pi, 0.25)); !scalar.EqualWithinAbsOrRel(w[80], want, 1e-15, 1e-15) {
		t.Errorf("Ricker centre %v, want %v", w[80], want)
	}
	if math.Abs(w[80+8]) > 1e-15 || math.Abs(w[80-8]) > 1e-15 {
		t.Errorf("Ricker at ±a = %v, %v, want 0", w[88], w[72])
	}
	// Unit energy: Σψ² = ∫ψ² dt = 1 for the continuous wavelet; the sampled
	// sum equals it to within the Gaussian's aliasing (< 1e-6 at a = 8).
	var e float64
	for _, v := range w {
		e += v * v
	}
	if !scalar.EqualWithinAbsOrRel(e, 1, 1e-6, 1e-6) {
		t.Errorf("Ricker energy %v, want 1", e)
	}
}

func TestCWTRickerCosine(t *testing.T) {
	// The Ricker correlation of cos(ωn) is cos(ωn)·Ψ(ω) with the Fourier
	// transform of the wavelet, Ψ(ω) = A·a·sqrt(2π)·(aω)²·exp(-(aω)²/2),
	// A = 2/(sqrt(3a)·π^(1/4)) (closed form; ω in rad/sample).
	const a, omega = 6.0, 2 * math.Pi / 40
	x := make([]float64, 400)
	for i := range x {
		x[i] = math.Cos(omega * float64(i))
	}
	w := CWTRicker(nil, x, a)
	amp := 2 / (math.Sqrt(3*a) * math.Pow(math.Pi, 0.25))
	gain := amp * a * math.Sqrt(2*math.Pi) * (a * omega) * (a * omega) * math.Exp(-(a*omega)*(a*omega)/2)
	// Tolerance 2e-5 relative: the wavelet is cut at ±5a, dropping tails of
	// relative size about (5²−1)·exp(−12.5) ≈ 1e-4 of each lobe, which
	// largely cancel.
	for i := 40; i < 360; i++ { // away from the zero-padded ends (5a = 30)
		if want := gain * x[i]; !scalar.EqualWithinAbsOrRel(w[i], want, 2e-5*gain, 0) {
			t.Fatalf("W[%d] = %v, want %v", i, w[i], want)
		}
	}
}

func TestInitialContactsSine(t *testing.T) {
	// Vertical acceleration −cos(2πft): zero-phase band-pass keeps its phase,
	// integration gives −sin/ω, and the Ricker CWT (a positive gain at f)
	// keeps it, so minima fall where sin(2πft) = 1, t = (k + 1/4)/f — the
	// steepest rise of the acceleration.
	for _, tc := range []struct{ fs, f float64 }{{100, 2}, {50, 1.6}, {200, 0.9}} {
		n := int(30 * tc.fs)
		x := make([]float64, n)
		for i := range x {
			x[i] = -math.Cos(2 * math.Pi * tc.f * float64(i) / tc.fs)
		}
		ics := InitialContacts(x, tc.fs)
		var got int
		for _, ic := range ics {
			ts := float64(ic) / tc.fs
			if ts < 3 || ts > 27 { // ends see filter and wavelet transients
				continue
			}
			got++
			k := math.Round(ts*tc.f - 0.25)
			// ICs are found on a 40 Hz grid: within half a grid step plus
			// one input sample of the true instant.
			if want := (k + 0.25) / tc.f; math.Abs(ts-want) > 0.5/40+1/tc.fs {
				t.Errorf("fs %v f %v: IC at %.3f s, want %.3f s ±(12.5 ms + 1 sample)", tc.fs, tc.f, ts, want)
			}
		}
		if want := int(24 * tc.f); got < want-1 || got > want+1 {
			t.Errorf("fs %v f %v: %d ICs in 3-27 s, want %d ±1", tc.fs, tc.f, got, want)
		}
	}
}

func TestStepStrideVariability(t *testing.T) {
	ics := []float64{0, 0.5, 1.1, 1.6, 2.2}
	if got, want := StepTimes(nil, ics), []float64{0.5, 0.6, 0.5, 0.6}; !cmp.Equal(got, want, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })) {
		t.Errorf("StepTimes = %v, want %v", got, want)
	}
	st := StrideTimes(nil, ics)
	if want := []float64{1.1, 1.1, 1.1}; !cmp.Equal(st, want, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })) {
		t.Errorf("StrideTimes = %v, want %v", st, want)
	}
	// Cadence = 120 / 1.1 s steps/min (2 × stride frequency); 60/mean step
	// time gives the same here because steps alternate 0.5/0.6 s.
	if got := CadenceFromStrides(st); !scalar.EqualWithinAbsOrRel(got, 120/1.1, 1e-12, 1e-12) {
		t.Errorf("CadenceFromStrides = %v, want %v", got, 120/1.1)
	}
	if got := CadenceFromSteps(StepTimes(nil, ics)); !scalar.EqualWithinAbsOrRel(got, 60/0.55, 1e-12, 1e-12) {
		t.Errorf("CadenceFromSteps = %v, want %v", got, 60/0.55)
	}
	// {1,2,3,4}: mean 2.5, sample SD sqrt(5/3), CV 100·SD/mean (by hand).
	m, sd, cv := Variability([]float64{1, 2, 3, 4})
	if m != 2.5 || !scalar.EqualWithinAbsOrRel(sd, math.Sqrt(5.0/3), 1e-15, 1e-15) || !scalar.EqualWithinAbsOrRel(cv, 100*math.Sqrt(5.0/3)/2.5, 1e-13, 1e-13) {
		t.Errorf("Variability = %v %v %v", m, sd, cv)
	}
	if m, sd, cv := Variability(nil); m != 0 || sd != 0 || cv != 0 || CadenceFromStrides(nil) != 0 {
		t.Errorf("empty input gave %v %v %v", m, sd, cv)
	}
}

func TestRegularity(t *testing.T) {
	// x = a·sin(ω₁t) + b·sin(2ω₁t), ω₁ the stride frequency. Its
	// autocorrelation is (a²cos(ω₁τ) + b²cos(2ω₁τ))/(a²+b²), so at one step
	// (τ = T/2) Ad1 = (b²−a²)/(a²+b²) and at one stride Ad2 = 1 (closed form;
	// finite-length cross terms are O(1/N), below 0.01 for 50 strides).
	const fs, stride = 100.0, 1.2
	for _, tc := range []struct{ a, b float64 }{{0, 1}, {0.3, 1}, {0.6, 1}} {
		x := make([]float64, int(50*stride*fs))
		for i := range x {
			ti := float64(i) / fs
			x[i] = tc.a*math.Sin(2*math.Pi*ti/stride) + tc.b*math.Sin(4*math.Pi*ti/stride)
		}
		step, str, sym := Regularity(x, fs, stride/2, stride)
		wantStep := (tc.b*tc.b - tc.a*tc.a) / (tc.a*tc.a + tc.b*tc.b)
		if math.Abs(step-wantStep) > 0.01 || math.Abs(str-1) > 0.01 || math.Abs(sym-wantStep) > 0.01 {
			t.Errorf("a=%v b=%v: Regularity = %.4f %.4f %.4f, want %.4f 1 %.4f", tc.a, tc.b, step, str, sym, wantStep, wantStep)
		}
	}
	if s, d, y := Regularity([]float64{1, 1, 1, 1, 1, 1}, 100, 0.5, 1); s != 0 || d != 0 || y != 0 {
		t.Errorf("constant input: %v %v %v, want zeros", s, d, y)
	}
}

func TestHarmonicRatio(t *testing.T) {
	// One stride of N samples holding harmonics 1..4 with amplitudes
	// 0.5, 1, 0.25, 0.2: the DFT bin k has magnitude N/2 × amplitude, so
	// HR = (1 + 0.2)/(0.5 + 0.25) = 1.6 exactly (Menz 2003 definition).
	const n = 110
	x := make([]float64, n)
	for i := range x {
		th := 2 * math.Pi * float64(i) / n
		x[i] = 3 + 0.5*math.Sin(th) + math.Sin(2*th) + 0.25*math.Cos(3*th) + 0.2*math.Sin(4*th+0.3)
	}
	if got := HarmonicRatio(x); !scalar.EqualWithinAbsOrRel(got, 1.6, 1e-9, 1e-9) {
		t.Errorf("HarmonicRatio = %v, want 1.6", got)
	}
	if got := HarmonicRatio([]float64{2, 2, 2, 2, 2, 2}); got != 0 {
		t.Errorf("HarmonicRatio(constant) = %v, want 0", got)
	}
}

// harmonicRatioOneBin is HarmonicRatio computed one DFT bin at a time,
// as it was before the bins were interleaved: the reference the
// interleaved loops must equal bit for bit.
func harmonicRatioOneBin(x []float64) float64 {
	n := len(x)
	var even, odd, scale float64
	for _, v := range x {
		scale += math.Abs(v)
	}
	for k := 1; k <= 20 && 2*k < n; k++ {
		c := 2 * math.Cos(2*math.Pi*float64(k)/float64(n))
		var s1, s2 float64
		for _, v := range x {
			s1, s2 = v+c*s1-s2, s1
		}
		a := math.Sqrt(math.Max(0, s1*s1+s2*s2-c*s1*s2))
		if k%2 == 0 {
			even += a
		} else {
			odd += a
		}
	}
	if odd <= 1e-12*scale || even+odd <= 1e-12*scale {
		return 0
	}
	return even / odd
}

// TestHarmonicRatioInterleaved: for strides of every length from 1 to 300
// samples (fewer harmonics than 4, a multiple of 4, and the tails), the
// interleaved bins give the one-bin-at-a-time result exactly.
func TestHarmonicRatioInterleaved(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 300; n++ {
		x := make([]float64, n)
		for i := range x {
			x[i] = 9.8 + rng.NormFloat64()
		}
		if got, want := HarmonicRatio(x), harmonicRatioOneBin(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("n=%d: HarmonicRatio = %v, one bin at a time %v", n, got, want)
		}
	}
}

func BenchmarkHarmonicRatio(b *testing.B) {
	x := make([]float64, 110) // one stride of 1.1 s at 100 Hz
	for i := range x {
		x[i] = 9.8 + math.Sin(4*math.Pi*float64(i)/110)
	}
	for b.Loop() {
		HarmonicRatio(x)
	}
}

func TestStepLengthPendulum(t *testing.T) {
	// Chord of a circle of radius l with sagitta h: 2·sqrt(2lh − h²)
	// (Zijlstra & Hof 2003), times k. l = 0.9 m, h = 0.03 m:
	// 2·sqrt(0.054 − 0.0009) = 2·sqrt(0.0531).
	if got, want := StepLengthPendulum(0.03, 0.9, 1), 2*math.Sqrt(0.0531); !scalar.EqualWithinAbsOrRel(got, want, 1e-15, 1e-15) {
		t.Errorf("StepLengthPendulum = %v, want %v", got, want)
	}
	// ZijlstraK = 4.587/4 = 1.14675 (Mobilise-D MS-MS model).
	if got := StepLengthPendulum(0.03, 0.9, ZijlstraK); !scalar.EqualWithinAbsOrRel(got, 1.14675*2*math.Sqrt(0.0531), 1e-15, 1e-15) {
		t.Errorf("with K: %v", got)
	}
	for _, h := range []float64{-0.01, 0, 1.9, math.NaN()} {
		if got := StepLengthPendulum(h, 0.9, 1); got != 0 {
			t.Errorf("StepLengthPendulum(h=%v) = %v, want 0", h, got)
		}
	}
}

// butterHPGain2 is the magnitude-squared response of an order-n digital
// Butterworth high-pass (bilinear design) at f, i.e. the gain of running it
// forward and backward: 1/(1 + (tan(π·fc/fs)/tan(π·f/fs))^(2n)).
func butterHPGain2(n int, fc, f, fs float64) float64 {
	r := math.Tan(math.Pi*fc/fs) / math.Tan(math.Pi*f/fs)
	return 1 / (1 + math.Pow(r, 2*float64(n)))
}

func TestVerticalDisplacementPendulum(t *testing.T) {
	// The trunk rises and falls by h each step: d(t) = (h/2)·cos(2πft), so
	// a_V = g − (2πf)²·d(t). The estimate is h times the two zero-phase
	// high-pass gains (closed form above) and the trapezoid integrator's gain
	// (ω/2)/tan(ω/2) per integration, ω = 2πf/fs.
	const fs, f, h, l = 100.0, 2.0, 0.04, 0.95
	x := make([]float64, int(40*fs))
	w := 2 * math.Pi * f
	for i := range x {
		x[i] = balance.StandardGravity - w*w*h/2*math.Cos(w*float64(i)/fs)
	}
	d := VerticalDisplacement(nil, x, fs)
	om := w / fs
	integ := (om / 2) / math.Tan(om/2)
	wantH := h * butterHPGain2(4, 0.1, f, fs) * butterHPGain2(4, 1, f, fs) * integ * integ
	var ics []int
	for i := int(10 * fs); i <= int(30*fs); i += int(fs / f) {
		ics = append(ics, i)
	}
	sl := StepLengths(nil, d, ics, l, 1)
	want := StepLengthPendulum(wantH, l, 1)
	for i, s := range sl {
		// 0.3 %: the displacement peak falls between samples (cos of half a
		// sample at 50 samples per step is 0.998 for the peak-to-peak).
		if !scalar.EqualWithinAbsOrRel(s, want, 0, 3e-3) {
			t.Errorf("step %d length %.5f m, want %.5f m", i, s, want)
		}
	}
}

func TestTurns(t *testing.T) {
	// Yaw rate W·sin(πt/T) over T seconds turns by 2WT/π (closed form).
	const fs = 100.0
	mk := func(angleDeg, T float64) []float64 {
		x := make([]float64, int(20*fs))
		W := angleDeg * math.Pi / 180 * math.Pi / (2 * T)
		for i := range x {
			if tt := float64(i)/fs - 5; tt >= 0 && tt < T {
				x[i] = W * math.Sin(math.Pi*tt/T)
			}
		}
		return x
	}
	for _, tc := range []struct {
		angle, T float64
		want     int
	}{{90, 2, 1}, {-180, 3, 1}, {30, 2, 0}, {90, 12, 0}} {
		got := Turns(mk(tc.angle, tc.T), fs, 100)
		if len(got) != tc.want {
			t.Errorf("turn %v° over %v s: %d turns, want %d: %+v", tc.angle, tc.T, len(got), tc.want, got)
			continue
		}
		for _, tr := range got {
			// The angle integrates the raw rate between the bounds, which
			// enclose the whole turn: within 1° (trapezoid sampling error).
			if math.Abs(tr.AngleDeg-tc.angle) > 1 {
				t.Errorf("turn angle %.2f°, want %v°", tr.AngleDeg, tc.angle)
			}
			if tr.Start > 105 || tr.End < 105+tc.T || tr.DurationS > tc.T+2 {
				t.Errorf("turn %.2f-%.2f s, want to enclose 105-%.0f s", tr.Start, tr.End, 105+tc.T)
			}
		}
	}
}

func TestAssembleBouts(t *testing.T) {
	seq := func(from float64, n int, step float64) []float64 {
		var x []float64
		for i := 0; i < n; i++ {
			x = append(x, from+float64(i)*step)
		}
		return x
	}
	for _, tc := range []struct {
		name string
		ics  []float64
		want [][2]int // First, Last
	}{
		{"one bout", seq(0, 10, 0.5), [][2]int{{0, 9}}},
		{"two strides", seq(0, 4, 0.5), [][2]int{{0, 3}}},                                                 // Kluge 2021: 2 strides make a bout
		{"too few strides", seq(0, 3, 0.5), nil},                                                          // 1 stride
		{"break over 3 s splits", append(seq(0, 8, 0.5), seq(7.0, 8, 0.5)...), [][2]int{{0, 7}, {8, 15}}}, // 3.5 s pause
		{"break under 3 s joins", append(seq(0, 8, 0.5), seq(5.5, 8, 0.5)...), [][2]int{{0, 15}}},         // 2 s pause
		{"strides too short", seq(0, 20, 0.05), nil},
	} {
		var got [][2]int
		for _, b := range AssembleBouts(tc.ics, nil, nil, MobilisedBoutRules) {
			got = append(got, [2]int{b.First, b.Last})
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	// Stride length rule: steps of 0.05 m make 0.10 m strides < 0.15 m.
	ics := seq(0, 10, 0.5)
	short := make([]float64, 9)
	for i := range short {
		short[i] = 0.05
	}
	if got := AssembleBouts(ics, short, nil, MobilisedBoutRules); len(got) != 0 {
		t.Errorf("0.10 m strides gave %d bouts, want 0", len(got))
	}
}

func TestAggregate(t *testing.T) {
	bouts := []WalkingBout{
		{DurationS: 5, NumSteps: 8, CadenceSPM: 100, StrideTimeS: 1.2, StrideTimeCV: 2, HasLength: true, SpeedMPS: 0.5, StrideLengthM: 0.6},
		{DurationS: 20, NumSteps: 30, CadenceSPM: 110, StrideTimeS: 1.1, StrideTimeCV: 4, HasLength: true, SpeedMPS: 1.0, StrideLengthM: 1.1, Turns: []Turn{{}}},
		{DurationS: 70, NumSteps: 120, CadenceSPM: 20, StrideTimeS: 6, HasLength: true, SpeedMPS: 1.2, StrideLengthM: 1.3, Flags: []string{FlagCadenceImplausible}},
	}
	got := Aggregate(bouts)
	// By hand: cadence over plausible bouts (100+110)/2; speed over bouts
	// > 10 s (1.0, 1.2): mean 1.1, 90th percentile 1.0 + 0.9·0.2 (numpy
	// linear); duration median 20, p90 20 + 0.8·50 = 60.
	want := GaitAggregates{NumBouts: 3, WalkingS: 95, NumSteps: 158, NumTurns: 1,
		BoutDurationMedianS: 20, BoutDurationP90S: 60, BoutsOver60S: 1,
		CadenceSPM: 105, StrideTimeS: 1.15, StrideTimeCV: 3,
		SpeedMPS: 1.1, SpeedP90MPS: 1.18, StrideLengthM: 1.2}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return scalar.EqualWithinAbsOrRel(a, b, 1e-12, 1e-12) })); diff != "" {
		t.Errorf("Aggregate (-want +got):\n%s", diff)
	}
	days := AggregateDaily([]WalkingBout{{StartTimeNS: 86400e9 + 5, DurationS: 3}, {StartTimeNS: 5, DurationS: 4}})
	if len(days) != 2 || days[0].Date != "1970-01-01" || days[0].WalkingS != 4 || days[1].Date != "1970-01-02" {
		t.Errorf("AggregateDaily = %+v", days)
	}
}

func TestGaitSynthetic(t *testing.T) {
	// 60 s: standing, walking 10-50 s at 1.8 steps/s with 3 cm vertical
	// excursion and a small left/right difference, sensor tilted 20°.
	const fs, f, h, l = 100.0, 1.8, 0.03, 0.95
	s := synthWalk(fs, 60, 10, 50, f, h, 0.3, 20)
	res, err := Gait(s, fs, GaitParams{SensorHeightM: l})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bouts) != 1 {
		t.Fatalf("%d bouts, want 1: %+v", len(res.Bouts), res.Bouts)
	}
	b := res.Bouts[0]
	// Cadence 60·f steps/min (the rhythm), ±0.5 %.
	if !scalar.EqualWithinAbsOrRel(b.CadenceSPM, 60*f, 0, 5e-3) {
		t.Errorf("cadence %.2f, want %.2f", b.CadenceSPM, 60*f)
	}
	// 40 s of walking: ICs span it to within a step at each end.
	if b.Start > 10+1/f || b.End < 50-1/f || b.Start < 10-1/f || b.End > 50+1/f {
		t.Errorf("bout %.2f-%.2f s, want 10-50 s ± one step", b.Start, b.End)
	}
	// A perfect rhythm; the 40 Hz IC grid (uniform rounding error, SD
	// 25 ms/√12 per IC, √2 that per stride) alone gives a CV of about
	// 100·10.2 ms/1111 ms = 0.9 %.
	if b.StrideTimeCV > 2 {
		t.Errorf("stride CV %.2f %%, want < 2 %% for a perfect rhythm", b.StrideTimeCV)
	}
	// Step length: h attenuated by the filters (closed form as in
	// TestVerticalDisplacementPendulum), through the model with K; ±2 % for
	// the half-sample peak timing and the Hampel smoothing.
	om := 2 * math.Pi * f / fs
	integ := (om / 2) / math.Tan(om/2)
	hEst := h * butterHPGain2(4, 0.1, f, fs) * butterHPGain2(4, 1, f, fs) * integ * integ
	wantSL := 2 * StepLengthPendulum(hEst, l, ZijlstraK)
	if !scalar.EqualWithinAbsOrRel(b.StrideLengthM, wantSL, 0, 0.02) {
		t.Errorf("stride length %.3f m, want %.3f m", b.StrideLengthM, wantSL)
	}
	if !scalar.EqualWithinAbsOrRel(b.SpeedMPS, wantSL*f/2, 0, 0.025) {
		t.Errorf("speed %.3f m/s, want %.3f m/s", b.SpeedMPS, wantSL*f/2)
	}
	// The step component dominates: step regularity near 1 minus the
	// stride-frequency share; symmetric enough to be above 0.8.
	if b.StrideRegularity < 0.95 || b.StepRegularity < 0.8 || b.HarmonicRatio < 1 {
		t.Errorf("regularity %.3f/%.3f HR %.2f", b.StepRegularity, b.StrideRegularity, b.HarmonicRatio)
	}
	if !cmp.Equal(res.Quality, []string{FlagNoGyro}) {
		t.Errorf("quality %v, want [%s]", res.Quality, FlagNoGyro)
	}
	if res.Aggregates.NumBouts != 1 || res.Aggregates.SpeedMPS != b.SpeedMPS {
		t.Errorf("aggregates %+v", res.Aggregates)
	}
}

func TestGaitStandingOnly(t *testing.T) {
	s := synthWalk(100, 60, 0, 0, 1.8, 0.03, 0, 5)
	res, err := Gait(s, 100, GaitParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bouts) != 0 || len(res.Sequences) != 0 {
		t.Errorf("standing gave %d bouts, %d sequences", len(res.Bouts), len(res.Sequences))
	}
}

func TestGaitBadInput(t *testing.T) {
	good := func() []balance.Sample { return synthWalk(100, 30, 5, 25, 1.8, 0.03, 0, 0) }
	for _, tc := range []struct {
		name string
		mod  func([]balance.Sample) []balance.Sample
		fs   float64
		want error
	}{
		{"too short", func(s []balance.Sample) []balance.Sample { return s[:250] }, 100, ErrTooShort},
		{"empty", func(s []balance.Sample) []balance.Sample { return nil }, 100, ErrTooShort},
		{"rate too low", nil, 5, ErrBadRate},
		{"rate NaN", nil, math.NaN(), ErrBadRate},
		{"declared rate contradicts times", nil, 50, ErrBadRate},
		{"NaN", func(s []balance.Sample) []balance.Sample { s[700].Acc[1] = math.NaN(); return s }, 100, ErrNonFinite},
		{"Inf gyro", func(s []balance.Sample) []balance.Sample { s[9].Gyro[2] = math.Inf(-1); return s }, 100, ErrNonFinite},
		{"flat", func(s []balance.Sample) []balance.Sample {
			for i := range s {
				s[i].Acc = [3]float64{0, 0, 9.81}
			}
			return s
		}, 100, ErrFlat},
		{"time backwards", func(s []balance.Sample) []balance.Sample { s[900].TimeNS = s[899].TimeNS; return s }, 100, ErrGap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			if tc.mod != nil {
				s = tc.mod(s)
			}
			_, err := Gait(s, tc.fs, GaitParams{HeightM: 1.7})
			if !errors.Is(err, tc.want) {
				t.Errorf("Gait error %v, want %v", err, tc.want)
			}
			if balance.ErrorCode(err) == balance.EINTERNAL {
				t.Errorf("untyped error %v", err)
			}
		})
	}
}

func TestGaitGapAndSaturation(t *testing.T) {
	// Two walks separated by a 10 s hole in the timestamps: analysed as two
	// stretches, flagged, both walks found, no bout across the gap.
	a := synthWalk(100, 40, 5, 35, 1.8, 0.03, 0, 0)
	b := synthWalk(100, 40, 5, 35, 1.8, 0.03, 0, 0)
	for i := range b {
		b[i].TimeNS += 50e9
	}
	s := append(a, b...)
	res, err := Gait(s, 100, GaitParams{HeightM: 1.7})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bouts) != 2 || res.Bouts[1].Start < 50 || !cmp.Equal(res.Quality, []string{FlagGaps, FlagNoGyro}) {
		t.Errorf("got %d bouts (second from %.1f s), quality %v; want 2, after 50 s, [gaps no_gyro]", len(res.Bouts), res.Bouts[len(res.Bouts)-1].Start, res.Quality)
	}
	// Clip the acceleration at 1.5 g on the up axis: flagged as saturated.
	c := synthWalk(100, 30, 5, 25, 1.8, 0.08, 0, 0)
	for i := range c {
		c[i].Acc[0] = math.Min(c[i].Acc[0], 1.5*balance.StandardGravity+0.1)
	}
	res, err = Gait(c, 100, GaitParams{})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(res.Quality, []string{FlagSaturated, FlagNoSensorHeight, FlagNoGyro}) {
		t.Errorf("quality %v, want [saturated no_sensor_height no_gyro]", res.Quality)
	}
	for _, bt := range res.Bouts {
		if bt.HasLength || bt.SpeedMPS != 0 {
			t.Errorf("bout without height has length %v speed %v", bt.HasLength, bt.SpeedMPS)
		}
	}
}

func TestGaitWithinErrors(t *testing.T) {
	s := synthWalk(100, 30, 5, 25, 1.8, 0.03, 0, 0)
	if _, err := GaitWithin(s, 100, 0, 50, GaitParams{}); !errors.Is(err, ErrTooShort) {
		t.Errorf("0.5 s interval: %v, want ErrTooShort", err)
	}
	if _, err := GaitWithin(s, 100, 100, 400, GaitParams{}); !errors.Is(err, ErrNoSteps) {
		t.Errorf("standing interval: %v, want ErrNoSteps", err)
	}
	b, err := GaitWithin(s, 100, 500, 2500, GaitParams{HeightM: 1.8})
	if err != nil {
		t.Fatal(err)
	}
	if !scalar.EqualWithinAbsOrRel(b.CadenceSPM, 108, 0, 5e-3) {
		t.Errorf("cadence %.2f, want 108 (1.8 steps/s)", b.CadenceSPM)
	}
}

func TestGaitAcrossRates(t *testing.T) {
	// The same walk sampled from balance.MinRateHz to MaxRateHz: no panic,
	// one bout, cadence 108 steps/min within 2 % (the 40 Hz IC grid and, at
	// 10 Hz, 0.1 s sampling of each contact).
	for _, fs := range []float64{10, 25, 50, 100, 200, 1000} {
		s := synthWalk(fs, 40, 5, 35, 1.8, 0.03, 0.3, 10)
		res, err := Gait(s, fs, GaitParams{HeightM: 1.7})
		if err != nil {
			t.Errorf("%v Hz: %v", fs, err)
			continue
		}
		if len(res.Bouts) != 1 || math.Abs(res.Bouts[0].CadenceSPM-108) > 2.16 {
			t.Errorf("%v Hz: %d bouts, cadence %v", fs, len(res.Bouts), res.Aggregates.CadenceSPM)
		}
	}
}

func TestGaitFlatlineFlag(t *testing.T) {
	// Two seconds of a stuck (zero-filled) accelerometer inside a walk
	// recording: flagged, not an error, treated as a gap: no bout spans the
	// dead stretch and no step is fabricated in it.
	s := synthWalk(100, 40, 5, 35, 1.8, 0.03, 0, 0)
	for i := 1500; i < 1700; i++ {
		s[i].Acc = [3]float64{}
	}
	res, err := Gait(s, 100, GaitParams{HeightM: 1.7})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(res.Quality, []string{FlagFlatline, FlagNoGyro}) {
		t.Errorf("quality %v, want [flatline no_gyro]", res.Quality)
	}
	if len(res.Bouts) != 2 {
		t.Errorf("%d bouts, want 2 (the walk on either side of the dead stretch)", len(res.Bouts))
	}
	for _, b := range res.Bouts {
		for _, ic := range b.ICs {
			if ic > 15.2 && ic < 16.8 {
				t.Errorf("IC at %.2f s inside the dead stretch 15-17 s", ic)
			}
		}
	}
}

func TestClippedMatchesSaturatedFraction(t *testing.T) {
	// clipped is the cheap form of SaturatedFraction > 0: they must agree.
	for _, clip := range []float64{0, 1.2, 1.6, 2.5} {
		s := synthWalk(100, 30, 5, 25, 1.8, 0.08, 0, 0)
		if clip > 0 {
			for i := range s {
				s[i].Acc[0] = math.Min(s[i].Acc[0], clip*balance.StandardGravity)
			}
		}
		lo, hi := s[0].Acc, s[0].Acc
		for i := range s {
			for k, v := range s[i].Acc {
				lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
			}
		}
		if got, want := clipped(s, lo, hi), SaturatedFraction(s) > 0; got != want {
			t.Errorf("clip at %v g: clipped %v, SaturatedFraction > 0 %v", clip, got, want)
		}
	}
}
