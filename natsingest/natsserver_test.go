package natsingest

import (
	"testing"

	"github.com/balance-pt/balance/internal/natstest"
)

// startNATSCluster starts size nats-server processes (internal/natstest:
// JetStream, MQTT and this package's mapping for partitions on each; size
// 1: a single server). It fails the test, never skips, when nats-server
// 2.14+ is missing.
func startNATSCluster(t testing.TB, size, partitions int) *natstest.Cluster {
	t.Helper()
	src, dst := Mapping(partitions)
	return natstest.StartCluster(t, size, src, dst)
}

// waitJetStream waits until the cluster's JetStream answers.
func waitJetStream(t *testing.T, urls []string) {
	t.Helper()
	natstest.WaitJetStream(t, urls)
}
