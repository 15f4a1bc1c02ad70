package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// DeviceConfig describes one simulated wearable and its faults.
type DeviceConfig struct {
	ID        string
	PatientID string
	RateHz    float64 // 100 when 0
	// BatchS is the length of one IMU message in seconds (1 when 0).
	BatchS   float64
	Encoding Encoding // json when empty
	Firmware string
	// ClockOffset is added to the device clock; DriftPPM makes it run fast
	// (positive) or slow, in parts per million.
	ClockOffset time.Duration
	DriftPPM    float64
	// StatusEvery is the period of status messages (60 s when 0).
	StatusEvery time.Duration
	// BatteryPct at the start (100 when 0) and its drain per hour of device
	// time (4 %/h when 0: a day of wear on a charge).
	BatteryPct      float64
	DrainPctPerHour float64
	// DuplicateProb is the chance that a batch is sent twice; ReorderProb
	// the chance that it is held back and sent after the next one.
	DuplicateProb float64
	ReorderProb   float64
	// OfflineProb is the chance per minute of losing the link, for an
	// exponentially distributed time with mean OfflineMeanS (60 s when 0).
	// Batches made while offline are buffered (up to BufferBatches, 600
	// when 0, oldest dropped) and sent on reconnect.
	OfflineProb   float64
	OfflineMeanS  float64
	BufferBatches int
}

// Message is one MQTT publication of a device.
type Message struct {
	Kind     wire.Kind
	Topic    string
	Payload  []byte
	Retained bool
	Samples  int    // IMU samples carried
	Seq      uint64 // batch sequence number (IMU only)
}

// maxCatchUp bounds the batches one Advance makes.
const maxCatchUp = 300

// DeviceStats counts what a device produced.
type DeviceStats struct {
	Batches, Samples, Duplicates, Reordered, Dropped, Offline int
}

// Device turns a Source into the message stream of a wearable. It is
// driven by Advance with the simulation time; it reads no clock itself.
type Device struct {
	cfg   DeviceConfig
	src   Source
	rng   *rand.Rand
	start time.Time // simulation time of the first sample

	produced   int64 // samples produced so far
	seq        uint64
	online     bool
	offUntil   time.Time
	nextCheck  time.Time
	nextStatus time.Time
	held       *Message // batch held back for reordering
	buffer     []Message
	started    bool
	stats      DeviceStats
	batch      balance.Batch
}

// NewDevice returns a device that starts sampling at simulation time start.
func NewDevice(cfg DeviceConfig, src Source, start time.Time, seed uint64) (*Device, error) {
	if err := balance.ValidateDeviceID(cfg.ID); err != nil {
		return nil, err
	}
	if cfg.RateHz == 0 {
		cfg.RateHz = 100
	}
	if cfg.RateHz < balance.MinRateHz || cfg.RateHz > balance.MaxRateHz || math.IsNaN(cfg.RateHz) {
		return nil, balance.Errorf(balance.ERATE, "sim: device rate %v Hz is outside %v..%v Hz", cfg.RateHz, balance.MinRateHz, balance.MaxRateHz)
	}
	if cfg.BatchS == 0 {
		cfg.BatchS = 1
	}
	if n := cfg.BatchS * cfg.RateHz; !(n >= 1 && n <= balance.MaxBatchSize) {
		return nil, balance.Errorf(balance.ECOUNT, "sim: batches of %v s at %v Hz hold %v samples", cfg.BatchS, cfg.RateHz, n)
	}
	if cfg.Encoding == "" {
		cfg.Encoding = EncodingJSON
	}
	if _, err := ParseEncoding(string(cfg.Encoding)); err != nil || cfg.Encoding == EncodingMixed {
		return nil, balance.Errorf(balance.EINVALID, "sim: device encoding %q", cfg.Encoding)
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = time.Minute
	}
	if cfg.BatteryPct <= 0 {
		cfg.BatteryPct = 100
	}
	if cfg.DrainPctPerHour <= 0 {
		cfg.DrainPctPerHour = 4
	}
	if cfg.OfflineMeanS <= 0 {
		cfg.OfflineMeanS = 60
	}
	if cfg.BufferBatches <= 0 {
		cfg.BufferBatches = 600
	}
	if cfg.Firmware == "" {
		cfg.Firmware = "sim-1.0"
	}
	return &Device{cfg: cfg, src: src, start: start, online: true, nextCheck: start.Add(time.Minute),
		rng: rand.New(rand.NewPCG(seed, 0xdec1ce))}, nil
}

// ID returns the device id.
func (d *Device) ID() string { return d.cfg.ID }

// Online reports whether the device's link is up.
func (d *Device) Online() bool { return d.online }

// Stats returns what the device produced so far.
func (d *Device) Stats() DeviceStats { return d.stats }

// deviceTime maps simulation time to the device's clock.
func (d *Device) deviceTime(t time.Time) time.Time {
	el := t.Sub(d.start)
	return d.start.Add(d.cfg.ClockOffset + el + time.Duration(float64(el)*d.cfg.DriftPPM*1e-6))
}

// sampleNS is the device time of sample k: the device clock stamps its own
// sample grid, so the grid is exact in device time.
func (d *Device) sampleNS(k int64) int64 {
	return d.start.Add(d.cfg.ClockOffset).UnixNano() + int64(math.Round(float64(k)*1e9/d.cfg.RateHz))
}

