package monitor_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/sqlite"
)

// BenchmarkStream measures the monitor's own work per sample on the "demo"
// scenario (sway test, walks, clinical tests, look-alikes and falls, about
// 8 minutes at 100 Hz) with the embedded store: fall detection, block
// statistics, the gait analysis of activity spans and the session analyses
// read back from the store. The samples are stored once, outside the timer
// (storing them is ingest's cost).
func BenchmarkStream(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	store, err := sqlite.OpenSamples(ctx, filepath.Join(dir, "samples.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	s, err := sim.NamedScenario("demo", sim.DefaultBody(), 100, 7)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ss := s.Samples(sim.TypicalSensor(), base.UnixNano())
	var batches []*balance.Batch
	for i := 0; i < len(ss); i += 100 {
		batches = append(batches, &balance.Batch{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss[i:min(i+100, len(ss))]})
	}
	if err := store.WriteBatches(ctx, batches); err != nil {
		b.Fatal(err)
	}
	var evs []balance.DeviceEvent
	for i, seg := range s.Segments() {
		if seg.Session != "" {
			id := "s" + time.Duration(i).String()
			evs = append(evs,
				balance.DeviceEvent{DeviceID: testDevice, PatientID: testPatient, Action: "start", Kind: seg.Session, SessionID: id, Time: base.Add(time.Duration(seg.StartS * 1e9))},
				balance.DeviceEvent{DeviceID: testDevice, PatientID: testPatient, Action: "stop", Kind: seg.Session, SessionID: id, Time: base.Add(time.Duration((seg.EndS - 0.01) * 1e9))})
		}
	}
	sortEvents(evs)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		state, err := sqlite.OpenState(ctx, filepath.Join(dir, "state"+time.Duration(i).String()+".db"))
		if err != nil {
			b.Fatal(err)
		}
		state.CreatePatient(ctx, balance.Patient{ID: testPatient, HeightM: 1.7})
		state.RegisterDevice(ctx, balance.Device{ID: testDevice, PatientID: testPatient})
		cfg := monitor.DefaultConfig()
		cfg.QueueLen = len(batches) + len(evs)
		mon, err := monitor.New(cfg, monitor.Deps{Store: store, State: state, Sink: newSink()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		mon.Start(ctx)
		ei := 0
		for _, bt := range batches {
			for ei < len(evs) && evs[ei].Time.UnixNano() <= bt.Samples[len(bt.Samples)-1].TimeNS {
				mon.OnEvent(evs[ei])
				ei++
			}
			mon.OnBatch(bt)
		}
		for mon.Stats().Batches.Load() < int64(len(batches)) || mon.Stats().SlowPending.Load() > 0 {
			time.Sleep(time.Millisecond)
		}
		mon.Close()
		b.StopTimer()
		st := mon.Stats()
		if st.Dropped.Load() != 0 || st.Falls.Load() != 5 || st.Sessions.Load() == 0 || st.GaitWindows.Load() == 0 {
			b.Fatalf("dropped %d, falls %d (want 5), sessions %d, gait windows %d", st.Dropped.Load(), st.Falls.Load(), st.Sessions.Load(), st.GaitWindows.Load())
		}
		if i == 0 {
			b.Logf("falls %d, sessions %d, gait windows %d, analysis errors %d", st.Falls.Load(), st.Sessions.Load(), st.GaitWindows.Load(), st.AnalysisErrors.Load())
		}
		state.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(ss))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(len(ss))/100, "scenario-s")
}
