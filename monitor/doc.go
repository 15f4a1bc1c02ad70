// Package monitor watches each patient continuously: it runs fall detection
// on every stored batch, gait analysis on free-living walking, and the
// clinical tests and exercise sessions that the device's start and stop
// events delimit; it stores the results as measurements with quality flags,
// assesses fall risk (a pure function of the latest results, Assess), and
// raises alerts through a balance.AlertSink.
//
// Work arrives from ingest hooks (OnBatch, OnEvent), which never block: they
// hand it to bounded per-patient queues served by the monitor's own
// goroutines. Progress (the device time of the last analysed sample) is
// persisted, so a restart resumes from the stored samples without counting
// anything twice; measurement writes, sessions and alert IDs are
// deterministic for the same data, so re-analysis is idempotent.
package monitor
