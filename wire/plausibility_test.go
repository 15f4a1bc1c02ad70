package wire

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
)

// still returns n samples at hz with constant acc and gyro (SI).
func still(n int, hz float64, acc, gyro [3]float64) []balance.Sample {
	s := make([]balance.Sample, n)
	for i := range s {
		s[i] = balance.Sample{TimeNS: sampleTime(0, i, hz), Acc: acc, Gyro: gyro}
	}
	return s
}

// TestCheckUnitsThresholds places batches just inside and outside each rule;
// thresholds are the constants documented in plausibility.go.
func TestCheckUnitsThresholds(t *testing.T) {
	si := declared{unitSI, unitSI}
	gd := declared{gToMS2, degToRad}
	g0 := balance.StandardGravity
	tests := []struct {
		name string
		s    []balance.Sample
		u    declared
		code string
	}{
		{"g-valued data declared m/s², 0.5 s", still(51, 100, [3]float64{0, 0, 1}, [3]float64{}), si, balance.EUNITS},
		{"same for 0.49 s is not judged", still(50, 100, [3]float64{0, 0, 1}, [3]float64{}), si, ""},
		{"|acc| just below 0.25 g₀", still(51, 100, [3]float64{0, 0, 0.2499 * g0}, [3]float64{}), si, balance.EUNITS},
		{"|acc| at 0.25 g₀", still(51, 100, [3]float64{0, 0, 0.25 * g0}, [3]float64{}), si, ""},
		{"norm, not axes: 0.2 g₀ on each axis is 0.35 g₀", still(51, 100, [3]float64{0.2 * g0, 0.2 * g0, 0.2 * g0}, [3]float64{}), si, ""},
		{"one sample above 0.25 g₀ clears the batch", append(still(50, 100, [3]float64{0, 0, 1}, [3]float64{}), balance.Sample{TimeNS: 500_000_000, Acc: [3]float64{0, 0, 9.8}}), si, ""},
		{"m/s²-valued data declared g (mean 9.8 g₀)", still(51, 100, [3]float64{0, 0, 9.8 * g0}, [3]float64{}), gd, balance.EUNITS},
		{"mean |acc| 4.01 g₀ declared g", still(51, 100, [3]float64{0, 0, 4.01 * g0}, [3]float64{}), gd, balance.EUNITS},
		{"mean |acc| 3.99 g₀ declared g", still(51, 100, [3]float64{0, 0, 3.99 * g0}, [3]float64{}), gd, ""},
		{"deg/s-valued data declared rad/s (|ω| = 10.8)", still(51, 100, [3]float64{0, 0, g0}, [3]float64{6, 9, 0}), si, balance.EUNITS},
		{"|ω| exactly 10 rad/s is allowed", still(51, 100, [3]float64{0, 0, g0}, [3]float64{6, 8, 0}), si, ""},
		{"mean |ω| 9.9 rad/s", still(51, 100, [3]float64{0, 0, g0}, [3]float64{0, 9.9, 0}), si, ""},
		{"same data declared deg/s is not judged", still(51, 100, [3]float64{0, 0, g0}, [3]float64{6 * degToRad, 8 * degToRad, 0}), gd, ""},
		{"NaN never triggers", still(51, 100, [3]float64{0, 0, math.NaN()}, [3]float64{math.NaN(), 0, 0}), si, ""},
		{"empty", nil, si, ""},
	}
	for _, tt := range tests {
		if got := balance.ErrorCode(checkUnits(tt.s, tt.u)); got != tt.code {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.code)
		}
	}
}

// recording is a real IMU recording in SI units.
type recording struct {
	name string
	hz   float64
	s    []balance.Sample
}

