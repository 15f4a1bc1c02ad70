package analysis

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/balance-pt/balance/recording"
)

// gaitpyStride is one row of GaitPy's own output on its demo recording
// (testdata/gaitpy, MIT; Czech & Patel, JOSS 2019): a second
// implementation, not ground truth.
type gaitpyStride struct {
	bout                                   int
	ic                                     float64 // s since the recording's first sample
	strideS, cadence, strideLenM, speedMPS float64
}

// gaitpyDemoStartMS is the demo's first sample, 2019-08-06 10:25:50.000,
// read as UTC in Unix ms: GaitPy treated the GENEActiv local times as UTC,
// so its IC column counts from this instant.
const gaitpyDemoStartMS = 1565087150000

func loadGaitPy(t *testing.T) []gaitpyStride {
	f, err := os.Open(filepath.Join("testdata", "gaitpy", "demo_gait_features_gaitpy_output.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	num := func(r []string, name string) float64 {
		v, err := strconv.ParseFloat(r[col[name]], 64)
		if err != nil {
			t.Fatalf("%s %q: %v", name, r[col[name]], err)
		}
		return v
	}
	var out []gaitpyStride
	for _, r := range rows[1:] {
		out = append(out, gaitpyStride{
			bout:       int(num(r, "bout_number")),
			ic:         (num(r, "IC") - gaitpyDemoStartMS) / 1000,
			strideS:    num(r, "stride_duration"),
			cadence:    num(r, "cadence"),
			strideLenM: num(r, "stride_length"),
			speedMPS:   num(r, "gait_speed"),
		})
	}
	return out
}

// Agreement floors with GaitPy, set before comparing: both detect ICs with a
// CWT of the vertical acceleration, so ICs should coincide within the 0.25 s
// tolerance used against INDIP and stride times within 50 ms; cadence per
// bout within 5 %. Stride length and speed come from differently filtered
// and corrected pendulum models (ours: Zijlstra with K = 1.147), so they need
// only agree within 25 %.
const (
	gaitpyMinICMatch      = 0.80
	gaitpyMaxStrideDiffS  = 0.05
	gaitpyMaxCadenceRel   = 0.05
	gaitpyMaxLengthRelDif = 0.25
)

func TestGaitGaitPyDemo(t *testing.T) {
	rec, err := recording.ReadFile(filepath.Join("testdata", "gaitpy", "demo_data.csv"), recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// GaitPy demo: subject height 177 cm; sensor height 0.53 × height as in
	// GaitPy.
	res, err := Gait(rec.Samples, rec.RateHz, GaitParams{HeightM: 1.77})
	if err != nil {
		t.Fatal(err)
	}
	ref := loadGaitPy(t)
	var ours []float64
	strideAt := map[int]float64{}
	for _, b := range res.Bouts {
		for k, ic := range b.ICs {
			if k+2 < len(b.ICs) {
				strideAt[len(ours)] = b.ICs[k+2] - ic
			}
			ours = append(ours, ic)
		}
	}
	matched := 0
	var strideDiff []float64
	for _, s := range ref {
		best, bd := -1, math.Inf(1)
		for i, ic := range ours {
			if d := math.Abs(ic - s.ic); d < bd {
				best, bd = i, d
			}
		}
		if bd > icMatchTolS {
			continue
		}
		matched++
		if st, ok := strideAt[best]; ok {
			strideDiff = append(strideDiff, math.Abs(st-s.strideS))
		}
	}
	icMatch := float64(matched) / float64(len(ref))
	sd := meanOf(strideDiff)
	t.Logf("GaitPy demo: %d of %d GaitPy stride ICs matched within %.2f s (%.3f); stride time mean |diff| %.3f s over %d strides; we found %d bouts",
		matched, len(ref), icMatchTolS, icMatch, sd, len(strideDiff), len(res.Bouts))
	if icMatch < gaitpyMinICMatch {
		t.Errorf("IC agreement %.3f, want >= %v", icMatch, gaitpyMinICMatch)
	}
	if sd > gaitpyMaxStrideDiffS {
		t.Errorf("stride time mean |diff| %.3f s, want <= %v", sd, gaitpyMaxStrideDiffS)
	}
	// Bout level: GaitPy's mean over its strides vs our bout overlapping its
	// strides most.
	for bn := 1; bn <= 3; bn++ {
		var cad, sl, sp []float64
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, s := range ref {
			if s.bout == bn {
				cad = append(cad, s.cadence)
				sl = append(sl, s.strideLenM)
				sp = append(sp, s.speedMPS)
				lo, hi = math.Min(lo, s.ic), math.Max(hi, s.ic+s.strideS)
			}
		}
		best, bestOv := -1, 0.0
		for i, b := range res.Bouts {
			if ov := math.Min(b.End, hi) - math.Max(b.Start, lo); ov > bestOv {
				best, bestOv = i, ov
			}
		}
		if best < 0 {
			t.Errorf("GaitPy bout %d (%.1f-%.1f s): no overlapping bout", bn, lo, hi)
			continue
		}
		b := res.Bouts[best]
		gc, gl, gs := meanOf(cad), meanOf(sl), meanOf(sp)
		t.Logf("bout %d %.1f-%.1f s: GaitPy cadence %.1f stride %.2f m speed %.2f m/s | ours %.1f-%.1f s cadence %.1f stride %.2f m speed %.2f m/s",
			bn, lo, hi, gc, gl, gs, b.Start, b.End, b.CadenceSPM, b.StrideLengthM, b.SpeedMPS)
		if d := math.Abs(b.CadenceSPM-gc) / gc; d > gaitpyMaxCadenceRel {
			t.Errorf("bout %d cadence %.1f vs GaitPy %.1f: %.1f %% apart, want <= %v %%", bn, b.CadenceSPM, gc, 100*d, 100*gaitpyMaxCadenceRel)
		}
		if d := math.Abs(b.StrideLengthM-gl) / gl; d > gaitpyMaxLengthRelDif {
			t.Errorf("bout %d stride length %.2f vs GaitPy %.2f m: %.0f %% apart", bn, b.StrideLengthM, gl, 100*d)
		}
		if d := math.Abs(b.SpeedMPS-gs) / gs; d > gaitpyMaxLengthRelDif {
			t.Errorf("bout %d speed %.2f vs GaitPy %.2f m/s: %.0f %% apart", bn, b.SpeedMPS, gs, 100*d)
		}
	}
}
