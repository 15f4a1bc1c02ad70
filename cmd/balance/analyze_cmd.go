package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/recording"
)

const analyzeUsage = `usage: balance analyze [flags] FILE

Analyses one recording file: gait (walking bouts, cadence, speed, stride
length, initial contacts, turns), fall detection, and on request or when the
recording is a quiet stance, postural sway; --test adds a clinical test.
The format is detected from the content unless --format is given:
  generic    time_s,acc_x,acc_y,acc_z[,gyr_x,gyr_y,gyr_z] with "# key: value"
             comments (the format of 'balance sim' file mode)
  mobgap     Mobilise-D/mobgap lower-back CSV (g, deg/s)
  sisfall    SisFall trial text file (200 Hz)
  geneactiv  GENEActiv CSV export
  frames     the devices' binary frames (docs/wire-format.md) back to back,
             after an optional "# format: balance-frames/1" preamble
             ('balance sim file --file-format frames'); damaged frames are
             skipped and counted in a note
With --json the output is the document described in docs/analyze-json.md.

flags:
`

// analyzeOptions are the parsed flags of `balance analyze`.
type analyzeOptions struct {
	file                        string
	format                      string
	height, sensorHeight        float64
	jsonOut                     bool
	test                        string
	columns                     string
	accUnit, gyroUnit, timeUnit string
	rate                        float64
	from, to                    float64
	// sensorForward is the declared forward axis of the sensor for sway
	// (--sensor-forward); whole holds the samples before --from/--to cut
	// them, where walking around a sway trial gives its forward axis.
	sensorForward string
	// sensorUp is the declared up axis of the sensor for fall detection
	// when the recording holds no walking (--sensor-up).
	sensorUp string
	whole    []balance.Sample
}

// Clinical tests --test accepts.
var analyzeTests = []string{"auto", "none", "sway", "tug", "sts", "hold"}

