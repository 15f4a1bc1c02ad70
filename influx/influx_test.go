package influx_test

import (
	"os"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/internal/storetest"
	"github.com/balance-pt/balance/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopShared()
	os.Exit(code)
}

func newStore(t testing.TB) *influx.Store {
	in := testenv.SharedInflux(t)
	s, err := influx.New(influx.Config{URL: in.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStoreContract runs the storage contract suite against a real InfluxDB
// 1.8, with every fixture checked against the raw bucket's retention. (The
// run with the clock a year ahead is in package sqlite: influxd keeps its own
// clock, and LatestSample looks back 30 days from it.)
func TestStoreContract(t *testing.T) {
	s := newStore(t)
	storetest.Run(t, func(*testing.T) balance.SampleStore { return s }, storetest.Options{Retention: testenv.RawRetention})
}
