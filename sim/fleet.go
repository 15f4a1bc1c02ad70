package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balance-pt/balance"
)

// FleetConfig configures RunFleet.
type FleetConfig struct {
	Broker       string   // e.g. tcp://127.0.0.1:1883
	Devices      int      // number of wearables
	RateHz       float64  // sample rate (100 when 0)
	Speed        float64  // 1 = real time, 60 = an hour a minute (1 when 0)
	Encoding     Encoding // json, binary, lp or mixed (mixed when empty)
	Seed         uint64
	DevicePrefix string // device ids are prefix + 0001, … ("sim-" when empty)
	// Duration of the run in wall time; 0 runs until ctx is done.
	Duration time.Duration
	// Faults turns on duplicates, reordering and link losses.
	Faults bool
	// TruthDir, when set, receives one JSON-lines ground-truth file per
	// device (<id>.truth.jsonl).
	TruthDir string
	// Username and Password for the broker, if it wants them.
	Username, Password string
	// Secret, when set, gives each device its own credentials: it logs in
	// with its id as user name and Secret(id) as password (and Username
	// and Password are not used).
	Secret func(deviceID string) string
	// Now returns the wall clock (time.Now when nil).
	Now func() time.Time
	// Stats, when set, is updated while the fleet runs so that the caller
	// can read it concurrently; RunFleet returns it (or a new one).
	Stats *FleetStats
	// Assigned, when set, returns the exercise (level) id currently
	// assigned to a patient, e.g. "tandem-one-hand", so that the simulated
	// patients practise what the progression engine gives them. It is
	// called from the device goroutines, concurrently.
	Assigned func(patientID string) string
}

// FleetStats counts what a fleet sent. Fields are safe to read while the
// fleet runs.
type FleetStats struct {
	Messages atomic.Int64 // publications acknowledged (QoS 1)
	Samples  atomic.Int64 // IMU samples in them
	Bytes    atomic.Int64 // payload bytes
	Errors   atomic.Int64 // failed or timed-out publications and connects
	Connects atomic.Int64
	Online   atomic.Int64 // devices connected now
}

// StatsSnapshot is a copy of FleetStats at one time.
type StatsSnapshot struct {
	Messages, Samples, Bytes, Errors, Connects, Online int64
}

// Snapshot reads the counters.
func (s *FleetStats) Snapshot() StatsSnapshot {
	return StatsSnapshot{Messages: s.Messages.Load(), Samples: s.Samples.Load(), Bytes: s.Bytes.Load(),
		Errors: s.Errors.Load(), Connects: s.Connects.Load(), Online: s.Online.Load()}
}

