package sim

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// BenchmarkLoadTick measures one second of a 2,000-device, 100 Hz fleet
// (2,000 one-second batches, 200,000 samples) generated and encoded into a
// no-op sink on one goroutine. samples/s above 200,000 means one core
// keeps up with the fleet in real time.
func BenchmarkLoadTick(b *testing.B) {
	for _, enc := range []Encoding{EncodingJSON, EncodingBinary, EncodingLP, EncodingMixed} {
		b.Run(string(enc), func(b *testing.B) {
			g, err := NewLoadGen(LoadConfig{Devices: 2000, RateHz: 100, Encoding: enc, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			var bytes int64
			sink := func(string, []byte) error { return nil }
			b.ResetTimer()
			t0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC).UnixNano()
			var samples int64
			for i := 0; i < b.N; i++ {
				n, by, _ := g.Tick(0, g.Devices(), t0+int64(i)*1e9, sink)
				samples += n
				bytes += by
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(samples)/s, "samples/s")
			b.ReportMetric(float64(bytes)/float64(samples), "B/sample")
			b.ReportMetric(float64(samples)/s/200000, "fleets-of-2000@100Hz/core")
		})
	}
}

func TestLoadGenBatchesDecode(t *testing.T) {
	g, err := NewLoadGen(LoadConfig{Devices: 6, RateHz: 100, Encoding: EncodingMixed, Seed: 1, PregenS: 2})
	if err != nil {
		t.Fatal(err)
	}
	dec := wire.NewDecoder(wire.DefaultLimits())
	now := time.Now()
	for tick := 0; tick < 3; tick++ { // 3 s with 2 s loops: wraps around
		t0 := now.Add(time.Duration(tick-5) * time.Second).UnixNano()
		seen := 0
		_, _, errs := g.Tick(0, 6, t0, func(topic string, p []byte) error {
			dev, _, err := wire.ParseTopic(topic)
			if err != nil {
				return err
			}
			var b balance.Batch
			if _, err := dec.DecodeIMU(dev, p, now, &b); err != nil {
				t.Fatalf("%s: %v", dev, err)
			}
			if b.Seq != uint64(tick+1) || len(b.Samples) != 100 || b.Samples[0].TimeNS/1000 != t0/1000 {
				t.Errorf("%s: seq %d, %d samples, first at %d (want seq %d, t0 %d)", dev, b.Seq, len(b.Samples), b.Samples[0].TimeNS, tick+1, t0)
			}
			seen++
			return nil
		})
		if errs != 0 || seen != 6 {
			t.Fatalf("tick %d: %d batches, %d errors", tick, seen, errs)
		}
	}
	if _, err := NewLoadGen(LoadConfig{Devices: 0}); err == nil {
		t.Error("0 devices accepted")
	}
}

func TestRunLoadThroughBroker(t *testing.T) {
	broker := startMochi(t)
	prefix := fmt.Sprintf("l%d-", time.Now().UnixNano()%1_000_000_000)
	col := collect(t, broker, prefix)
	stats, err := RunLoad(context.Background(), LoadConfig{Broker: broker, Devices: 20, Conns: 2, Duration: 2500 * time.Millisecond, DevicePrefix: prefix}, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	s := stats.Snapshot()
	got := 0
	for i := 1; i <= 20; i++ {
		got += len(col.get(wire.Topic(fmt.Sprintf("%s%05d", prefix, i), wire.KindIMU)))
	}
	// 2.5 s of one batch per device per second: 2 or 3 ticks of 20.
	if s.Errors != 0 || s.Messages < 40 || int64(got) < s.Messages || s.Samples != 100*s.Messages {
		t.Errorf("stats %+v, subscriber got %d", s, got)
	}
}

// BenchmarkDaySource measures generating a patient's day from the models
// (all activities, sensor model included), the cost of a fleet device:
// samples/s divided by the rate is how many real-time devices one core
// can generate.
func BenchmarkDaySource(b *testing.B) {
	src := &DaySource{Model: PatientModel{Patient: balance.Patient{HeightM: 1.7}, Baseline: 0.3, Adherence: 0.8, Seed: 1},
		Sensor: TypicalSensor(), RateHz: 100}
	var buf []balance.Sample
	for i := 0; i < b.N; i++ {
		buf, _ = src.Next(buf[:0], 100)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "samples/s")
}
