package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// LoadConfig configures a load run: many devices sending steady batches of
// pre-generated signal, as cheaply as possible.
type LoadConfig struct {
	Broker       string
	Devices      int
	RateHz       float64  // 100 when 0
	BatchS       float64  // 1 when 0
	Encoding     Encoding // mixed when empty
	Seed         uint64
	DevicePrefix string // "load-" when empty
	// PregenS is the length of the signal loop each device cycles (4 s when
	// 0); Signals is how many distinct loops are made and shared round-robin
	// between devices (16 when 0).
	PregenS float64
	Signals int
	// Conns is the number of MQTT connections that share the devices
	// (min(Devices, 8) when 0).
	Conns    int
	Duration time.Duration
	// Username and Password for the broker, if it wants them.
	Username, Password string
	// Stats, when set, is updated while the load runs.
	Stats *FleetStats
}

func (c *LoadConfig) defaults() error {
	if c.RateHz == 0 {
		c.RateHz = 100
	}
	if c.BatchS == 0 {
		c.BatchS = 1
	}
	if c.Encoding == "" {
		c.Encoding = EncodingMixed
	}
	if c.DevicePrefix == "" {
		c.DevicePrefix = "load-"
	}
	if c.PregenS == 0 {
		c.PregenS = 4
	}
	if c.Signals == 0 {
		c.Signals = 16
	}
	if c.Conns == 0 {
		c.Conns = min(c.Devices, 8)
	}
	if _, err := ParseEncoding(string(c.Encoding)); err != nil {
		return err
	}
	if c.Devices < 1 || c.Devices > 1000000 || c.Conns < 1 || c.Signals < 1 || !(c.PregenS >= c.BatchS) {
		return balance.Errorf(balance.EINVALID, "sim: bad load config: %d devices, %d connections, %d signals, %v s loops", c.Devices, c.Conns, c.Signals, c.PregenS)
	}
	if n := c.BatchS * c.RateHz; !(n >= 1 && n <= balance.MaxBatchSize) || c.RateHz < balance.MinRateHz || c.RateHz > balance.MaxRateHz {
		return balance.Errorf(balance.ERATE, "sim: %v Hz in batches of %v s", c.RateHz, c.BatchS)
	}
	return nil
}

// LoadGen makes the batches of a load run. Each call to Tick encodes one
// batch per device into a reused buffer and hands it to a sink, which must
// not keep the payload after it returns.
type LoadGen struct {
	cfg     LoadConfig
	loops   [][]balance.Sample
	ids     []string
	topics  []string
	encs    []Encoding
	seq     []uint64
	pos     []int
	batch   balance.Batch
	buf     []byte
	perTick int
}

// NewLoadGen pre-generates the signal loops: walking and standing of
// bodies of varied impairment, read through a typical sensor.
func NewLoadGen(cfg LoadConfig) (*LoadGen, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	g := &LoadGen{cfg: cfg, perTick: int(math.Round(cfg.BatchS * cfg.RateHz))}
	for i := 0; i < cfg.Signals; i++ {
		b := DefaultBody()
		b.Impairment = float64(i%5) / 5
		s := NewScenario(b, cfg.RateHz, cfg.Seed+uint64(i))
		if i%2 == 0 {
			s.Walk(NormalWalk(b, int(cfg.PregenS*2)+4))
		} else {
			s.Stand(cfg.PregenS+1, Ladder[i%len(Ladder)], SwayOptions{LossAtS: -1})
		}
		if err := s.Err(); err != nil {
			return nil, err
		}
		smp := s.Samples(TypicalSensor(), 0)
		g.loops = append(g.loops, smp[:int(cfg.PregenS*cfg.RateHz)])
	}
	for i := 0; i < cfg.Devices; i++ {
		id := fmt.Sprintf("%s%05d", cfg.DevicePrefix, i+1)
		g.ids = append(g.ids, id)
		g.topics = append(g.topics, wire.Topic(id, wire.KindIMU))
		g.encs = append(g.encs, cfg.Encoding.forDevice(i))
		g.pos = append(g.pos, (i*37)%len(g.loops[0]))
	}
	g.seq = make([]uint64, cfg.Devices)
	g.batch.Samples = make([]balance.Sample, g.perTick)
	return g, nil
}

// Devices returns the number of devices.
func (g *LoadGen) Devices() int { return len(g.ids) }