// Advance produces the messages due by simulation time now (at most 300
// batches per call; a device that fell behind catches up over later calls)
// and appends them to out: the online status first, full batches (with session events
// before the batch that holds their first sample), periodic status, and,
// on reconnect, the batches buffered while offline. While offline it
// returns nothing.
func (d *Device) Advance(now time.Time, out []Message) []Message {
	if !d.started {
		d.started = true
		out = append(out, d.status(now, true))
		d.nextStatus = now.Add(d.cfg.StatusEvery)
	}
	d.linkModel(now, &out)
	per := int64(math.Round(d.cfg.BatchS * d.cfg.RateHz))
	// Samples due: the device's oscillator runs (1 + drift) fast.
	due := int64(now.Sub(d.start).Seconds()*d.cfg.RateHz*(1+d.cfg.DriftPPM*1e-6) + 1e-6)
	// At most maxCatchUp batches per call, so that a device that fell
	// behind catches up over several calls and its caller stays responsive.
	for made := 0; d.produced+per <= due && made < maxCatchUp; made++ {
		msgs := d.makeBatch(int(per))
		for _, m := range msgs {
			d.emit(m, &out)
		}
	}
	if d.online && !now.Before(d.nextStatus) {
		out = append(out, d.status(now, true))
		d.nextStatus = now.Add(d.cfg.StatusEvery)
	}
	return out
}

// linkModel takes the link down or up.
func (d *Device) linkModel(now time.Time, out *[]Message) {
	if d.online {
		for d.cfg.OfflineProb > 0 && !now.Before(d.nextCheck) {
			d.nextCheck = d.nextCheck.Add(time.Minute)
			if d.rng.Float64() < d.cfg.OfflineProb {
				d.online = false
				d.stats.Offline++
				d.offUntil = now.Add(time.Duration(d.rng.ExpFloat64() * d.cfg.OfflineMeanS * float64(time.Second)))
				return
			}
		}
		return
	}
	if now.Before(d.offUntil) {
		return
	}
	d.online = true
	d.nextCheck = now.Add(time.Minute)
	*out = append(*out, d.status(now, true))
	d.nextStatus = now.Add(d.cfg.StatusEvery)
	*out = append(*out, d.buffer...)
	d.buffer = d.buffer[:0]
}

// emit sends m, or buffers it while offline, applying duplicates and
// reordering to IMU batches.
func (d *Device) emit(m Message, out *[]Message) {
	if !d.online {
		if len(d.buffer) >= d.cfg.BufferBatches {
			d.buffer = d.buffer[1:]
			d.stats.Dropped++
		}
		d.buffer = append(d.buffer, m)
		return
	}
	if m.Kind != wire.KindIMU {
		*out = append(*out, m)
		return
	}
	if d.held == nil && d.cfg.ReorderProb > 0 && d.rng.Float64() < d.cfg.ReorderProb {
		d.held = &m
		d.stats.Reordered++
		return
	}
	*out = append(*out, m)
	if d.cfg.DuplicateProb > 0 && d.rng.Float64() < d.cfg.DuplicateProb {
		*out = append(*out, m)
		d.stats.Duplicates++
	}
	if d.held != nil {
		*out = append(*out, *d.held)
		d.held = nil
	}
}

// makeBatch reads n samples from the source, stamps them and encodes the
// batch, preceded by the session events it holds.
func (d *Device) makeBatch(n int) []Message {
	b := &d.batch
	b.DeviceID, b.PatientID, b.RateHz = d.cfg.ID, d.cfg.PatientID, d.cfg.RateHz
	var marks []Mark
	b.Samples, marks = d.src.Next(b.Samples[:0], n)
	for i := range b.Samples {
		b.Samples[i].TimeNS = d.sampleNS(d.produced + int64(i))
	}
	var msgs []Message
	for _, m := range marks {
		ev := balance.DeviceEvent{Action: m.Action, Kind: m.Kind, SessionID: m.SessionID, ExerciseID: m.ExerciseID,
			Time: time.Unix(0, d.sampleNS(d.produced+int64(m.Offset))).UTC()}
		msgs = append(msgs, Message{Kind: wire.KindEvent, Topic: wire.Topic(d.cfg.ID, wire.KindEvent), Payload: wire.EncodeEvent(ev)})
	}
	d.produced += int64(len(b.Samples))
	d.seq++
	b.Seq = d.seq
	payload, _ := appendBatch(nil, b, d.cfg.Encoding)
	d.stats.Batches++
	d.stats.Samples += len(b.Samples)
	return append(msgs, Message{Kind: wire.KindIMU, Topic: wire.Topic(d.cfg.ID, wire.KindIMU), Payload: payload, Samples: len(b.Samples), Seq: b.Seq})
}

// status builds a retained status message at simulation time now.
func (d *Device) status(now time.Time, online bool) Message {
	hours := now.Sub(d.start).Hours()
	batt := math.Max(1, d.cfg.BatteryPct-d.cfg.DrainPctPerHour*hours)
	st := balance.DeviceStatus{Online: online, BatteryPct: math.Round(batt*10) / 10, Firmware: d.cfg.Firmware, DeviceTime: d.deviceTime(now).Truncate(time.Millisecond)}
	return Message{Kind: wire.KindStatus, Topic: wire.Topic(d.cfg.ID, wire.KindStatus), Payload: wire.EncodeStatus(st), Retained: true}
}
