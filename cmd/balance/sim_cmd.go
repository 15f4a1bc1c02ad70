package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
)

const simUsage = `usage: balance sim [fleet|load|replay|file] [flags]

modes:
  fleet   (default) publish simulated patients' wearables to an MQTT broker
  load    publish many devices of pre-generated signal, reporting throughput
  replay  publish a recording file as a live device (--file)
  file    write a scenario to a recording and its ground truth JSON beside
          it (--scenario, --out); --file-format frames writes the devices'
          binary frames (int16 counts of the sensor's LSBs, 100 a frame)
          instead of generic CSV
`

// runSim implements `balance sim`.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	mode := "fleet"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("sim "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, simUsage+"\nflags:\n")
		fs.PrintDefaults()
	}
	broker := fs.String("broker", "tcp://127.0.0.1:1883", "MQTT broker URL")
	devices := fs.Int("devices", 3, "number of simulated devices (fleet, load)")
	rate := fs.Float64("rate", 100, "sample rate in Hz")
	speed := fs.Float64("speed", 1, "1 = real time, 60 = an hour a minute (fleet, replay)")
	encoding := fs.String("encoding", "mixed", "IMU encoding: json, binary, lp or mixed")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same data")
	duration := fs.Duration("duration", 0, "how long to run in wall time (0 = until interrupted)")
	prefix := fs.String("prefix", "sim-", "device id prefix")
	faults := fs.Bool("faults", false, "fleet: duplicates, reordering and lost links")
	truthDir := fs.String("truth-dir", "", "fleet: write each device's ground truth (JSON lines) here")
	conns := fs.Int("conns", 0, "load: MQTT connections shared by the devices (default min(devices, 8))")
	report := fs.Duration("report", 5*time.Second, "fleet, load: print throughput this often")
	file := fs.String("file", "", "replay: recording file (generic CSV, mobgap, SisFall, GENEActiv or frames)")
	format := fs.String("format", "", "replay: recording format (default: detect)")
	device := fs.String("device", "", "replay: device id (default PREFIX+replay)")
	scenario := fs.String("scenario", "demo", "file: scenario, one of "+strings.Join(sim.ScenarioNames(), ", "))
	out := fs.String("out", "sim.csv", "file: output path (default sim.frames with --file-format frames); the truth goes to the same name with .truth.json")
	fileFormat := fs.String("file-format", recording.FormatGeneric, "file: recording format, generic (CSV) or frames (binary wire frames)")
	height := fs.Float64("height", 1.70, "file: wearer height in m")
	impairment := fs.Float64("impairment", 0, "file: impairment 0 (healthy) to 1 (severe)")
	neuropathy := fs.Bool("neuropathy", false, "file: peripheral neuropathy")
	ideal := fs.Bool("ideal-sensor", false, "file: noise-free sensor mounted straight")
	upsideDown := fs.Bool("upside-down", false, "file: sensor clipped on upside down")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments %q", fs.Args())
	}
	enc, err := sim.ParseEncoding(*encoding)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	switch mode {
	case "fleet":
		stats := new(sim.FleetStats)
		cfg := sim.FleetConfig{Broker: *broker, Devices: *devices, RateHz: *rate, Speed: *speed, Encoding: enc, Seed: *seed,
			DevicePrefix: *prefix, Duration: *duration, Faults: *faults, TruthDir: *truthDir, Stats: stats}
		return withReport(ctx, stdout, stats, *report, func(ctx context.Context) error {
			_, err := sim.RunFleet(ctx, cfg, log)
			return err
		})
	case "load":
		stats := new(sim.FleetStats)
		cfg := sim.LoadConfig{Broker: *broker, Devices: *devices, RateHz: *rate, Encoding: enc, Seed: *seed,
			DevicePrefix: *prefix, Conns: *conns, Duration: *duration, Stats: stats}
		return withReport(ctx, stdout, stats, *report, func(ctx context.Context) error {
			_, err := sim.RunLoad(ctx, cfg, log)
			return err
		})
	case "replay":
		if *file == "" {
			return errors.New("sim replay: --file is required")
		}
		rec, err := recording.ReadFile(*file, recording.Options{Format: *format})
		if err != nil {
			return fmt.Errorf("sim replay: %w", err)
		}
		id := *device
		if id == "" {
			id = *prefix + "replay"
		}
		stats := new(sim.FleetStats)
		cfg := sim.ReplayConfig{Broker: *broker, DeviceID: id, Encoding: enc, Speed: *speed, Stats: stats}
		return withReport(ctx, stdout, stats, *report, func(ctx context.Context) error {
			_, err := sim.Replay(ctx, cfg, rec.Samples, rec.RateHz, log)
			return err
		})
	case "file":
		outSet := false
		fs.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
		if !outSet && *fileFormat == recording.FormatFrames {
			*out = "sim.frames"
		}
		p := balance.Patient{HeightM: *height, Neuropathy: *neuropathy}
		return writeScenario(stdout, *scenario, *out, *fileFormat, sim.BodyFor(p, *impairment), *rate, *seed, *ideal, *upsideDown)
	}
	return fmt.Errorf("sim: unknown mode %q\n%s", mode, simUsage)
}

