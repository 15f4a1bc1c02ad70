package sim

import (
	"context"
	"log/slog"
	"math"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// ReplayConfig configures Replay.
type ReplayConfig struct {
	Broker   string
	DeviceID string
	Encoding Encoding // json when empty or mixed
	Speed    float64  // 1 when 0
	BatchS   float64  // 1 when 0
	Username string
	Password string
	Now      func() time.Time // time.Now when nil
	Stats    *FleetStats
}

// Replay publishes a recording as a live device: status online, then the
// samples in batches at Speed × real time with times moved so that the
// last sample is stamped when it is sent (never in the future), then the
// offline status. It returns when the recording is sent or ctx is done.
func Replay(ctx context.Context, cfg ReplayConfig, samples []balance.Sample, rateHz float64, log *slog.Logger) (*FleetStats, error) {
	stats := cfg.Stats
	if stats == nil {
		stats = new(FleetStats)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := balance.ValidateDeviceID(cfg.DeviceID); err != nil {
		return stats, err
	}
	if len(samples) == 0 {
		return stats, balance.Errorf(balance.ECOUNT, "sim: nothing to replay")
	}
	if !(rateHz >= balance.MinRateHz && rateHz <= balance.MaxRateHz) {
		return stats, balance.Errorf(balance.ERATE, "sim: replay rate %v Hz", rateHz)
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.BatchS == 0 {
		cfg.BatchS = 1
	}
	if cfg.Encoding == "" || cfg.Encoding == EncodingMixed {
		cfg.Encoding = EncodingJSON
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if !(cfg.Speed >= 0.1 && cfg.Speed <= 10000) {
		return stats, balance.Errorf(balance.EINVALID, "sim: replay speed %v", cfg.Speed)
	}
	per := max(1, int(math.Round(cfg.BatchS*rateHz)))
	if per > balance.MaxBatchSize {
		return stats, balance.Errorf(balance.ECOUNT, "sim: batches of %d samples", per)
	}
	l := newLink(FleetConfig{Broker: cfg.Broker, Username: cfg.Username, Password: cfg.Password}, cfg.DeviceID, stats, log)
	defer l.close()
	if !l.ensure(ctx) {
		return stats, balance.Errorf(balance.EUNAVAILABLE, "sim: cannot connect to %s", cfg.Broker)
	}
	wall0 := cfg.Now()
	span := float64(len(samples)) / rateHz
	// Device time of sample 0: the last sample is due at wall0 + span/speed.
	t0 := wall0.Add(time.Duration((span/cfg.Speed - span) * float64(time.Second))).UnixNano()
	l.publish(Message{Kind: wire.KindStatus, Topic: wire.Topic(cfg.DeviceID, wire.KindStatus),
		Payload: wire.EncodeStatus(balance.DeviceStatus{Online: true, Firmware: "replay", DeviceTime: wall0.Truncate(time.Millisecond)}), Retained: true})
	var b balance.Batch
	var seq uint64
	for i := 0; i < len(samples); i += per {
		j := min(len(samples), i+per)
		// Send batch [i, j) once its last sample is due.
		due := wall0.Add(time.Duration(float64(j) / rateHz / cfg.Speed * float64(time.Second)))
		select {
		case <-ctx.Done():
			return stats, nil
		case <-time.After(due.Sub(cfg.Now())):
		}
		seq++
		b = balance.Batch{DeviceID: cfg.DeviceID, Seq: seq, RateHz: rateHz, Samples: b.Samples[:0]}
		for k := i; k < j; k++ {
			s := samples[k]
			s.TimeNS = t0 + int64(math.Round(float64(k)*1e9/rateHz))
			b.Samples = append(b.Samples, s)
		}
		p, err := appendBatch(nil, &b, cfg.Encoding)
		if err != nil {
			return stats, err
		}
		// Retry a failed batch until it is delivered or ctx ends.
		m := Message{Kind: wire.KindIMU, Topic: wire.Topic(cfg.DeviceID, wire.KindIMU), Payload: p, Samples: j - i, Seq: seq}
		for !(l.ensure(ctx) && l.publish(m)) {
			select {
			case <-ctx.Done():
				return stats, nil
			case <-time.After(time.Second):
			}
		}
	}
	return stats, nil
}