func (c *FleetConfig) defaults() error {
	if c.RateHz == 0 {
		c.RateHz = 100
	}
	if c.Speed == 0 {
		c.Speed = 1
	}
	if c.Encoding == "" {
		c.Encoding = EncodingMixed
	}
	if c.DevicePrefix == "" {
		c.DevicePrefix = "sim-"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if _, err := ParseEncoding(string(c.Encoding)); err != nil {
		return err
	}
	if c.Devices < 1 || c.Devices > 100000 {
		return balance.Errorf(balance.EINVALID, "sim: %d devices (want 1..100000)", c.Devices)
	}
	if !(c.Speed >= 1 && c.Speed <= 10000) {
		return balance.Errorf(balance.EINVALID, "sim: speed %v (want 1..10000)", c.Speed)
	}
	if c.Broker == "" {
		return balance.Errorf(balance.EINVALID, "sim: no broker")
	}
	return nil
}

// simClock maps wall time to simulation time. Accelerated runs start in the
// past and catch up with the wall clock, then continue in real time, so
// that device times never run ahead of now (ingest rejects future samples).
type simClock struct {
	wall0, sim0 time.Time
	speed       float64
	now         func() time.Time
}

func newSimClock(now func() time.Time, speed float64, d time.Duration) simClock {
	w := now()
	back := time.Duration(0)
	if speed > 1 {
		back = 24 * time.Hour
		if d > 0 {
			back = time.Duration(float64(d) * (speed - 1))
		}
	}
	return simClock{wall0: w, sim0: w.Add(-back), speed: speed, now: now}
}

func (c simClock) at() time.Time {
	w := c.now()
	t := c.sim0.Add(time.Duration(float64(w.Sub(c.wall0)) * c.speed))
	if t.After(w) {
		return w
	}
	return t
}

// RunFleet publishes cfg.Devices simulated wearables to the broker, each on
// its own MQTT connection (QoS 1, retained status with an offline last
// will), until ctx is done or cfg.Duration has passed. It returns the
// counts (cfg.Stats when set, which can be read while the fleet runs) and
// the first error that stopped a device (a context ending is not an error).
func RunFleet(ctx context.Context, cfg FleetConfig, log *slog.Logger) (*FleetStats, error) {
	stats := cfg.Stats
	if stats == nil {
		stats = new(FleetStats)
	}
	if err := cfg.defaults(); err != nil {
		return stats, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	if cfg.TruthDir != "" {
		if err := os.MkdirAll(cfg.TruthDir, 0o755); err != nil {
			return stats, fmt.Errorf("sim: truth dir: %w", err)
		}
	}
	clock := newSimClock(cfg.Now, cfg.Speed, cfg.Duration)
	pop := Population(cfg.Devices, cfg.DevicePrefix, cfg.RateHz, cfg.Encoding, cfg.Seed, cfg.Faults)
	log.Info("fleet starting", "devices", cfg.Devices, "broker", cfg.Broker, "speed", cfg.Speed, "encoding", cfg.Encoding, "sim_start", clock.sim0)
	var wg sync.WaitGroup
	errs := make(chan error, len(pop))
	for i := range pop {
		wg.Add(1)
		go func(sd SimDevice) {
			defer wg.Done()
			if err := runDevice(ctx, cfg, sd, clock, stats, log); err != nil {
				errs <- err
			}
		}(pop[i])
		// Stagger connects so a big fleet does not hit the broker at once.
		if i%50 == 49 {
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	wg.Wait()
	close(errs)
	return stats, <-errs
}

// runDevice drives one device until ctx is done.
func runDevice(ctx context.Context, cfg FleetConfig, sd SimDevice, clock simClock, stats *FleetStats, log *slog.Logger) error {
	src := &DaySource{Model: sd.Model, Sensor: sd.Sensor, RateHz: cfg.RateHz}
	if cfg.Assigned != nil {
		pid := sd.Model.Patient.ID
		src.Assigned = func() string { return cfg.Assigned(pid) }
	}
	start := clock.at()
	dev, err := NewDevice(sd.Config, src, start, sd.Seed)
	if err != nil {
		return err
	}
	if cfg.TruthDir != "" {
		closeTruth, err := writeTruth(cfg.TruthDir, sd, dev.sampleNS(0), src)
		if err != nil {
			return err
		}
		defer closeTruth()
	}
	link := newLink(cfg, sd.Config.ID, stats, log)
	defer link.close()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	// pending holds messages the transport has not delivered yet, oldest
	// first: a broker outage delays them instead of losing them (up to
	// maxPending, then the oldest are dropped and counted as errors).
	var pending []Message
	for {
		pending = dev.Advance(clock.at(), pending)
		if err := src.Err(); err != nil {
			return fmt.Errorf("sim: device %s: %w", sd.Config.ID, err)
		}
		if n := len(pending) - maxPending; n > 0 {
			stats.Errors.Add(int64(n))
			pending = append(pending[:0], pending[n:]...)
		}
		if !dev.Online() {
			link.drop()
		} else if len(pending) > 0 && link.ensure(ctx) {
			sent := 0
			for _, m := range pending {
				if ctx.Err() != nil || !link.publish(m) {
					break
				}
				sent++
			}
			pending = append(pending[:0], pending[sent:]...)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// maxPending bounds a device's undelivered messages in the fleet (an hour
// of one-second batches).
const maxPending = 3600

// writeTruth writes the device's ground truth as JSON lines: a header with
// the device, patient model, sensor and the device time of the first
// sample, then one line per segment as the source generates it.
func writeTruth(dir string, sd SimDevice, startNS int64, src *DaySource) (func(), error) {
	f, err := os.Create(filepath.Join(dir, sd.Config.ID+".truth.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	enc := json.NewEncoder(f)
	_ = enc.Encode(map[string]any{"device": sd.Config.ID, "patient": sd.Model.Patient, "baseline_impairment": sd.Model.Baseline,
		"adherence": sd.Model.Adherence, "sensor": sd.Sensor, "rate_hz": sd.Config.RateHz, "start_ns": startNS,
		"clock_offset_ns": sd.Config.ClockOffset, "drift_ppm": sd.Config.DriftPPM})
	src.OnSegment = func(day int, seg Segment) {
		_ = enc.Encode(struct {
			Day int `json:"day"`
			Segment
		}{day, seg})
	}
	return func() { f.Close() }, nil
}
