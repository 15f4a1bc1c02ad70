package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/storetest"
	"github.com/balance-pt/balance/sqlite"
)

func TestSampleStoreContract(t *testing.T) {
	s, err := sqlite.OpenSamples(context.Background(), filepath.Join(t.TempDir(), "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	storetest.Run(t, func(*testing.T) balance.SampleStore { return s })
}

func BenchmarkSampleStoreWrite(b *testing.B) {
	s, err := sqlite.OpenSamples(context.Background(), filepath.Join(b.TempDir(), "samples.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		batch := storetest.MakeBatch("bench", "p", storetest.T0.Add(time.Duration(i)*time.Minute), 5000, 100, uint64(i))
		i++
		if err := s.WriteBatches(context.Background(), []*balance.Batch{batch}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*5000), "ns/sample")
}
