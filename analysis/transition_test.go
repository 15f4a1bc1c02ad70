package analysis

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// motion is a trunk trajectory sampled at fs: pitch θ (rad, + forward
// flexion about the body's left axis), heading ψ (rad, + left), height z
// (m) and distance walked along the heading s (m), plus an optional body-
// frame acceleration added on top (walking oscillation).
type coreMotion struct {
	fs               float64
	pitch, yaw, z, s []float64
	extra            [][3]float64
}

func coreNewMotion(fs, sec float64) *coreMotion {
	n := int(sec * fs)
	return &coreMotion{fs: fs, pitch: make([]float64, n), yaw: make([]float64, n), z: make([]float64, n),
		s: make([]float64, n), extra: make([][3]float64, n)}
}

// coreSmooth is 0 before t0, 1 after t0+d, (1−cos(π(t−t0)/d))/2 between.
func coreSmooth(t, t0, d float64) float64 {
	switch {
	case t <= t0:
		return 0
	case t >= t0+d:
		return 1
	}
	return (1 - math.Cos(math.Pi*(t-t0)/d)) / 2
}

// coreMinJerk is 0 before t0, 1 after t0+d and the minimum-jerk profile
// 10τ³ − 15τ⁴ + 6τ⁵ between (Flash & Hogan 1985): human point-to-point
// movements start and end with zero velocity and acceleration.
func coreMinJerk(t, t0, d float64) float64 {
	u := math.Max(0, math.Min(1, (t-t0)/d))
	return u * u * u * (10 - 15*u + 6*u*u)
}

// coreBump is sin²(π(t−c+w/2)/w) on [c−w/2, c+w/2], 0 elsewhere.
func coreBump(t, c, w float64) float64 {
	u := (t - c + w/2) / w
	if u <= 0 || u >= 1 {
		return 0
	}
	return math.Pow(math.Sin(math.Pi*u), 2)
}

// add applies f(t) to every sample of dst.
func (m *coreMotion) add(dst []float64, f func(t float64) float64) {
	for i := range dst {
		dst[i] += f(float64(i) / m.fs)
	}
}

// samples differentiates the trajectory (central differences) into body-
// frame specific force and angular rate for R = Rz(ψ)·Ry(θ):
// acc = Rᵀ(ä_world + g·ẑ), gyro = Ry(θ)ᵀ(0,0,ψ̇) + (0,θ̇,0); then rotates
// both into the sensor frame by the mount r.
func (m *coreMotion) samples(r [3][3]float64) []balance.Sample {
	n := len(m.pitch)
	h := 1 / m.fs
	d1 := func(x []float64, i int) float64 {
		return (x[min(n-1, i+1)] - x[max(0, i-1)]) / (float64(min(n-1, i+1)-max(0, i-1)) * h)
	}
	d2 := func(x []float64, i int) float64 {
		if i == 0 || i == n-1 {
			return 0
		}
		return (x[i+1] - 2*x[i] + x[i-1]) / (h * h)
	}
	out := make([]balance.Sample, n)
	for i := range out {
		th, ps := m.pitch[i], m.yaw[i]
		sdd := d2(m.s, i)
		aw := [3]float64{sdd * math.Cos(ps), sdd * math.Sin(ps), d2(m.z, i) + balance.StandardGravity}
		rot := coreMat3Mul(coreRotMat([3]float64{0, 0, 1}, ps), coreRotMat([3]float64{0, 1, 0}, th))
		ab := coreMulMV(coreTranspose3(rot), aw)
		ab = add3(ab, m.extra[i])
		wb := add3(coreMulMV(coreTranspose3(coreRotMat([3]float64{0, 1, 0}, th)), [3]float64{0, 0, d1(m.yaw, i)}), [3]float64{0, d1(m.pitch, i), 0})
		out[i] = balance.Sample{TimeNS: int64(float64(i) * 1e9 / m.fs), Acc: coreMulMV(r, ab), Gyro: coreMulMV(r, wb)}
	}
	return out
}

