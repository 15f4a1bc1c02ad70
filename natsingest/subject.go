package natsingest

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/balance-pt/balance/wire"
)

// MQTTStream is the stream nats-server stores MQTT QoS 1 and 2 messages in
// (nats-server server/mqtt.go, mqttStreamName).
const MQTTStream = "$MQTT_msgs"

// Mapping returns the account subject mapping that the nats-server
// configuration must hold for partitions partitions, as source and
// destination: balance.v1.*.* → balance.p.{{partition(N,1)}}.{{wildcard(1)}}.{{wildcard(2)}}.
// The server applies it to MQTT publishes before storing them, so the
// message stream holds $MQTT.msgs.balance.p.{partition}.{device}.{kind}.
// partition(N, 1) hashes the device token (FNV-1a 32, modulo N; nats-server
// server/subject_transform.go), the same for every node.
//
// In a nats-server configuration file:
//
//	mappings { "balance.v1.*.*": "balance.p.{{partition(16,1)}}.{{wildcard(1)}}.{{wildcard(2)}}" }
func Mapping(partitions int) (source, destination string) {
	return "balance.v1.*.*", fmt.Sprintf("balance.p.{{partition(%d,1)}}.{{wildcard(1)}}.{{wildcard(2)}}", partitions)
}

// partitionFilter is the consumer filter of partition p.
func partitionFilter(subject string, p int) string {
	return subject + "." + strconv.Itoa(p) + ".>"
}

// Topic returns the MQTT topic a device published the message on, from the
// message's subject {subjectRoot}.{partition}.{device}.{kind}: device and
// kind go back from NATS to MQTT form (nats-server writes an MQTT '.' as
// "//" in a subject token). ok is false when subject is not of that form.
func Topic(subjectRoot, subject string) (topic string, partition int, ok bool) {
	rest, found := strings.CutPrefix(subject, subjectRoot+".")
	if !found {
		return "", 0, false
	}
	ps, rest, found := strings.Cut(rest, ".")
	if !found {
		return "", 0, false
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 {
		return "", 0, false
	}
	dev, kind, found := strings.Cut(rest, ".")
	if !found || dev == "" || kind == "" || strings.Contains(kind, ".") {
		return "", 0, false
	}
	dev = strings.ReplaceAll(dev, "//", ".")
	kind = strings.ReplaceAll(kind, "//", ".")
	return wire.TopicRoot + "/" + dev + "/" + kind, p, true
}

// PartitionOf returns the partition the server's mapping puts deviceID in:
// FNV-1a 32 of the device's subject token (an MQTT '.' written "//") modulo
// partitions, as nats-server's partition() mapping function computes it.
func PartitionOf(deviceID string, partitions int) int {
	h := fnv.New32a()
	h.Write([]byte(strings.ReplaceAll(deviceID, ".", "//")))
	return int(h.Sum32() % uint32(partitions))
}
