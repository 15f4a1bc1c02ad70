// Package natsingest consumes device messages from a NATS JetStream cluster,
// split into partitions that several balance instances share, each partition
// read by one instance at a time so that every device's messages reach the
// handler in the order the device sent them.
//
// Devices keep speaking MQTT 3.1.1: nats-server's MQTT listener turns topic
// balance/v1/{device}/{kind} into subject balance.v1.{device}.{kind}; an
// account subject mapping (see [Mapping]) rewrites it to
// balance.p.{partition}.{device}.{kind}, where partition is the server's
// hash of the device id modulo the number of partitions (mapping function
// partition(N, wildcard), nats-server 2.10+). A QoS 1 PUBLISH is
// acknowledged to the device only once the server has stored it in the
// $MQTT_msgs stream (replicated; limits retention if [Setup] created it),
// under $MQTT.msgs.balance.p.{partition}.{device}.{kind}.
//
// This package reads that stream with one durable pull consumer per
// partition ({prefix}-p{n}). Who reads which partition is decided by leases
// in a JetStream key-value bucket (Create fails while a live lease exists;
// the owner renews with a revision check; a lease expires with the bucket's
// TTL when its owner dies), so no clustering code of our own is involved.
// When an instance takes a partition over it resets the partition's
// consumer to just after its ack floor (JetStream consumer reset,
// nats-server 2.14+): the messages the old owner held without acknowledging
// come again, first and in order. The handler must therefore be idempotent;
// balance's store is (samples are keyed by device and time, see package
// influx).
//
// See docs/scale-out.md ("Messages") for what this gives and loses compared
// with MQTT shared subscriptions.
package natsingest
