package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/storetest"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/sqlite"
)

func TestSampleStoreContract(t *testing.T) {
	s, err := sqlite.OpenSamples(context.Background(), filepath.Join(t.TempDir(), "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	storetest.Run(t, func(*testing.T) balance.SampleStore { return s }, storetest.Options{})
}

// TestSampleStoreContractClockAYearAhead runs the contract suite with the
// clock of its fixtures moved one year ahead, every fixture checked against
// the 30-day raw retention of the test InfluxDB at that clock. A fixture at a
// fixed date (the cause of the failures from 2026-12-01, when the suite's
// fixed 2026-11-01 base fell out of that retention) fails here the day it is
// written, not a month later. It runs on the embedded store because that one
// has no clock of its own; influxd's is the real one.
func TestSampleStoreContractClockAYearAhead(t *testing.T) {
	s, err := sqlite.OpenSamples(context.Background(), filepath.Join(t.TempDir(), "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ahead := func() time.Time { return time.Now().AddDate(1, 0, 0) }
	storetest.Run(t, func(*testing.T) balance.SampleStore { return s }, storetest.Options{Now: ahead, Retention: testenv.RawRetention})
}

func BenchmarkSampleStoreWrite(b *testing.B) {
	s, err := sqlite.OpenSamples(context.Background(), filepath.Join(b.TempDir(), "samples.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i, t0 := 0, storetest.Base(time.Now())
	for b.Loop() {
		batch := storetest.MakeBatch("bench", "p", t0.Add(time.Duration(i)*time.Minute), 5000, 100, uint64(i))
		i++
		if err := s.WriteBatches(context.Background(), []*balance.Batch{batch}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*5000), "ns/sample")
}
