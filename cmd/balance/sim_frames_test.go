package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
)

// TestSimFileFrames: `sim file --file-format frames` writes the same
// scenario as the generic CSV, as binary frames: the same times, values
// within half an LSB of the typical sensor (whose samples are already
// counts of that LSB, so they differ only by the float32 rounding of the
// scale), the same Meta.
func TestSimFileFrames(t *testing.T) {
	dir := t.TempDir()
	csv, frames := filepath.Join(dir, "falls.csv"), filepath.Join(dir, "falls.frames")
	for _, args := range [][]string{
		{"file", "--scenario", "falls", "--out", csv, "--rate", "100", "--seed", "3"},
		{"file", "--scenario", "falls", "--out", frames, "--rate", "100", "--seed", "3", "--file-format", "frames"},
	} {
		var stdout, stderr bytes.Buffer
		if err := runSim(context.Background(), args, &stdout, &stderr); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
	}
	want, err := recording.ReadFile(csv, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := recording.ReadFile(frames, recording.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Source != recording.FormatFrames || got.RateHz != 100 || !got.HasGyro || len(got.Samples) != len(want.Samples) {
		t.Fatalf("frames: source %q, %v Hz, gyro %v, %d samples; want frames, 100, true, %d", got.Source, got.RateHz, got.HasGyro, len(got.Samples), len(want.Samples))
	}
	for _, k := range []string{"height_m", "sensor_height_m", "scenario", "seed", "source"} {
		if got.Meta[k] != want.Meta[k] {
			t.Errorf("meta %s = %q, the CSV's %q", k, got.Meta[k], want.Meta[k])
		}
	}
	sensor := sim.TypicalSensor()
	ta, tg := float64(float32(sensor.AccLSB))/2, float64(float32(sensor.GyroLSB))/2
	for i, w := range want.Samples {
		g := got.Samples[i]
		if g.TimeNS != w.TimeNS {
			t.Fatalf("sample %d at %d ns, the CSV's at %d", i, g.TimeNS, w.TimeNS)
		}
		for k := range 3 {
			if math.Abs(g.Acc[k]-w.Acc[k]) > ta || math.Abs(g.Gyro[k]-w.Gyro[k]) > tg {
				t.Fatalf("sample %d is %v, the CSV's %v", i, g, w)
			}
		}
	}
	fi, err := os.Stat(frames)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := os.Stat(csv)
	t.Logf("%d samples: frames %d bytes, CSV %d bytes", len(got.Samples), fi.Size(), ci.Size())

	var stdout, stderr bytes.Buffer
	if err := runSim(context.Background(), []string{"file", "--out", filepath.Join(dir, "x"), "--file-format", "xml"}, &stdout, &stderr); err == nil {
		t.Error("--file-format xml accepted")
	}
}
