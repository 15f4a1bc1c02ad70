package ingest

import (
	"context"
	"math"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
	"github.com/balance-pt/balance/wire"
)

type discardStore struct{ n atomic.Int64 }

func (d *discardStore) WriteBatches(_ context.Context, bs []*balance.Batch) error {
	for _, b := range bs {
		d.n.Add(int64(len(b.Samples)))
	}
	return nil
}

// BenchmarkPipeline measures the pipeline's own cost per sample (topic
// parsing, device lookup, decoding, queueing, batching, acking) with a store
// that discards: the CPU ingest adds on top of MQTT and storage. One op is
// one message of 100 samples.
func BenchmarkPipeline(b *testing.B) {
	for _, enc := range []string{"binary", "json", "lp"} {
		b.Run(enc, func(b *testing.B) {
			dir := b.TempDir()
			ctx := context.Background()
			state, err := sqlite.OpenState(ctx, filepath.Join(dir, "state.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer state.Close()
			sp, _ := spool.Open(filepath.Join(dir, "spool"), spool.Options{})
			defer sp.Close()
			state.CreatePatient(ctx, balance.Patient{ID: "p"})
			state.RegisterDevice(ctx, balance.Device{ID: "bench", PatientID: "p"})
			store := &discardStore{}
			now := time.Now()
			p, _ := New(Config{}, Deps{Store: store, Registry: state, Quarantine: state, Spool: sp, Now: func() time.Time { return now }})
			p.Start()
			defer p.Stop()
			// 64 distinct payloads, cycled; the store does not care about repeats.
			var payloads [][]byte
			for k := 0; k < 64; k++ {
				bt := &balance.Batch{DeviceID: "bench", RateHz: 100}
				for j := 0; j < 100; j++ {
					ph := float64(k*100+j) * 0.0628
					bt.Samples = append(bt.Samples, balance.Sample{TimeNS: now.Add(-time.Hour).UnixNano() + int64(k*100+j)*1e7,
						Acc: [3]float64{0.5 * math.Sin(ph), 0.3, 9.81 + math.Cos(ph)}, Gyro: [3]float64{0.1, -0.05 * math.Sin(ph), 0.02}})
				}
				switch enc {
				case "binary":
					payloads = append(payloads, wire.AppendBinary(nil, bt, 9.80665/2048, math.Pi/180/16.4))
				case "json":
					payloads = append(payloads, wire.AppendJSON(nil, bt, wire.JSONOptions{}))
				case "lp":
					payloads = append(payloads, wire.AppendLineProtocol(nil, bt))
				}
			}
			topic := wire.Topic("bench", wire.KindIMU)
			var acked atomic.Int64
			ack := func() { acked.Add(1) }
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p.Handle(topic, payloads[i%len(payloads)], ack)
			}
			for acked.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/sample")
		})
	}
}
