package analysis

import (
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/balance-pt/balance"
	"gonum.org/v1/gonum/floats/scalar"
)

// coreRotMat is a rotation matrix from Rodrigues' formula (axis k unit, angle a).
func coreRotMat(k [3]float64, a float64) [3][3]float64 {
	k = unit(k)
	c, s := math.Cos(a), math.Sin(a)
	var r [3][3]float64
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i][j] = (1 - c) * k[i] * k[j]
			if i == j {
				r[i][j] += c
			}
		}
	}
	r[0][1] -= s * k[2]
	r[0][2] += s * k[1]
	r[1][0] += s * k[2]
	r[1][2] -= s * k[0]
	r[2][0] -= s * k[1]
	r[2][1] += s * k[0]
	return r
}

func coreMulMV(r [3][3]float64, v [3]float64) [3]float64 {
	return [3]float64{dot(r[0], v), dot(r[1], v), dot(r[2], v)}
}

// coreSynthWalk makes body-frame samples (x forward, y left, z up) of straight
// walking by the inverted-pendulum pattern the alignment relies on:
// a_V = -A·cos(2πf t) (least at mid-stance t = 0), a_AP = A_AP·sin(2πf t)
// (leading a_V by a quarter step), a_ML = A_ML·sin(π f t) (stride rhythm),
// preceded by 3 s of quiet standing; then rotates every vector by r into
// the sensor frame.
func coreSynthWalk(fs float64, seconds float64, r [3][3]float64) []balance.Sample {
	n := int(seconds * fs)
	out := make([]balance.Sample, n)
	f := 1.8
	for i := range out {
		t := float64(i) / fs
		var a [3]float64
		if t > 3 {
			w := 2 * math.Pi * f * (t - 3)
			a = [3]float64{1.5 * math.Sin(w), 0.8 * math.Sin(w/2), -2 * math.Cos(w)}
		}
		a[2] += balance.StandardGravity
		out[i] = balance.Sample{TimeNS: int64(float64(i) * 1e9 / fs), Acc: coreMulMV(r, a)}
	}
	return out
}

func TestAlignToBodySynthetic(t *testing.T) {
	fs := 100.0
	for _, tc := range []struct {
		name string
		r    [3][3]float64
		decl bool
	}{
		{"identity", coreRotMat([3]float64{0, 0, 1}, 0), false},
		{"tilt30", coreRotMat([3]float64{0, 1, 0}, 30*math.Pi/180), false},
		{"upside down, yawed", coreRotMat([3]float64{1, 0.3, 0}, math.Pi), true},
		{"sisfall-like y down", coreRotMat([3]float64{1, 0, 0}, math.Pi/2), false},
		{"arbitrary", coreRotMat([3]float64{0.2, -0.7, 0.4}, 2.1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := coreSynthWalk(fs, 40, tc.r)
			var opts AlignOptions
			if tc.decl {
				opts.DeclaredUp = [3]float64{0, 0, 1}
				opts.DeclaredForward = [3]float64{1, 0, 0}
			}
			b, err := AlignToBody(s, fs, opts)
			if err != nil {
				t.Fatal(err)
			}
			// The true body axes in sensor coordinates are r·e_x and r·e_z.
			wantF, wantU := coreMulMV(tc.r, [3]float64{1, 0, 0}), coreMulMV(tc.r, [3]float64{0, 0, 1})
			if a := angleDeg(b.Up, wantU); a > 1 {
				t.Errorf("Up off by %.2f deg", a)
			}
			if a := angleDeg(b.Forward, wantF); a > 3 {
				t.Errorf("Forward off by %.2f deg (got %v want %v)", a, b.Forward, wantF)
			}
			if !scalar.EqualWithinAbs(b.StepHz, 1.8, 0.25) {
				t.Errorf("StepHz %v, want 1.8 (Welch bin 0.25 Hz)", b.StepHz)
			}
			// Body-frame signals reproduce the synthetic ones mid-walk.
			for i := 1000; i < 3500; i += 97 {
				w := 2 * math.Pi * 1.8 * (float64(i)/fs - 3)
				if !scalar.EqualWithinAbs(b.V[i], -2*math.Cos(w), 0.25) ||
					!scalar.EqualWithinAbs(b.AP[i], 1.5*math.Sin(w), 0.25) ||
					!scalar.EqualWithinAbs(b.ML[i], 0.8*math.Sin(w/2), 0.25) {
					t.Fatalf("sample %d: V %.2f AP %.2f ML %.2f, want %.2f %.2f %.2f", i, b.V[i], b.AP[i], b.ML[i],
						-2*math.Cos(w), 1.5*math.Sin(w), 0.8*math.Sin(w/2))
				}
			}
			// Rotation maps the true body axes onto e_x, e_y, e_z.
			rot := b.Rotation()
			for k, e := range [][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} {
				got := coreMulMV(rot, coreMulMV(tc.r, e))
				if got[k] < math.Cos(3*math.Pi/180) {
					t.Errorf("Rotation·(body axis %d) = %v", k, got)
				}
			}
			upsideDown := tc.decl && dot(wantU, [3]float64{0, 0, 1}) < 0
			if got := b.Quality&AlignUpsideDown != 0; got != upsideDown {
				t.Errorf("upside-down flag %v, want %v", got, upsideDown)
			}
		})
	}
}