// withReport runs f and prints the counters every period and at the end.
func withReport(ctx context.Context, w io.Writer, stats *sim.FleetStats, period time.Duration, f func(context.Context) error) error {
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- f(ctx) }()
	var tick <-chan time.Time
	if period > 0 {
		t := time.NewTicker(period)
		defer t.Stop()
		tick = t.C
	}
	prev, prevT := stats.Snapshot(), start
	for {
		select {
		case err := <-done:
			s := stats.Snapshot()
			el := time.Since(start).Seconds()
			fmt.Fprintf(w, "total: %d messages, %d samples, %d bytes, %d errors in %.1f s (%.0f msg/s, %.0f samples/s, %.0f B/s)\n",
				s.Messages, s.Samples, s.Bytes, s.Errors, el, float64(s.Messages)/el, float64(s.Samples)/el, float64(s.Bytes)/el)
			return err
		case now := <-tick:
			s := stats.Snapshot()
			dt := now.Sub(prevT).Seconds()
			fmt.Fprintf(w, "%s: %.0f msg/s, %.0f samples/s, %.0f B/s, %d errors, %d online\n", now.Format(time.TimeOnly),
				float64(s.Messages-prev.Messages)/dt, float64(s.Samples-prev.Samples)/dt, float64(s.Bytes-prev.Bytes)/dt, s.Errors, s.Online)
			prev, prevT = s, now
		}
	}
}

// writeScenario writes the named scenario as a recording in format
// (recording.FormatGeneric or FormatFrames) and its ground truth as JSON
// beside it. Frames hold the values as counts of the sensor's LSBs (the
// defaults of recording.WriteFrames for the ideal sensor, which has none).
func writeScenario(stdout io.Writer, name, out, format string, body sim.Body, rate float64, seed uint64, ideal, upsideDown bool) error {
	if format != recording.FormatGeneric && format != recording.FormatFrames {
		return balance.Errorf(balance.EINVALID, "sim file: --file-format %q: want %s or %s", format, recording.FormatGeneric, recording.FormatFrames)
	}
	s, err := sim.NamedScenario(name, body, rate, seed)
	if err != nil {
		return err
	}
	sensor := sim.TypicalSensor()
	if ideal {
		sensor = sim.Sensor{}
	}
	sensor.UpsideDown = upsideDown
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC).UnixNano()
	rec := recording.Recording{Samples: s.Samples(sensor, start), RateHz: rate, HasGyro: true, Meta: map[string]string{
		"height_m":        strconv.FormatFloat(body.HeightM, 'f', 2, 64),
		"sensor_height_m": strconv.FormatFloat(body.SensorHeightM, 'f', 3, 64),
		"source":          "balance-sim",
		"scenario":        name,
		"seed":            strconv.FormatUint(seed, 10),
	}}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("sim file: %w", err)
	}
	if format == recording.FormatFrames {
		err = recording.WriteFrames(f, rec, recording.FramesOptions{AccScale: sensor.AccLSB, GyroScale: sensor.GyroLSB})
	} else {
		err = recording.WriteGeneric(f, rec)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("sim file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sim file: %w", err)
	}
	truthPath := truthPath(out)
	tj, err := json.MarshalIndent(s.Truth(sensor, start), "", "  ")
	if err != nil {
		return fmt.Errorf("sim file: %w", err)
	}
	if err := os.WriteFile(truthPath, append(tj, '\n'), 0o644); err != nil {
		return fmt.Errorf("sim file: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d samples, %.1f s) and %s (%d segments)\n", out, s.Len(), s.DurationS(), truthPath, len(s.Segments()))
	return nil
}

// truthPath returns where the ground truth of recording path goes: the same
// name with the extension replaced by .truth.json.
func truthPath(path string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".truth.json"
}
