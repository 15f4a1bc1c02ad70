package natsingest

import (
	"slices"
	"testing"
	"time"

	"github.com/balance-pt/balance/ingest"
)

// ingest's Pipeline.Handle is a Handler as it is.
var _ Handler = (*ingest.Pipeline)(nil).Handle

// TestLeaseShares checks the lease rounds on one nats-server: a lone
// instance takes every partition; a second one gets half of them; when the
// first stops cleanly, its leases are released (not left to expire), so the
// second has them all within two renewal rounds.
func TestLeaseShares(t *testing.T) {
	const partitions = 4
	const ttl = 1500 * time.Millisecond
	cl := startNATSCluster(t, 1, partitions)
	urls := cl.ClientURLs()
	waitJetStream(t, urls)
	s := newSink()
	cfg := Config{Servers: urls, Partitions: partitions, LeaseTTL: ttl}
	wait := func(what string, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > 4*ttl {
				t.Fatalf("%s: not within %v", what, 4*ttl)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return time.Since(start)
	}
	a := startInstance(t, "a", cfg, s)
	wait("lone instance takes all", func() bool { return len(a.c.Owned()) == partitions })
	b := startInstance(t, "b", cfg, s)
	wait("shared 2/2", func() bool {
		return len(a.c.Owned()) == partitions/2 && len(b.c.Owned()) == partitions/2 &&
			slices.Equal(union(a, b), seq(partitions))
	})
	a.stop()
	d := wait("a's partitions released to b", func() bool { return len(b.c.Owned()) == partitions })
	// Released leases are free at once; b sees a gone when a's presence
	// key is deleted, and takes the rest at its next round (ttl/3).
	if limit := 2 * ttl / 3; d > limit+100*time.Millisecond {
		t.Errorf("handover after a clean stop took %v, want at most two rounds (%v)", d, limit)
	}
	t.Logf("clean handover: %v (lease TTL %v)", d.Round(time.Millisecond), ttl)
	if st := a.c.Stats(); st.Released == 0 {
		t.Errorf("a released no lease to balance: %+v", st)
	}
}