// Batch encodes the next batch of device i, stamped from t0 (Unix ns), and
// returns its topic, payload (valid until the next call) and sample count.
func (g *LoadGen) Batch(i int, t0 int64) (topic string, payload []byte, samples int) {
	loop := g.loops[i%len(g.loops)]
	b := &g.batch
	b.DeviceID, b.RateHz = g.ids[i], g.cfg.RateHz
	g.seq[i]++
	b.Seq = g.seq[i]
	p := g.pos[i]
	period := 1e9 / g.cfg.RateHz
	for k := range b.Samples {
		b.Samples[k] = loop[p]
		b.Samples[k].TimeNS = t0 + int64(math.Round(float64(k)*period))
		if p++; p == len(loop) {
			p = 0
		}
	}
	g.pos[i] = p
	g.buf, _ = appendBatch(g.buf[:0], b, g.encs[i])
	return g.topics[i], g.buf, len(b.Samples)
}

// Tick makes one batch for every device in [from, to) with start time t0
// and passes each to sink; it returns the samples and bytes made.
func (g *LoadGen) Tick(from, to int, t0 int64, sink func(topic string, payload []byte) error) (samples, bytes int64, errs int64) {
	for i := from; i < to; i++ {
		topic, p, n := g.Batch(i, t0)
		if err := sink(topic, p); err != nil {
			errs++
			continue
		}
		samples += int64(n)
		bytes += int64(len(p))
	}
	return samples, bytes, errs
}

// RunLoad runs a load test against cfg.Broker: Conns connections each send
// the batches of their share of the devices once per BatchS of wall time,
// with QoS 1, until ctx is done or Duration has passed. Stats count
// acknowledged messages (cfg.Stats when set).
func RunLoad(ctx context.Context, cfg LoadConfig, log *slog.Logger) (*FleetStats, error) {
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
	var wg sync.WaitGroup
	per := (cfg.Devices + cfg.Conns - 1) / cfg.Conns
	log.Info("load starting", "devices", cfg.Devices, "connections", cfg.Conns, "rate_hz", cfg.RateHz, "encoding", cfg.Encoding)
	var firstErr error
	var once sync.Once
	for c := 0; c < cfg.Conns; c++ {
		from, to := c*per, min(cfg.Devices, (c+1)*per)
		if from >= to {
			break
		}
		wg.Add(1)
		go func(c, from, to int) {
			defer wg.Done()
			if err := loadWorker(ctx, cfg, c, from, to, stats); err != nil {
				once.Do(func() { firstErr = err })
			}
		}(c, from, to)
	}
	wg.Wait()
	return stats, firstErr
}

func loadWorker(ctx context.Context, cfg LoadConfig, c, from, to int, stats *FleetStats) error {
	cfg.Seed += uint64(c)
	g, err := NewLoadGen(cfg)
	if err != nil {
		return err
	}
	o := mqtt.NewClientOptions().AddBroker(cfg.Broker).SetClientID(fmt.Sprintf("%sconn-%d", cfg.DevicePrefix, c)).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectRetry(true).SetConnectTimeout(5 * time.Second).
		SetMaxReconnectInterval(5 * time.Second).SetOrderMatters(false).SetWriteTimeout(10 * time.Second)
	if cfg.Username != "" {
		o.SetUsername(cfg.Username).SetPassword(cfg.Password)
	}
	client := mqtt.NewClient(o)
	t := client.Connect()
	if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		stats.Errors.Add(1)
		return fmt.Errorf("sim: load connection %d: %v", c, t.Error())
	}
	stats.Connects.Add(1)
	stats.Online.Add(1)
	defer func() {
		client.Disconnect(250)
		stats.Online.Add(-1)
	}()
	period := time.Duration(cfg.BatchS * float64(time.Second))
	next := time.Now().Truncate(period)
	var tokens []mqtt.Token
	var sizes []int64
	for {
		t0 := next.UnixNano()
		tokens, sizes = tokens[:0], sizes[:0]
		g.Tick(from, to, t0, func(topic string, p []byte) error {
			// paho keeps the payload until acknowledged: hand it a copy.
			tokens = append(tokens, client.Publish(topic, 1, false, append([]byte(nil), p...)))
			sizes = append(sizes, int64(len(p)))
			return nil
		})
		for i, tk := range tokens {
			if !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
				stats.Errors.Add(1)
				continue
			}
			stats.Messages.Add(1)
			stats.Samples.Add(int64(g.perTick))
			stats.Bytes.Add(sizes[i])
		}
		next = next.Add(period)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(next)):
		}
	}
}