func parseAnalyzeFlags(args []string, stderr io.Writer) (analyzeOptions, error) {
	var o analyzeOptions
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), analyzeUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.format, "format", "", "recording format: "+strings.Join(recording.Formats, ", ")+" (default: detect)")
	fs.Float64Var(&o.height, "height", 0, "wearer's height in metres")
	fs.Float64Var(&o.sensorHeight, "sensor-height", 0, "height of the lower-back sensor above the floor in metres (default 0.53 × height)")
	fs.BoolVar(&o.jsonOut, "json", false, "print a JSON document instead of a summary")
	fs.StringVar(&o.test, "test", "auto", "clinical test in the recording: "+strings.Join(analyzeTests, ", ")+" (auto: sway when it is a short quiet stance)")
	fs.StringVar(&o.columns, "columns", "", "generic CSV column mapping, e.g. time_s=t,acc_x=ax,acc_y=ay,acc_z=az (a column may be #N, or - for absent)")
	fs.StringVar(&o.accUnit, "acc-unit", "", "generic CSV acceleration unit: m/s2 or g (default: file's, else m/s2)")
	fs.StringVar(&o.gyroUnit, "gyro-unit", "", "generic CSV angular-rate unit: rad/s or deg/s (default: file's, else rad/s)")
	fs.StringVar(&o.timeUnit, "time-unit", "", "generic CSV time unit: s, ms, us or ns (default: file's, else s)")
	fs.Float64Var(&o.rate, "rate", 0, "sample rate in Hz (generic CSV without times or rate comment)")
	fs.Float64Var(&o.from, "from", 0, "analyse from this many seconds after the first sample (e.g. one test of a session)")
	fs.Float64Var(&o.to, "to", 0, "analyse up to this many seconds after the first sample (0: the end)")
	fs.StringVar(&o.sensorForward, "sensor-forward", "", "the wearer's forward axis in sensor axes for sway AP/ML when no walking is recorded around the trial: +x, -x, +y, -y, +z, -z or X,Y,Z (default: the file's sensor_forward, else unknown)")
	fs.StringVar(&o.sensorUp, "sensor-up", "", "the wearer's up axis in sensor axes (standing) for fall detection when the recording holds no walking: +x, -x, +y, -y, +z, -z or X,Y,Z (default: the file's sensor_up, else unknown)")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return o, fmt.Errorf("analyze: want exactly one FILE, got %d", len(files))
	}
	o.file = files[0]
	switch {
	case o.height < 0 || o.height > 3 || math.IsNaN(o.height):
		return o, fmt.Errorf("analyze: --height %v m is not a human height", o.height)
	case o.sensorHeight < 0 || o.sensorHeight > 2 || math.IsNaN(o.sensorHeight):
		return o, fmt.Errorf("analyze: --sensor-height %v m is not plausible", o.sensorHeight)
	case o.rate < 0 || math.IsNaN(o.rate):
		return o, fmt.Errorf("analyze: --rate %v Hz is negative", o.rate)
	case o.from < 0 || o.to < 0 || math.IsNaN(o.from) || math.IsNaN(o.to) || (o.to > 0 && o.to <= o.from):
		return o, fmt.Errorf("analyze: --from %v s / --to %v s is not a window", o.from, o.to)
	}
	if !contains(analyzeTests, o.test) {
		return o, fmt.Errorf("analyze: --test %q: want one of %s", o.test, strings.Join(analyzeTests, ", "))
	}
	if _, err := analysis.ParseAxis(o.sensorForward); err != nil {
		return o, fmt.Errorf("analyze: --sensor-forward: %w", err)
	}
	if _, err := analysis.ParseAxis(o.sensorUp); err != nil {
		return o, fmt.Errorf("analyze: --sensor-up: %w", err)
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// runAnalyze implements `balance analyze FILE`.
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseAnalyzeFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cols, err := recording.ParseColumns(o.columns)
	if err != nil {
		return fmt.Errorf("analyze: --columns: %w", err)
	}
	doc, err := analyzeFile(ctx, o, recording.Options{Format: o.format, Generic: recording.GenericOptions{
		Columns: cols, AccUnit: o.accUnit, GyroUnit: o.gyroUnit, TimeUnit: o.timeUnit, RateHz: o.rate,
	}})
	if err != nil {
		return fmt.Errorf("analyze %s: %w", o.file, err)
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return writeSummary(stdout, doc)
}

// analyzeDoc is the JSON document of `balance analyze --json`
// (docs/analyze-json.md).
type analyzeDoc struct {
	Schema      string               `json:"schema"`
	File        string               `json:"file"`
	Format      string               `json:"format"`
	RateHz      float64              `json:"rate_hz"`
	Samples     int                  `json:"samples"`
	DurationS   float64              `json:"duration_s"`
	StartUnixNS int64                `json:"start_unix_ns"`
	HasGyro     bool                 `json:"has_gyro"`
	Wearer      wearerDoc            `json:"wearer"`
	Gait        *analysis.GaitResult `json:"gait"`
	Daily       []analysis.DailyGait `json:"daily"`
	Sway        *swayDoc             `json:"sway"`
	Tests       testsDoc             `json:"tests"`
	Falls       []fallDoc            `json:"falls"`
	FallsUp     fallUpDoc            `json:"falls_up"`
	Notes       []string             `json:"notes"`
}

type wearerDoc struct {
	HeightM       float64 `json:"height_m"`
	SensorHeightM float64 `json:"sensor_height_m"`
	// SensorHeightSource: "flag", "file", "height" (0.53 × height) or "none".
	SensorHeightSource string `json:"sensor_height_source"`
}

type testsDoc struct {
	TUG  *tugDoc  `json:"tug,omitempty"`
	STS  *stsDoc  `json:"sts,omitempty"`
	Hold *holdDoc `json:"hold,omitempty"`
}

type tugDoc struct {
	Seconds float64  `json:"seconds"`
	TurnDeg float64  `json:"turn_deg"`
	Flags   []string `json:"flags"`
}

type stsDoc struct {
	Seconds  float64 `json:"seconds"`
	Stands   int     `json:"stands"`
	Complete bool    `json:"complete"`
}

type holdDoc struct {
	HeldS  float64 `json:"held_s"`
	Loss   string  `json:"loss"`
	LossAt float64 `json:"loss_at_s"`
	Passed bool    `json:"passed"`
}

type fallDoc struct {
	ImpactS      float64 `json:"impact_s"`
	ImpactUnixNS int64   `json:"impact_unix_ns"`
	// DecisionS/DecisionUnixNS: when the alarm would have been raised.
	DecisionS      float64 `json:"decision_s"`
	DecisionUnixNS int64   `json:"decision_unix_ns"`
	PeakAccG       float64 `json:"peak_acc_g"`
	MinAccG        float64 `json:"min_acc_g"`
	DescentMPS     float64 `json:"descent_mps"`
	TiltDeg        float64 `json:"tilt_deg"`
	Inactive       bool    `json:"inactive"`
	// GotUp: trunk upright again within 5 s of the impact; TimeToGetUpS
	// is then the delay after the impact (0 otherwise).
	GotUp        bool    `json:"got_up"`
	TimeToGetUpS float64 `json:"time_to_get_up_s"`
	// FreeFallS is the longest free-fall run in the second before the
	// impact; OutOfBed marks a fall out of bed (lying before, a drop).
	FreeFallS  float64 `json:"free_fall_s"`
	OutOfBed   bool    `json:"out_of_bed"`
	Confidence float64 `json:"confidence"`
}

// window keeps the samples from..to seconds after the first one (to = 0:
// the end), by their times.
func window(rec recording.Recording, from, to float64) (recording.Recording, error) {
	t0 := rec.Samples[0].TimeNS
	lo, hi := t0+int64(from*1e9), int64(math.MaxInt64)
	if to > 0 {
		hi = t0 + int64(to*1e9)
	}
	var out []balance.Sample
	for _, s := range rec.Samples {
		if s.TimeNS >= lo && s.TimeNS < hi {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return rec, balance.Errorf(balance.EINVALID, "no samples between %v and %v s", from, to)
	}
	rec.Samples = out
	return rec, nil
}

// Auto sway: a recording is taken for a quiet-stance trial when it is at
// most 3 minutes long (iSway trials last 30 s to 2 min), holds no walking
// bout, and Sway flags neither stepping nor gross movement.
const autoSwayMaxS = 180

func analyzeRecording(o analyzeOptions, rec recording.Recording) (*analyzeDoc, error) {
	s := rec.Samples
	fs := rec.RateHz
	doc := &analyzeDoc{
		Schema: "balance-analyze/1", File: filepath.Base(o.file), Format: rec.Source, RateHz: fs,
		Samples: len(s), DurationS: float64(len(s)) / fs, StartUnixNS: s[0].TimeNS, HasGyro: rec.HasGyro,
		Daily: []analysis.DailyGait{}, Falls: []fallDoc{}, Notes: []string{},
	}
	doc.Wearer = wearer(o, rec)
	gait, err := analysis.Gait(s, fs, analysis.GaitParams{HeightM: doc.Wearer.HeightM, SensorHeightM: doc.Wearer.SensorHeightM})
	switch {
	case err == nil:
		doc.Gait = &gait
		doc.Daily = analysis.AggregateDaily(gait.Bouts)
	case analysis.IsInputError(err):
		doc.Notes = append(doc.Notes, "gait not analysed: "+balance.ErrorMessage(err)+" ("+err.Error()+")")
	default:
		return nil, err
	}
	var upNote string
	doc.Falls, doc.FallsUp, upNote = analyzeFalls(o, rec, doc.Gait)
	if upNote != "" {
		doc.Notes = append(doc.Notes, upNote)
	}
	noWalking := doc.Gait == nil || len(doc.Gait.Bouts) == 0
	if o.test == "sway" || (o.test == "auto" && noWalking && doc.DurationS <= autoSwayMaxS) {
		h, note := swayHeading(o, rec)
		r, err := analysis.Sway(s, fs, analysis.SwayOptions{Forward: h.Forward})
		switch {
		case err != nil && o.test == "sway":
			return nil, fmt.Errorf("sway: %w", err)
		case err != nil:
			// auto: not a usable stance trial; say nothing more.
		case o.test == "auto" && r.Quality&(analysis.SwayStepping|analysis.SwayMovement) != 0:
			// auto: moving, not a quiet stance.
		default:
			doc.Sway = swayFrom(r, h)
			if note != "" {
				doc.Notes = append(doc.Notes, note)
			}
			if o.test == "auto" {
				doc.Notes = append(doc.Notes, "sway: analysed as a quiet-stance trial (short recording without walking); use --test none to skip")
			}
		}
	}
	var err2 error
	switch o.test {
	case "tug":
		var r analysis.TUGResult
		if r, err2 = analysis.TUG(s, fs, analysis.TransitionOptions{}); err2 == nil {
			doc.Tests.TUG = &tugDoc{Seconds: r.Seconds, TurnDeg: r.TurnDeg, Flags: tugFlags(r.Quality)}
		}
	case "sts":
		var r analysis.STSResult
		if r, err2 = analysis.FiveTimesSitToStand(s, fs, analysis.TransitionOptions{}); err2 == nil {
			doc.Tests.STS = &stsDoc{Seconds: r.Seconds, Stands: r.Stands, Complete: r.Complete}
		}
	case "hold":
		var r analysis.HoldResult
		if r, err2 = analysis.Hold(s, fs, analysis.HoldOptions{}); err2 == nil {
			doc.Tests.Hold = &holdDoc{HeldS: r.HeldSec, Loss: r.Loss.String(), LossAt: r.LossAt, Passed: r.Passed}
		}
	}
	if err2 != nil {
		return nil, fmt.Errorf("%s: %w", o.test, err2)
	}
	return doc, nil
}

// wearer resolves height and sensor height: flags first, then the file's
// metadata (generic CSV height_m/sensor_height_m; a mobgap recording's
// participant_info.json beside it, in cm), then 0.53 × height.
func wearer(o analyzeOptions, rec recording.Recording) wearerDoc {
	w := wearerDoc{HeightM: o.height, SensorHeightM: o.sensorHeight, SensorHeightSource: "flag"}
	meta := map[string]float64{}
	for _, k := range []string{"height_m", "sensor_height_m"} {
		if v, err := strconv.ParseFloat(rec.Meta[k], 64); err == nil && v > 0 && v < 3 {
			meta[k] = v
		}
	}
	if rec.Source == recording.FormatMobgap {
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(o.file), "participant_info.json")); err == nil {
			var p struct{ Height, SensorHeight float64 }
			if json.Unmarshal(b, &p) == nil {
				if p.Height > 0 && p.Height < 300 {
					meta["height_m"] = p.Height / 100
				}
				if p.SensorHeight > 0 && p.SensorHeight < 200 {
					meta["sensor_height_m"] = p.SensorHeight / 100
				}
			}
		}
	}
	if w.HeightM == 0 {
		w.HeightM = meta["height_m"]
	}
	switch {
	case w.SensorHeightM > 0:
	case meta["sensor_height_m"] > 0:
		w.SensorHeightM, w.SensorHeightSource = meta["sensor_height_m"], "file"
	case w.HeightM > 0:
		w.SensorHeightM, w.SensorHeightSource = analysis.LegLengthFraction*w.HeightM, "height"
	default:
		w.SensorHeightSource = "none"
	}
	return w
}

