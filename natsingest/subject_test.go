package natsingest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTopic(t *testing.T) {
	const root = "$MQTT.msgs.balance.p"
	tests := []struct {
		subject string
		topic   string
		p       int
		ok      bool
	}{
		{"$MQTT.msgs.balance.p.3.dev-01.imu", "balance/v1/dev-01/imu", 3, true},
		// nats-server writes an MQTT '.' as "//" (docs: MQTT topic conversion).
		{"$MQTT.msgs.balance.p.0.dev//07.status", "balance/v1/dev.07/status", 0, true},
		{"$MQTT.msgs.balance.p.12.a.event", "balance/v1/a/event", 12, true},
		{"$MQTT.msgs.balance.v1.dev.imu", "", 0, false},
		{"$MQTT.msgs.balance.p.x.dev.imu", "", 0, false},
		{"$MQTT.msgs.balance.p.1.dev", "", 0, false},
		{"$MQTT.msgs.balance.p.1.dev.imu.extra", "", 0, false},
		{"other.p.1.dev.imu", "", 0, false},
	}
	for _, tt := range tests {
		topic, p, ok := Topic(root, tt.subject)
		if diff := cmp.Diff([]any{tt.topic, tt.p, tt.ok}, []any{topic, p, ok}); diff != "" {
			t.Errorf("Topic(%q) (-want +got):\n%s", tt.subject, diff)
		}
	}
}

// fnv1a32 is FNV-1a 32 written out from its definition (Fowler, Noll & Vo;
// IETF draft-eastlake-fnv): offset basis 2166136261, prime 16777619.
func fnv1a32(s string) uint32 {
	h := uint32(2166136261)
	for _, b := range []byte(s) {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}

func TestPartitionOf(t *testing.T) {
	// nats-server's partition(N, w) is FNV-1a 32 of the token modulo N
	// (server/subject_transform.go, getHashPartition); an MQTT '.' is "//"
	// in the token. TestClusterFailover checks the same end to end: every
	// message reaches the consumer of the partition the server mapped it to.
	for _, n := range []int{1, 8, 16, 1024} {
		for _, d := range []string{"dev-00", "dev.07", "x", "a.b.c"} {
			want := int(fnv1a32(strings.ReplaceAll(d, ".", "//")) % uint32(n))
			if got := PartitionOf(d, n); got != want {
				t.Errorf("PartitionOf(%q, %d) = %d, want %d", d, n, got, want)
			}
		}
	}
}

func TestMapping(t *testing.T) {
	src, dst := Mapping(16)
	got := []string{src, dst}
	want := []string{"balance.v1.*.*", "balance.p.{{partition(16,1)}}.{{wildcard(1)}}.{{wildcard(2)}}"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Mapping(16) (-want +got):\n%s", diff)
	}
}

func TestConfig(t *testing.T) {
	c := Config{Servers: []string{"nats://127.0.0.1:4222"}, Instance: "a"}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if c.Stream != MQTTStream || c.Partitions != 16 || c.Replicas != 1 || c.ConsumerPrefix != "balance" {
		t.Errorf("defaults: %+v", c)
	}
	bad := []Config{
		{},
		{Servers: []string{"127.0.0.1:4222"}},
		{Servers: []string{"nats://a"}, ConsumerPrefix: "a.b"},
		{Servers: []string{"nats://a"}, Replicas: 7},
		{Servers: []string{"nats://a"}, Username: "u", CredsFile: "f"},
	}
	for _, b := range bad {
		if err := b.WithDefaults().Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", b)
		}
	}
}