func coreTranspose3(a [3][3]float64) [3][3]float64 {
	var t [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			t[i][j] = a[j][i]
		}
	}
	return t
}

func coreMat3Mul(a, b [3][3]float64) [3][3]float64 {
	var c [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				c[i][j] += a[i][k] * b[k][j]
			}
		}
	}
	return c
}

const coreDeg = math.Pi / 180

// standUp adds a sit-to-stand starting at t: a 35° flexion bump 1 s wide
// centred at t+0.5 and a 0.45 m minimum-jerk rise over [t+0.3, t+1.1].
func (m *coreMotion) standUp(t float64) {
	m.add(m.pitch, func(x float64) float64 { return 35 * coreDeg * coreBump(x, t+0.5, 1) })
	m.add(m.z, func(x float64) float64 { return 0.45 * coreMinJerk(x, t+0.3, 0.8) })
}

// sitDown adds a stand-to-sit starting at t: a 30° flexion bump centred at
// t+0.5 and a 0.45 m minimum-jerk descent over [t, t+0.9].
func (m *coreMotion) sitDown(t float64) {
	m.add(m.pitch, func(x float64) float64 { return 30 * coreDeg * coreBump(x, t+0.5, 1) })
	m.add(m.z, func(x float64) float64 { return -0.45 * coreMinJerk(x, t, 0.9) })
}

// walk adds walking from t0 to t1 at speed v with the inverted-pendulum
// accelerations of coreSynthWalk (1.8 Hz steps).
func (m *coreMotion) walk(t0, t1, v float64) {
	m.add(m.s, func(x float64) float64 { return v * (math.Max(t0, math.Min(x, t1)) - t0) })
	for i := range m.extra {
		x := float64(i) / m.fs
		if x < t0 || x > t1 {
			continue
		}
		w := 2 * math.Pi * 1.8 * (x - t0)
		m.extra[i] = add3(m.extra[i], [3]float64{1.5 * math.Sin(w), 0.8 * math.Sin(w/2), -2 * math.Cos(w)})
	}
}

// The 20 % crossings of a sin² bump of width w lie asin(√0.2)/π·w from its
// ends: the unfiltered transition bounds.
var coreBumpEdge = math.Asin(math.Sqrt(0.2)) / math.Pi

func TestFiveTimesSitToStand(t *testing.T) {
	fs := 100.0
	m := coreNewMotion(fs, 19)
	for k := 0; k < 5; k++ {
		tk := 2 + 3*float64(k)
		m.standUp(tk)
		m.sitDown(tk + 1.7)
	}
	// The same with the lower back reclined 20° while seated (pitch −20°
	// scaled by how far down the pelvis is), as sitting usually does.
	rec := coreNewMotion(fs, 19)
	copy(rec.z, m.z)
	for i := range rec.pitch {
		rec.pitch[i] = m.pitch[i] - 20*coreDeg*(1-m.z[i]/0.45)
	}
	for name, c := range map[string]struct {
		m *coreMotion
		r [3][3]float64
	}{
		"upright":          {m, coreRotMat([3]float64{0, 0, 1}, 0)},
		"tilted 30":        {m, coreRotMat([3]float64{1, 0, 0}, 30*coreDeg)},
		"upside down":      {m, coreRotMat([3]float64{0, 1, 0}, math.Pi)},
		"reclined sitting": {rec, coreRotMat([3]float64{0, 0, 1}, 0.3)},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := FiveTimesSitToStand(c.m.samples(c.r), fs, TransitionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var kinds []TransitionKind
			for _, tr := range res.Transitions {
				kinds = append(kinds, tr.Kind)
			}
			if len(kinds) != 10 {
				t.Fatalf("transitions %v, want 10 alternating", res.Transitions)
			}
			for i, k := range kinds {
				want := SitToStand
				if i%2 == 1 {
					want = StandToSit
				}
				if k != want {
					t.Fatalf("transition %d is %v, want %v (%+v)", i, k, want, res.Transitions[i])
				}
				if !scalar.EqualWithinAbs(math.Abs(res.Transitions[i].RiseM), 0.45, 0.1) {
					t.Errorf("transition %d rise %.3f m, want ±0.45", i, res.Transitions[i].RiseM)
				}
			}
			// First stand's start (2 + 0.5 − 0.5 + edge) to the fifth's end
			// (14 + 0.5 + 0.5 − edge); the 2 Hz zero-phase low-pass of the
			// pitch widens the bumps a little: allow 0.25 s.
			want := (14 + 1 - coreBumpEdge) - (2 + coreBumpEdge)
			if !res.Complete || res.Stands != 5 || !scalar.EqualWithinAbs(res.Seconds, want, 0.25) {
				t.Errorf("5xSTS %+v, want %.2f s", res, want)
			}
		})
	}
}

