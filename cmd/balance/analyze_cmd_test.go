package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
)

const mobgapTest5 = "../../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv"

func runAnalyzeT(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runAnalyze(context.Background(), args, &out, &errb)
	return out.String(), err
}

func analyzeJSON(t *testing.T, args ...string) analyzeDoc {
	t.Helper()
	out, err := runAnalyzeT(t, append([]string{"--json"}, args...)...)
	if err != nil {
		t.Fatalf("analyze %v: %v", args, err)
	}
	var d analyzeDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("output is not the JSON document: %v\n%s", err, out)
	}
	return d
}

func TestAnalyzeMobgapJSON(t *testing.T) {
	// Flags after the file name are accepted too.
	var out bytes.Buffer
	if err := runAnalyze(context.Background(), []string{mobgapTest5, "--json"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	var d analyzeDoc
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	// participant_info.json beside the file: SensorHeight 96.4 cm.
	if d.Schema != "balance-analyze/1" || d.Format != recording.FormatMobgap || d.RateHz != 100 ||
		d.Wearer.SensorHeightSource != "file" || math.Abs(d.Wearer.SensorHeightM-0.964) > 1e-9 {
		t.Fatalf("header %+v wearer %+v", d, d.Wearer)
	}
	if d.Gait == nil || len(d.Gait.Bouts) != 1 {
		t.Fatalf("gait %+v, want one bout (a straight walk)", d.Gait)
	}
	b := d.Gait.Bouts[0]
	// The INDIP reference of this walk: cadence 100.5 steps/min, speed 1.06
	// m/s (reference_summary_microwb.csv); the analysis package validates
	// accuracy, here the document must carry plausible numbers.
	if b.CadenceSPM < 80 || b.CadenceSPM > 120 || b.SpeedMPS < 0.6 || b.SpeedMPS > 1.4 || len(b.ICs) < 8 || !b.HasLength {
		t.Errorf("bout %+v", b)
	}
	if len(d.Falls) != 0 || d.Sway != nil {
		t.Errorf("falls %v sway %v in a walk", d.Falls, d.Sway)
	}
	if len(d.Daily) != 1 || d.Daily[0].Date != "2020-12-10" {
		t.Errorf("daily %+v, want one day 2020-12-10", d.Daily)
	}
}

func TestAnalyzeSummary(t *testing.T) {
	out, err := runAnalyzeT(t, mobgapTest5)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mobgap, 100 Hz", "sensor height 0.964 m (file)", "gait: 1 walking bout,", "cadence", "falls: none detected"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// writeGeneric writes a synthetic recording in the generic format: standing,
// then walking from 5 to 35 s at stepHz (vertical excursion 3 cm), then
// standing; walk false gives quiet stance with a slow sway.
func writeGeneric(t *testing.T, walk bool, stepHz float64, meta map[string]string) string {
	t.Helper()
	const fs, dur = 100.0, 40.0
	rec := recording.Recording{RateHz: fs, HasGyro: true, Meta: meta}
	w := 2 * math.Pi * stepHz
	for i := 0; i < int(dur*fs); i++ {
		tt := float64(i) / fs
		v := 0.002 * math.Sin(2*math.Pi*0.37*tt)
		ap := 0.05 * math.Sin(2*math.Pi*0.3*tt) // quiet-stance sway, m/s²
		if walk && tt >= 5 && tt < 35 {
			v += -w * w * 0.015 * math.Cos(w*(tt-5))
			ap = 0.5 * math.Sin(w*(tt-5))
		}
		rec.Samples = append(rec.Samples, balance.Sample{
			TimeNS: 1_764_300_000_000_000_000 + int64(i)*10_000_000,
			Acc:    [3]float64{ap, balance.StandardGravity + v, 0.02 * math.Cos(2*math.Pi*0.2*tt)},
			Gyro:   [3]float64{0.001 * math.Sin(tt), 0, 0},
		})
	}
	p := filepath.Join(t.TempDir(), "rec.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := recording.WriteGeneric(f, rec); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnalyzeGenericWalk(t *testing.T) {
	p := writeGeneric(t, true, 1.8, map[string]string{"height_m": "1.70", "sensor_height_m": "0.92"})
	d := analyzeJSON(t, p)
	if d.Format != recording.FormatGeneric || d.Wearer.SensorHeightM != 0.92 || d.Wearer.SensorHeightSource != "file" {
		t.Fatalf("format %q wearer %+v", d.Format, d.Wearer)
	}
	if d.Gait == nil || len(d.Gait.Bouts) != 1 {
		t.Fatalf("gait %+v, want one bout", d.Gait)
	}
	// 1.8 steps/s = 108 steps/min (the synthetic rhythm), ±1 %.
	if c := d.Gait.Bouts[0].CadenceSPM; math.Abs(c-108) > 1.08 {
		t.Errorf("cadence %.2f, want 108 ±1 %%", c)
	}
	// --sensor-height overrides the file; --height alone gives 0.53 × height.
	d = analyzeJSON(t, "--sensor-height", "0.8", p)
	if d.Wearer.SensorHeightM != 0.8 || d.Wearer.SensorHeightSource != "flag" {
		t.Errorf("wearer %+v, want 0.8 from flag", d.Wearer)
	}
	p2 := writeGeneric(t, true, 1.8, map[string]string{})
	d = analyzeJSON(t, "--height", "1.8", p2)
	if math.Abs(d.Wearer.SensorHeightM-0.954) > 1e-9 || d.Wearer.SensorHeightSource != "height" {
		t.Errorf("wearer %+v, want 0.53 × 1.8 = 0.954 m", d.Wearer)
	}
	d = analyzeJSON(t, p2)
	if d.Wearer.SensorHeightSource != "none" || d.Gait.Bouts[0].HasLength {
		t.Errorf("no height: wearer %+v, has length %v", d.Wearer, d.Gait.Bouts[0].HasLength)
	}
}

func TestAnalyzeSway(t *testing.T) {
	p := writeGeneric(t, false, 0, nil)
	d := analyzeJSON(t, p)
	if d.Sway == nil || d.Sway.RMS <= 0 || len(d.Gait.Bouts) != 0 {
		t.Fatalf("quiet stance: sway %+v, bouts %d; want sway, no bouts", d.Sway, len(d.Gait.Bouts))
	}
	if d = analyzeJSON(t, "--test", "none", p); d.Sway != nil {
		t.Errorf("--test none still gave sway")
	}
	// A walk is not a stance: no automatic sway.
	if d = analyzeJSON(t, writeGeneric(t, true, 1.8, nil)); d.Sway != nil {
		t.Errorf("walk gave sway %+v", d.Sway)
	}
}

func TestAnalyzeColumnMapping(t *testing.T) {
	// A foreign CSV: times in ms, acceleration in g, no gyroscope.
	var b strings.Builder
	b.WriteString("t_ms,ax,ay,az\n")
	for i := 0; i < 3000; i++ {
		tt := float64(i) / 100
		v := 0.0
		if tt > 5 && tt < 25 {
			// 1 s raised-cosine onset and offset, as a walk starts and
			// stops (an abrupt 0.15 g step adds an edge IC or two).
			env := math.Min(1, math.Min(tt-5, 25-tt))
			env = math.Sin(math.Pi / 2 * env)
			v = -0.15 * env * env * math.Cos(2*math.Pi*2*tt)
		}
		b.WriteString(strings.Join([]string{ftoa(tt * 1000), ftoa(1 + v), ftoa(0.01 * math.Sin(tt)), ftoa(0.02)}, ",") + "\n")
	}
	p := filepath.Join(t.TempDir(), "foreign.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runAnalyzeT(t, p); err == nil {
		t.Errorf("unmapped foreign CSV: no error")
	}
	d := analyzeJSON(t, "--format", "generic", "--columns", "time_s=t_ms,acc_x=ax,acc_y=ay,acc_z=az", "--acc-unit", "g", "--time-unit", "ms", p)
	if d.RateHz != 100 || d.HasGyro || d.Gait == nil || len(d.Gait.Bouts) != 1 {
		t.Fatalf("rate %v gyro %v gait %+v", d.RateHz, d.HasGyro, d.Gait)
	}
	// 2 steps/s: inside the walk, ICs 0.5 s apart to within the 25 ms grid
	// of the IC detector; the mean cadence 120 steps/min to within 2 % (the
	// onset and offset shift the first and last ICs by up to 0.1 s, moving
	// the mean of 20 strides by up to 1 %).
	ics := d.Gait.Bouts[0].ICs
	for k := 1; k < len(ics); k++ {
		if ics[k-1] > 7 && ics[k] < 23 && math.Abs(ics[k]-ics[k-1]-0.5) > 0.025+1e-9 {
			t.Errorf("step %.3f-%.3f s: %.3f s, want 0.5 ±0.025", ics[k-1], ics[k], ics[k]-ics[k-1])
		}
	}
	if c := d.Gait.Bouts[0].CadenceSPM; math.Abs(c-120) > 2.4 {
		t.Errorf("cadence %.2f, want 120 ±2 %%", c)
	}
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestAnalyzeSisFallFall(t *testing.T) {
	p := sharedFile(t, "sisfall-dev/raw/F01_SA01_R01.txt")
	d := analyzeJSON(t, p)
	if d.Format != recording.FormatSisFall || len(d.Falls) == 0 {
		t.Errorf("SisFall fall trial: format %q, %d falls; want sisfall, >= 1", d.Format, len(d.Falls))
	}
}

// sharedFile returns shared/data/rel, skipping when absent.
func sharedFile(t *testing.T, rel string) string { return testenv.SharedData(t, rel) }

func TestAnalyzeErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "g.txt")
	os.WriteFile(garbage, []byte("hello\nworld\n"), 0o644)
	short := filepath.Join(t.TempDir(), "short.csv")
	os.WriteFile(short, []byte("# rate_hz: 100\nacc_x,acc_y,acc_z\n0,9.8,0\n0,9.7,0\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "exactly one FILE"},
		{"two files", []string{mobgapTest5, mobgapTest5}, "exactly one FILE"},
		{"missing", []string{"/nonexistent/x.csv"}, "no such file"},
		{"garbage", []string{garbage}, "malformed"},
		{"bad test", []string{"--test", "yoga", mobgapTest5}, "--test"},
		{"bad format", []string{"--format", "xml", mobgapTest5}, "unknown recording format"},
		{"negative height", []string{"--height", "-1", mobgapTest5}, "--height"},
		{"bad columns", []string{"--columns", "foo=bar", mobgapTest5}, "--columns"},
		{"sway on a walk", []string{"--test", "sway", "--json", garbage}, "malformed"},
		{"bad flag", []string{"--nope", mobgapTest5}, "flag provided but not defined"},
		{"bad window", []string{"--from", "5", "--to", "3", mobgapTest5}, "not a window"},
		{"empty window", []string{"--from", "500", mobgapTest5}, "no samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runAnalyzeT(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Too short for gait: not an error, a note.
	out, err := runAnalyzeT(t, short)
	if err != nil || !strings.Contains(out, "gait not analysed") {
		t.Errorf("short recording: %v\n%s", err, out)
	}
}

// TestAnalyzeSimulatedWalk runs the simulator's "walk" scenario (written as
// `balance sim file` writes it) through analyze and scores it against the
// simulator's ground truth: its own initial contacts and per-walk cadence.
// The truth comes from the generative model, not from this analysis; its
// step lengths assume the same pendulum factor K, so speed is only reported.
// Floors, set before running: every walk found as one bout, ICs sensitivity
// and precision ≥ 0.9 (0.25 s), cadence within 5 %.
func TestAnalyzeSimulatedWalk(t *testing.T) {
	for _, tc := range []struct {
		name string
		body sim.Body
	}{
		{"healthy", sim.DefaultBody()},
		{"neuropathy impaired 0.7", sim.BodyFor(balance.Patient{HeightM: 1.62, Neuropathy: true}, 0.7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := sim.NamedScenario("walk", tc.body, 100, 1)
			if err != nil {
				t.Fatal(err)
			}
			sensor := sim.TypicalSensor()
			const start = 1_767_258_000_000_000_000
			rec := recording.Recording{Samples: sc.Samples(sensor, start), RateHz: 100, HasGyro: true, Meta: map[string]string{
				"height_m": strconv.FormatFloat(tc.body.HeightM, 'f', 2, 64), "sensor_height_m": strconv.FormatFloat(tc.body.SensorHeightM, 'f', 3, 64)}}
			p := filepath.Join(t.TempDir(), "walk.csv")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := recording.WriteGeneric(f, rec); err != nil {
				t.Fatal(err)
			}
			f.Close()
			d := analyzeJSON(t, p)
			var walks []sim.Segment
			for _, s := range sc.Truth(sensor, start).Segments {
				if s.Gait != nil {
					walks = append(walks, s)
				}
			}
			if len(d.Gait.Bouts) != len(walks) {
				t.Errorf("%d bouts, want %d walks", len(d.Gait.Bouts), len(walks))
			}
			var ref, det, hit int
			for _, w := range walks {
				g := w.Gait
				var b *analysis.WalkingBout
				for i := range d.Gait.Bouts {
					if bb := &d.Gait.Bouts[i]; math.Min(bb.End, w.EndS)-math.Max(bb.Start, w.StartS) > 0 {
						b = bb
						break
					}
				}
				if b == nil {
					t.Errorf("walk %.1f-%.1f s: no bout", w.StartS, w.EndS)
					continue
				}
				ref += len(g.InitialContacts)
				det += len(b.ICs)
				used := map[int]bool{}
				for _, r := range g.InitialContacts {
					for i, ic := range b.ICs {
						if !used[i] && math.Abs(ic-r) <= 0.25 {
							used[i] = true
							hit++
							break
						}
					}
				}
				t.Logf("walk %5.1f-%5.1f s: truth cadence %.1f speed %.2f | bout %5.1f-%5.1f cadence %.1f speed %.2f stride %.2f m",
					w.StartS, w.EndS, g.CadenceSPM, g.SpeedMS, b.Start, b.End, b.CadenceSPM, b.SpeedMPS, b.StrideLengthM)
				if e := math.Abs(b.CadenceSPM-g.CadenceSPM) / g.CadenceSPM; e > 0.05 {
					t.Errorf("walk %.1f s: cadence %.1f vs truth %.1f (%.1f %%)", w.StartS, b.CadenceSPM, g.CadenceSPM, 100*e)
				}
			}
			sens, prec := float64(hit)/float64(ref), float64(hit)/float64(max(1, det))
			t.Logf("ICs: sensitivity %.3f (%d/%d), precision %.3f (%d/%d)", sens, hit, ref, prec, hit, det)
			if sens < 0.9 || prec < 0.9 {
				t.Errorf("IC sensitivity %.3f precision %.3f, want >= 0.9", sens, prec)
			}
		})
	}
}

func TestAnalyzeWindow(t *testing.T) {
	// --from/--to keep 5-10 s of the 12.5 s walk: times stay relative to
	// the window's first sample.
	d := analyzeJSON(t, "--from", "5", "--to", "10", mobgapTest5)
	if d.Samples != 500 || math.Abs(d.DurationS-5) > 1e-9 {
		t.Errorf("window: %d samples (%.2f s), want 500 (5 s)", d.Samples, d.DurationS)
	}
}
