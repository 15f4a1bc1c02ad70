package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// writeWalkStand writes a generic recording, 100 Hz: 30 s of walking
// (1.8 steps/s; forward acceleration 0.5·sin leading the vertical
// −w²·0.015·cos by a quarter step, the inverted-pendulum pattern), then
// 35 s of quiet stance with AP sway 0.1·sin(2π·0.5t) and ML sway
// 0.05·sin(2π·1.2t) m/s². Sensor y is up; the wearer's forward is the
// sensor's x turned 40° about y (the device worn turned on the belt).
// walk false gives stance throughout.
func writeWalkStand(t *testing.T, walk bool, meta map[string]string) (path string, fwd [3]float64) {
	t.Helper()
	const fs = 100.0
	th := 40 * math.Pi / 180
	up := [3]float64{0, 1, 0}
	fwd = [3]float64{math.Cos(th), 0, -math.Sin(th)}
	left := [3]float64{up[1]*fwd[2] - up[2]*fwd[1], up[2]*fwd[0] - up[0]*fwd[2], up[0]*fwd[1] - up[1]*fwd[0]}
	rec := recording.Recording{RateHz: fs, HasGyro: true, Meta: meta}
	w := 2 * math.Pi * 1.8
	for i := 0; i < 65*int(fs); i++ {
		tt := float64(i) / fs
		var v, ap, ml float64
		if walk && tt < 30 {
			v, ap, ml = -w*w*0.015*math.Cos(w*tt), 0.5*math.Sin(w*tt), 0.2*math.Sin(w*tt/2)
		} else {
			ap, ml = 0.1*math.Sin(2*math.Pi*0.5*tt), 0.05*math.Sin(2*math.Pi*1.2*tt)
		}
		var a [3]float64
		for k := range a {
			a[k] = ap*fwd[k] + ml*left[k] + (balance.StandardGravity+v)*up[k]
		}
		rec.Samples = append(rec.Samples, balance.Sample{TimeNS: 1_764_300_000_000_000_000 + int64(i)*10_000_000, Acc: a})
	}
	path = filepath.Join(t.TempDir(), "walkstand.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := recording.WriteGeneric(f, rec); err != nil {
		t.Fatal(err)
	}
	return path, fwd
}

// TestAnalyzeSwayForward: the trial cut out by --from/--to gets its
// forward axis from the walk before it; a stance-only file from
// --sensor-forward or its sensor_forward metadata, else none (ap_unknown).
// AP and ML RMS are then the body's 0.1/√2 and 0.05/√2 m/s² (within 1 %:
// the walking axis is found within a few degrees, TestSwayForwardRotated).
func TestAnalyzeSwayForward(t *testing.T) {
	p, fwd := writeWalkStand(t, true, nil)
	ps, _ := writeWalkStand(t, false, nil)
	pm, _ := writeWalkStand(t, false, map[string]string{"sensor_forward": "0.766,0,-0.643"})
	wantAP, wantML := 0.1/math.Sqrt2, 0.05/math.Sqrt2
	for _, tc := range []struct {
		name   string
		args   []string
		source string
	}{
		{"walk before the trial", []string{"--test", "sway", "--from", "31", "--to", "63", p}, "walking"},
		{"declared by flag", []string{"--test", "sway", "--from", "31", "--to", "63", "--sensor-forward", "0.766,0,-0.643", p}, "walking"},
		{"stance only, declared by flag", []string{"--test", "sway", "--from", "31", "--sensor-forward", "0.766,0,-0.643", ps}, "declared"},
		{"stance only, declared in the file", []string{"--test", "sway", "--from", "31", pm}, "declared"},
		{"stance only, unknown", []string{"--test", "sway", "--from", "31", ps}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := analyzeJSON(t, tc.args...)
			s := d.Sway
			if s == nil {
				t.Fatal("no sway")
			}
			if s.ForwardSource != tc.source {
				t.Fatalf("forward source %q, want %q", s.ForwardSource, tc.source)
			}
			if tc.source == "none" {
				if !slices.Contains(s.Flags, "ap_unknown") {
					t.Errorf("flags %v lack ap_unknown", s.Flags)
				}
				return
			}
			if slices.Contains(s.Flags, "ap_unknown") {
				t.Errorf("flags %v: ap_unknown with a forward axis", s.Flags)
			}
			// The axis within 3° of the true one, up to sign.
			n := math.Sqrt(s.ForwardAxis[0]*s.ForwardAxis[0] + s.ForwardAxis[1]*s.ForwardAxis[1] + s.ForwardAxis[2]*s.ForwardAxis[2])
			if c := math.Abs(s.ForwardAxis[0]*fwd[0]+s.ForwardAxis[1]*fwd[1]+s.ForwardAxis[2]*fwd[2]) / n; c < math.Cos(3*math.Pi/180) {
				t.Errorf("forward axis %v, want ±%v (cos %v)", s.ForwardAxis, fwd, c)
			}
			got := []float64{s.AP.RMS, s.ML.RMS}
			if !cmp.Equal(got, []float64{wantAP, wantML}, cmpopts.EquateApprox(0.01, 0)) {
				t.Errorf("RMS AP, ML = %v, want %v %v", got, wantAP, wantML)
			}
		})
	}
}

func TestAnalyzeSensorForwardFlag(t *testing.T) {
	if _, err := runAnalyzeT(t, "--sensor-forward", "up", "x.csv"); err == nil {
		t.Error("--sensor-forward up accepted")
	}
}