func TestTransitionsBendIsNotSTS(t *testing.T) {
	// Bending 40° forward and back with no change of height.
	fs := 100.0
	m := coreNewMotion(fs, 10)
	m.add(m.pitch, func(x float64) float64 { return 40 * coreDeg * coreBump(x, 5, 2) })
	tr, err := Transitions(m.samples(coreRotMat([3]float64{0, 0, 1}, 0)), fs, TransitionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 1 || tr[0].Kind != TransitionOther {
		t.Errorf("transitions %+v, want one 'other'", tr)
	}
}

func TestTUG(t *testing.T) {
	fs := 100.0
	m := coreNewMotion(fs, 17)
	m.standUp(2)
	m.walk(3.3, 6.3, 1)
	m.add(m.yaw, func(x float64) float64 { return math.Pi * coreSmooth(x, 6.3, 1.5) })
	m.walk(7.8, 10.8, 1)
	m.add(m.yaw, func(x float64) float64 { return math.Pi * coreSmooth(x, 10.8, 1.5) })
	m.sitDown(12.3)
	res, err := TUG(m.samples(coreRotMat([3]float64{1, 1, 0}, 30*coreDeg)), fs, TransitionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The rise runs straight into walking and the sit follows the turn, so
	// neither end of them is at rest: both come from the order of the
	// flexions (first and last), which the result must say.
	if res.Quality != TUGInferred {
		t.Fatalf("quality %b, want only TUGInferred: %+v", res.Quality, res)
	}
	// Stand starts at 2 + edge, sitting ends at 12.3 + 1 − edge (pitch bounds).
	want := (13.3 - coreBumpEdge) - (2 + coreBumpEdge)
	if !scalar.EqualWithinAbs(res.Seconds, want, 0.25) {
		t.Errorf("TUG %.2f s, want %.2f", res.Seconds, want)
	}
	// Turns of 180° (the smooth yaw ramps); the yaw-rate thresholds
	// (15 °/s on, 5 °/s off) trim a little of each ramp's tails.
	for _, c := range []struct {
		name      string
		p         TUGPhase
		coreDeg   float64
		start, to float64
	}{{"turn", res.Turn, res.TurnDeg, 6.3, 7.8}, {"turn to sit", res.TurnToSit, res.TurnToSitDeg, 10.8, 12.3}} {
		if !scalar.EqualWithinAbs(c.coreDeg, 180, 10) || !scalar.EqualWithinAbs(c.p.Start, c.start, 0.3) || !scalar.EqualWithinAbs(c.p.End, c.to, 0.3) {
			t.Errorf("%s %+v %.1f°, want %.1f-%.1f s 180°", c.name, c.p, c.coreDeg, c.start, c.to)
		}
	}
	if res.WalkOut.Seconds() < 2 || res.WalkBack.Seconds() < 2 {
		t.Errorf("walk phases %+v %+v, want about 3 s", res.WalkOut, res.WalkBack)
	}
}

// TestClinicalOrderFallback: when no flexion has a clear vertical motion
// (here: bends only, no height change) the tests fall back on their
// order from a seated start and say so.
func TestClinicalOrderFallback(t *testing.T) {
	fs := 100.0
	m := coreNewMotion(fs, 19)
	for k := 0; k < 10; k++ {
		c := 2.5 + 1.5*float64(k)
		m.add(m.pitch, func(x float64) float64 { return 35 * coreDeg * coreBump(x, c, 1) })
	}
	res, err := FiveTimesSitToStand(m.samples(coreRotMat([3]float64{0, 0, 1}, 0)), fs, TransitionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Rises are flexions 1, 3, 5, 7, 9: from the first's start to the
	// ninth flexion's end, (2.5 + 12 + 0.5 − edge) − (2.5 − 0.5 + edge).
	want := (15 - coreBumpEdge) - (2 + coreBumpEdge)
	if !res.Inferred || res.Stands != 5 || !res.Complete || !scalar.EqualWithinAbs(res.Seconds, want, 0.25) {
		t.Errorf("result %+v, want 5 inferred stands over %.2f s", res, want)
	}
	tug, err := TUG(m.samples(coreRotMat([3]float64{0, 0, 1}, 0)), fs, TransitionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tug.Quality&TUGInferred == 0 || tug.Quality&(TUGNoStand|TUGNoSit) != 0 {
		t.Errorf("TUG quality %b, want inferred rise and sit", tug.Quality)
	}
}

// TestTransitionsMobgapDailyLiving: in real simulated daily living (mobgap
// HA_001 Test11, lower back, 100 Hz) no sit-to-stand or stand-to-sit may
// peak inside a walking bout of the independent INDIP reference (one
// cannot rise from a chair mid-walk; the first and last second of a bout,
// where walking starts from a rise or ends in a sit, excepted), and the
// recording starts seated, so
// a sit-to-stand must come before the first bout. The fall detector must
// raise nothing on any mobgap recording (none contains a fall).
func TestTransitionsMobgapDailyLiving(t *testing.T) {
	dir := filepath.Join("testdata", "mobgap", "HA_001")
	s := coreReadMobgap(t, filepath.Join(dir, "Test11_Trial1_imu.csv"))
	raw, err := os.ReadFile(filepath.Join(dir, "Test11_Trial1_reference.json"))
	if err != nil {
		t.Fatalf("mobgap reference (committed in testdata) missing: %v", err)
	}
	var ref struct {
		Standards struct {
			INDIP struct {
				MicroWB []struct{ Start, End float64 }
			}
		}
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	bouts := ref.Standards.INDIP.MicroWB
	if len(bouts) == 0 {
		t.Fatal("no reference bouts")
	}
	tr, err := Transitions(s, 100, TransitionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	firstRise := math.Inf(1)
	for _, x := range tr {
		if x.Kind == TransitionOther {
			continue
		}
		if x.Kind == SitToStand {
			firstRise = math.Min(firstRise, x.Peak)
		}
		for _, b := range bouts {
			// A bout starts at its first foot contact, which may fall
			// during a rise that walks off (and ends at the last, during
			// a turn-and-sit): only the bout's inner part excludes
			// transitions; 1 s is about two steps.
			if x.Peak > b.Start+1 && x.Peak < b.End-1 {
				t.Errorf("%v at %.2f s inside the walking bout %.1f-%.1f s", x.Kind, x.Peak, b.Start, b.End)
			}
		}
	}
	if !(firstRise < bouts[0].Start) {
		t.Errorf("first sit-to-stand at %v s, want before the first bout at %.1f s", firstRise, bouts[0].Start)
	}
	for _, p := range []string{"HA_001/Test5_Trial1_imu.csv", "HA_001/Test5_Trial2_imu.csv", "HA_001/Test11_Trial1_imu.csv", "MS_001/Test5_Trial1_imu.csv"} {
		if evs := DetectFalls(coreReadMobgap(t, filepath.Join("testdata", "mobgap", p)), 100, FallConfig{}); len(evs) != 0 {
			t.Errorf("%s: false falls %+v", p, evs)
		}
	}
}