func tugFlags(q analysis.TUGQuality) []string {
	out := []string{}
	for _, f := range []struct {
		q    analysis.TUGQuality
		name string
	}{{analysis.TUGNoStand, "no_stand"}, {analysis.TUGNoSit, "no_sit"}, {analysis.TUGNoTurn, "no_turn"}} {
		if q&f.q != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// writeSummary prints doc for a person.
func writeSummary(w io.Writer, d *analyzeDoc) error {
	gyro := "no gyroscope"
	if d.HasGyro {
		gyro = "with gyroscope"
	}
	fmt.Fprintf(w, "%s: %s, %g Hz, %d samples (%.1f s), %s\n", d.File, d.Format, d.RateHz, d.Samples, d.DurationS, gyro)
	switch d.Wearer.SensorHeightSource {
	case "none":
		fmt.Fprintln(w, "wearer: no height given (--height or --sensor-height): no stride length or speed")
	default:
		fmt.Fprintf(w, "wearer: height %.2f m, sensor height %.3f m (%s)\n", d.Wearer.HeightM, d.Wearer.SensorHeightM, d.Wearer.SensorHeightSource)
	}
	if g := d.Gait; g != nil {
		a := g.Aggregates
		fmt.Fprintf(w, "\ngait: %s, %.1f s walking, %d steps, %d turns\n", plural(a.NumBouts, "walking bout"), a.WalkingS, a.NumSteps, a.NumTurns)
		if len(g.Bouts) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  bout\tstart s\tend s\tsteps\tcadence/min\tstride s\tCV %\tlength m\tspeed m/s\treg step/stride\tHR\tturns\tflags")
			for i, b := range g.Bouts {
				length, speed := "-", "-"
				if b.HasLength {
					length, speed = fmt.Sprintf("%.2f", b.StrideLengthM), fmt.Sprintf("%.2f", b.SpeedMPS)
				}
				fmt.Fprintf(tw, "  %d\t%.2f\t%.2f\t%d\t%.1f\t%.2f\t%.1f\t%s\t%s\t%.2f/%.2f\t%.2f\t%d\t%s\n", i+1, b.Start, b.End, b.NumSteps,
					b.CadenceSPM, b.StrideTimeS, b.StrideTimeCV, length, speed, b.StepRegularity, b.StrideRegularity, b.HarmonicRatio, len(b.Turns), strings.Join(b.Flags, ","))
			}
			tw.Flush()
			fmt.Fprintf(w, "  all bouts: cadence %.1f steps/min, stride time %.2f s (CV %.1f %%)", a.CadenceSPM, a.StrideTimeS, a.StrideTimeCV)
			if a.SpeedMPS > 0 {
				fmt.Fprintf(w, "; bouts > 10 s: speed %.2f m/s, stride length %.2f m", a.SpeedMPS, a.StrideLengthM)
			}
			fmt.Fprintln(w)
		}
		if len(g.Quality) > 0 {
			fmt.Fprintf(w, "  quality: %s\n", strings.Join(g.Quality, ", "))
		}
	}
	if s := d.Sway; s != nil {
		fmt.Fprintf(w, "\nsway (%.1f s trial, %.1f s analysed, forward axis: %s): RMS %.3f m/s² (AP %.3f, ML %.3f), jerk %.3g m²/s⁵, mean velocity %.4f m/s, 95%% ellipse %.4f m²/s⁴, F50 %.2f Hz",
			s.TestSeconds, s.Seconds, s.ForwardSource, s.RMS, s.AP.RMS, s.ML.RMS, s.Jerk, s.MeanVel, s.Ellipse95, s.F50)
		if len(s.Flags) > 0 {
			fmt.Fprintf(w, " [%s]", strings.Join(s.Flags, ","))
		}
		fmt.Fprintln(w)
	}
	if t := d.Tests.TUG; t != nil {
		fmt.Fprintf(w, "\nTimed Up and Go: %.1f s, turn %.0f° %v\n", t.Seconds, t.TurnDeg, t.Flags)
	}
	if t := d.Tests.STS; t != nil {
		fmt.Fprintf(w, "\n5× sit-to-stand: %.1f s, %d stands (complete %v)\n", t.Seconds, t.Stands, t.Complete)
	}
	if t := d.Tests.Hold; t != nil {
		fmt.Fprintf(w, "\nstance hold: %.1f s, loss %s at %.1f s, passed %v\n", t.HeldS, t.Loss, t.LossAt, t.Passed)
	}
	if len(d.Falls) == 0 {
		fmt.Fprintln(w, "\nfalls: none detected")
	} else {
		fmt.Fprintf(w, "\nfalls: %d detected\n", len(d.Falls))
		for _, f := range d.Falls {
			fmt.Fprintf(w, "  at %.2f s: peak %.2f g, tilt %.0f°, inactive %v, confidence %.2f\n", f.ImpactS, f.PeakAccG, f.TiltDeg, f.Inactive, f.Confidence)
		}
	}
	for _, n := range d.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