// TestCheckUnitsRealData: correctly declared real recordings — SisFall
// (waist, 200 Hz: 15 falls, jogging, stumbles, jumps, lying down) and mobgap
// (lower back, 100 Hz: walking and simulated daily living of an older adult
// and a person with MS) — are never rejected in any 0.5 s window, whichever
// units they were declared in; the same recordings with their g values
// declared as m/s², or deg/s values declared as rad/s, are caught in the
// fractions of windows logged. Skipped when ../shared/data is absent.
func TestCheckUnitsRealData(t *testing.T) {
	recs := loadRecordings(t)
	if len(recs) == 0 {
		t.Skip("no shared/data recordings found above the test directory")
	}
	for _, r := range recs {
		win := int(r.hz/2) + 1 // spans exactly 0.5 s
		step := win / 4
		asG := make([]balance.Sample, win) // the window's values in g and deg/s, as if declared SI
		var windows, caughtAcc, caughtGyro int
		for i := 0; i+win <= len(r.s); i += step {
			w := r.s[i : i+win]
			windows++
			for _, u := range []declared{{unitSI, unitSI}, {gToMS2, degToRad}, {unitSI, degToRad}, {gToMS2, unitSI}} {
				if err := checkUnits(w, u); err != nil {
					t.Fatalf("%s: correctly declared window at %.2f s rejected: %v", r.name, float64(w[0].TimeNS-r.s[0].TimeNS)/1e9, err)
				}
			}
			for j := range w {
				asG[j] = w[j]
				for k := range 3 {
					asG[j].Acc[k] = w[j].Acc[k] / gToMS2
					asG[j].Gyro[k] = w[j].Gyro[k] / degToRad
				}
			}
			if checkUnits(asG, declared{unitSI, degToRad}) != nil {
				caughtAcc++
			}
			if checkUnits(asG, declared{gToMS2, unitSI}) != nil {
				caughtGyro++
			}
		}
		// Straight walking at the lower back stays far below 2.45 g, so g
		// values declared as m/s² must be caught in every window.
		if strings.Contains(r.name, "Test5_") && caughtAcc != windows {
			t.Errorf("%s: g declared as m/s² caught in %d of %d walking windows", r.name, caughtAcc, windows)
		}
		t.Logf("%-36s %5d windows; g declared as m/s² caught in %5.1f%%, deg/s declared as rad/s caught in %5.1f%%",
			r.name, windows, 100*float64(caughtAcc)/float64(windows), 100*float64(caughtGyro)/float64(windows))
	}
}

// sharedData returns the shared/data directory above the test's
// directory, or "".
func sharedData() string { return testenv.SharedDataDir() }

func loadRecordings(t *testing.T) []recording {
	t.Helper()
	root := sharedData()
	if root == "" {
		return nil
	}
	var recs []recording
	// SisFall (README: acc = raw·32/8192 g from the ADXL345, gyro =
	// raw·4000/65536 deg/s from the ITG3200; 200 Hz).
	sis, _ := filepath.Glob(filepath.Join(root, "sisfall-dev", "raw", "*.txt"))
	for _, f := range sis {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := recording{name: "sisfall/" + filepath.Base(f), hz: 200}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for i := 0; sc.Scan(); {
			line := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(sc.Text()), ";"))
			if line == "" {
				continue
			}
			f := strings.Split(line, ",")
			if len(f) != 9 {
				t.Fatalf("%s: line %q", r.name, line)
			}
			var v [6]float64
			for k := range 6 {
				n, err := strconv.Atoi(strings.TrimSpace(f[k]))
				if err != nil {
					t.Fatalf("%s: %v", r.name, err)
				}
				v[k] = float64(n)
			}
			s := balance.Sample{TimeNS: sampleTime(0, i, 200)}
			for k := range 3 {
				s.Acc[k] = v[k] * 32 / 8192 * gToMS2
				s.Gyro[k] = v[k+3] * 4000 / 65536 * degToRad
			}
			r.s = append(r.s, s)
			i++
		}
		recs = append(recs, r)
	}
	// mobgap (README: acc_*_g in g, gyr_*_dps in deg/s, 100 Hz).
	mob, _ := filepath.Glob(filepath.Join(root, "mobgap-lowerback", "*", "*_imu.csv"))
	for _, f := range mob {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		r := recording{name: "mobgap/" + filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f), hz: 100}
		cr := csv.NewReader(fh)
		if _, err := cr.Read(); err != nil { // header
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			row, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			s := balance.Sample{TimeNS: sampleTime(0, i, 100)}
			for k := range 3 {
				a, err1 := strconv.ParseFloat(row[3+k], 64)
				g, err2 := strconv.ParseFloat(row[6+k], 64)
				if err1 != nil || err2 != nil {
					t.Fatalf("%s row %d: %v %v", r.name, i, err1, err2)
				}
				s.Acc[k] = a * gToMS2
				s.Gyro[k] = g * degToRad
			}
			r.s = append(r.s, s)
		}
		fh.Close()
		recs = append(recs, r)
	}
	return recs
}