func TestAlignToBodyBadInput(t *testing.T) {
	good := coreSynthWalk(100, 10, coreRotMat([3]float64{0, 0, 1}, 0))
	nan := append([]balance.Sample(nil), good...)
	nan[500].Gyro[1] = math.NaN()
	gap := append([]balance.Sample(nil), good...)
	for i := 600; i < len(gap); i++ {
		gap[i].TimeNS += 1e9
	}
	flat := make([]balance.Sample, 500)
	for _, tc := range []struct {
		name string
		s    []balance.Sample
		fs   float64
		want error
	}{
		{"short", good[:50], 100, ErrTooShort},
		{"nan", nan, 100, ErrNonFinite},
		{"gap", gap, 100, ErrGap},
		{"rate", good, 5, ErrBadRate},
		{"wrong rate", good, 50, ErrBadRate},
		{"flat", flat, 100, ErrFlat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AlignToBody(tc.s, tc.fs, AlignOptions{})
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// coreReadMobgap reads a mobgap CSV (acc in g, gyro in deg/s) into SI samples.
func coreReadMobgap(t *testing.T, path string) []balance.Sample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("mobgap test data (committed in testdata) missing: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]balance.Sample, 0, len(rows)-1)
	for _, r := range rows[1:] {
		var v [6]float64
		for k := range v {
			if v[k], err = strconv.ParseFloat(r[3+k], 64); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, balance.Sample{
			Acc:  [3]float64{v[0] * balance.StandardGravity, v[1] * balance.StandardGravity, v[2] * balance.StandardGravity},
			Gyro: [3]float64{v[3] * math.Pi / 180, v[4] * math.Pi / 180, v[5] * math.Pi / 180},
		})
	}
	return out
}

// TestAlignToBodyMobgap: on real lower-back walking (mobgap README: x up,
// z anterior when worn correctly) the undeclared alignment must find up ≈ +x
// and forward ≈ +z, including the sign from the walking pattern.
func TestAlignToBodyMobgap(t *testing.T) {
	for _, p := range []string{"HA_001/Test5_Trial1_imu.csv", "HA_001/Test5_Trial2_imu.csv", "MS_001/Test5_Trial1_imu.csv", "HA_001/Test11_Trial1_imu.csv"} {
		t.Run(p, func(t *testing.T) {
			s := coreReadMobgap(t, filepath.Join("testdata", "mobgap", p))
			b, err := AlignToBody(s, 100, AlignOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("up %.3f forward %.3f step %.2f Hz quality %b", b.Up, b.Forward, b.StepHz, b.Quality)
			if a := angleDeg(b.Up, [3]float64{1, 0, 0}); a > 25 {
				t.Errorf("up is %.1f deg from +x", a)
			}
			if a := angleDeg(b.Forward, [3]float64{0, 0, 1}); a > 35 {
				t.Errorf("forward is %.1f deg from +z", a)
			}
		})
	}
}
