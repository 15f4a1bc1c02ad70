// Package ingest takes wearable messages from MQTT into storage without
// losing or duplicating data.
//
// The path of a message (Telegraf's mqtt_consumer is the model):
//
//	paho handler ─ decode + validate ─▶ bounded queue ─▶ one writer ─▶ SampleWriter
//	                     │                    │ full            │ store down
//	                     ▼                    ▼                 ▼
//	        reject (counted, logged)     disk spool ◀───────────┘ ─▶ replayer ─▶ SampleWriter
//
// The MQTT handler never blocks the client's network loop: it decodes,
// validates and hands the batch to a bounded queue. One writer drains the
// queue into batched store writes. A message is acknowledged (QoS 1, manual
// acks, persistent session) only once its samples are durable: written to the
// store, or appended and fsynced to the local spool. While the store is
// unreachable every batch goes to the spool, and a replayer writes the spool
// back in order once the store answers again. Redelivered or resent batches
// never duplicate points, because the stores are idempotent on (device,
// device time).
//
// When the spool's disk budget is exhausted the pipeline stops acknowledging
// (the broker keeps the messages) and raises an alarm metric.
package ingest
