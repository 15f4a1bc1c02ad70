package monitor_test

import (
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

// TestFallAlertIDAtStorageResolution: a fall found in the stream (sample
// times in ns, as a device's rate gives them) and the same fall found again
// in samples read back from storage (kept at 1 µs, rounded to nearest) get
// one alert id. At 52 Hz the sample period is 19,230,769.23 ns, so sample
// times have sub-µs parts; before the fix the two ids differed and a fall
// raised two alerts after a restart (issue 15).
func TestFallAlertIDAtStorageResolution(t *testing.T) {
	start := time.Now().Truncate(time.Second).UnixNano()
	for _, rate := range []float64{52, 100, 104, 208, 12.5} {
		for k := int64(1); k < 2000; k += 37 {
			streamNS := start + int64(float64(k)*1e9/rate+0.5) // as the device's rate places it
			storedNS := balance.StorageMicros(streamNS) * 1000 // as the store gives it back
			a := monitor.FallAlert("p1", "d1", monitor.FallInfo{ImpactNS: streamNS})
			b := monitor.FallAlert("p1", "d1", monitor.FallInfo{ImpactNS: storedNS})
			if a.ID != b.ID {
				t.Fatalf("%v Hz sample %d: id %s from the stream (%d ns), %s from storage (%d ns)", rate, k, a.ID, streamNS, b.ID, storedNS)
			}
			n1 := monitor.NoMovementAlert("p1", "d1", monitor.FallInfo{ImpactNS: streamNS})
			n2 := monitor.NoMovementAlert("p1", "d1", monitor.FallInfo{ImpactNS: storedNS})
			if n1.ID != n2.ID || n1.Details["fall_alert_id"] != a.ID {
				t.Fatalf("%v Hz sample %d: no-movement ids %s / %s, fall id %s", rate, k, n1.ID, n2.ID, n1.Details["fall_alert_id"])
			}
		}
	}
	// A different microsecond is a different fall.
	if monitor.FallAlert("p1", "d1", monitor.FallInfo{ImpactNS: start}).ID == monitor.FallAlert("p1", "d1", monitor.FallInfo{ImpactNS: start + 1000}).ID {
		t.Error("impacts 1 µs apart share an id")
	}
}

// TestStorageMicros: rounding to the nearest microsecond, halves away from
// zero, as InfluxDB's writer and the embedded store key samples.
func TestStorageMicros(t *testing.T) {
	for _, tc := range []struct{ ns, want int64 }{
		{0, 0}, {499, 0}, {500, 1}, {1499, 1}, {1500, 2}, {-499, 0}, {-500, -1}, {1_700_000_000_123_456_789, 1_700_000_000_123_457},
	} {
		if got := balance.StorageMicros(tc.ns); got != tc.want {
			t.Errorf("StorageMicros(%d) = %d, want %d", tc.ns, got, tc.want)
		}
	}
}
