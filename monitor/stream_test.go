package monitor_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/floats/scalar"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/sim"
)

func countFallsInTruth(segs []sim.Segment) int {
	n := 0
	for _, s := range segs {
		if s.Fall {
			n++
		}
	}
	return n
}

func (h *harness) measurements(name string) []balance.Measurement {
	h.t.Helper()
	ms, err := h.store.ReadMeasurements(context.Background(), balance.MeasurementQuery{Name: name, PatientID: h.patient,
		From: time.Unix(0, 0), To: time.Now().Add(time.Hour)})
	if err != nil {
		h.t.Fatal(err)
	}
	return ms
}

// TestFallsRaiseOneAlertEach: the "falls" scenario (five falls, each
// followed by 20 s lying still and getting up) gives exactly one urgent
// fall alert per fall, at the true impact, with evidence links; getting up
// within no_movement_after (60 s) escalates none.
func TestFallsRaiseOneAlertEach(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ss, evs, segs := scenario(t, named("falls"), base)
	h.feed(ss, 100, evs)
	h.waitIdle()
	want := countFallsInTruth(segs)
	got := h.sink.kind(balance.AlertFall)
	if len(got) != want {
		t.Fatalf("%d fall alerts, want %d (one per simulated fall)", len(got), want)
	}
	k := 0
	for _, seg := range segs {
		if !seg.Fall {
			continue
		}
		a := got[k]
		k++
		impact := base.Add(time.Duration(seg.ImpactS * float64(time.Second)))
		if d := a.OccurredAt.Sub(impact); d < -300*time.Millisecond || d > 300*time.Millisecond {
			t.Errorf("fall alert at %v, true impact %v (off by %v)", a.OccurredAt, impact, d)
		}
		if a.Severity != balance.SeverityUrgent || a.PatientID != testPatient || a.DeviceID != testDevice || a.Summary == "" || len(a.Evidence) == 0 {
			t.Errorf("fall alert incomplete: %+v", a)
		}
		if !strings.Contains(a.Evidence[0].URL, "/api/v1/patients/p1/samples?from=") {
			t.Errorf("evidence %q does not link to the samples", a.Evidence[0].URL)
		}
	}
	if n := len(h.sink.kind(balance.AlertNoMovement)); n != 0 {
		t.Errorf("%d no-movement escalations, want 0 (everyone got up after 20 s)", n)
	}
	if n := len(h.measurements(monitor.MeasFall)); n != want {
		t.Errorf("%d fall measurements, want %d", n, want)
	}
}

// TestLookAlikesRaiseNoAlert: hard sitting, a stumble, a jump, jogging and
// lying down to roll in bed are not falls.
func TestLookAlikesRaiseNoAlert(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	ss, evs, _ := scenario(t, named("adl"), time.Now().Add(-time.Hour).Truncate(time.Second))
	h.feed(ss, 100, evs)
	h.waitIdle()
	if a := h.sink.kind(balance.AlertFall); len(a) != 0 {
		t.Fatalf("%d fall alerts for look-alikes, want 0: %+v", len(a), a[0])
	}
}

// TestNoMovementEscalates: a fall after which the patient lies still for
// 70 s escalates once at no_movement_after = 30 s.
func TestNoMovementEscalates(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.Clinic.NoMovementAfter = 30 * time.Second
	h := newHarness(t, cfg)
	h.start()
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ss, evs, segs := scenario(t, func(s *sim.Scenario) {
		s.Idle(5)
		s.Walk(sim.NormalWalk(sim.DefaultBody(), 8))
		s.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 70})
	}, base)
	h.feed(ss, 100, evs)
	h.waitIdle()
	falls, esc := h.sink.kind(balance.AlertFall), h.sink.kind(balance.AlertNoMovement)
	if len(falls) != 1 || len(esc) != 1 {
		t.Fatalf("%d fall alerts and %d escalations, want 1 and 1", len(falls), len(esc))
	}
	impact := base.Add(time.Duration(segs[len(segs)-1].ImpactS * float64(time.Second)))
	if d := esc[0].OccurredAt.Sub(impact.Add(30 * time.Second)); d < -time.Second || d > time.Second {
		t.Errorf("escalation at %v, want impact + 30 s = %v", esc[0].OccurredAt, impact.Add(30*time.Second))
	}
	if esc[0].Severity != balance.SeverityUrgent || esc[0].Details["fall_alert_id"] != falls[0].ID {
		t.Errorf("escalation %+v does not point at fall alert %s", esc[0], falls[0].ID)
	}
	if falls[0].Status == balance.AlertResolved || esc[0].Status == balance.AlertResolved {
		t.Fatal("alerts resolved while the patient still lies still")
	}
	// Then the patient is helped up: both alerts resolve, saying so.
	more, _, _ := scenario(t, func(s *sim.Scenario) {
		s.Walk(sim.NormalWalk(sim.DefaultBody(), 8))
	}, time.Unix(0, ss[len(ss)-1].TimeNS).Add(10*time.Millisecond))
	h.feed(more, 100, nil)
	h.waitIdle()
	for _, a := range []balance.Alert{h.sink.kind(balance.AlertFall)[0], h.sink.kind(balance.AlertNoMovement)[0]} {
		if a.Status != balance.AlertResolved || !strings.Contains(a.ResolvedReason, "moved again") {
			t.Errorf("%s alert after the patient got up: %s %q, want resolved (moved again)", a.Kind, a.Status, a.ResolvedReason)
		}
	}
}

// TestSwaySessionStored: a sway test's start and stop give a stored
// session and a sway measurement equal to analysis.Sway on the session's
// samples.
func TestSwaySessionStored(t *testing.T) {
	testSwaySession(t, newHarness(t, monitor.DefaultConfig()))
}

// TestSwaySessionInflux is the same on a real InfluxDB 1.8.
func TestSwaySessionInflux(t *testing.T) {
	in := testenv.SharedInflux(t)
	s, err := influx.New(influx.Config{URL: in.URL, RawBucket: testenv.RawBucket, DerivedBucket: testenv.DerivedBucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	suffix := fmt.Sprint(time.Now().UnixNano())
	testSwaySession(t, newHarnessStore(t, monitor.DefaultConfig(), s, "p-"+suffix, "d-"+suffix))
}

func testSwaySession(t *testing.T, h *harness) {
	h.start()
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	h.feed(ss, 100, evs)
	h.waitIdle()
	sessions, err := h.state.ExerciseSessions(context.Background(), h.patient, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || sessions[0].Kind != balance.SessionSway {
		t.Fatalf("sessions %+v, want one sway test", sessions)
	}
	ms := h.measurements(monitor.MeasSway)
	if len(ms) != 1 {
		t.Fatalf("%d sway measurements, want 1", len(ms))
	}
	// Independent computation: analysis.Sway on the samples in [start, stop].
	want := swayBetween(t, ss, evs[0].Time, evs[1].Time)
	if got := ms[0].Fields["rms"]; !scalar.EqualWithinAbsOrRel(got, want.RMS, 1e-12, 1e-12) || got <= 0 {
		t.Errorf("stored sway rms %v, analysis.Sway gives %v", got, want.RMS)
	}
	if sessions[0].Sway["rms"] != want.RMS || sessions[0].HoldS != want.Seconds {
		t.Errorf("session sway %v / %v s, want %v / %v s", sessions[0].Sway["rms"], sessions[0].HoldS, want.RMS, want.Seconds)
	}
}

// TestRestartDoesNotDoubleCount: after a restart, the stream replayed from
// the beginning (MQTT redelivery, spool replay) raises nothing again and
// stores no second session or fall.
func TestRestartDoesNotDoubleCount(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	ss, evs, segs := scenario(t, func(s *sim.Scenario) {
		named("sway")(s)
		for _, k := range []sim.FallKind{sim.FallForward, sim.FallLeft} {
			s.Walk(sim.NormalWalk(sim.DefaultBody(), 8))
			s.Fall(sim.FallSpec{Kind: k, LieS: 20, GetUp: true})
			s.Idle(5)
		}
	}, time.Now().Add(-time.Hour).Truncate(time.Second))
	half := len(ss) / 2
	h.feed(ss[:half], 100, evs)
	h.waitIdle()
	if err := h.mon.Close(); err != nil {
		t.Fatal(err)
	}
	callsBefore := h.sink.kindCalls(balance.AlertFall)
	fallsBefore := len(h.sink.kind(balance.AlertFall))
	if callsBefore != fallsBefore || fallsBefore == 0 {
		t.Fatalf("before the restart: %d fall alerts in %d Raise calls; want at least one, each raised once", fallsBefore, callsBefore)
	}

	h.open()
	h.start()
	h.feed(ss, 100, evs)
	h.waitIdle()
	want := countFallsInTruth(segs)
	if n := len(h.sink.kind(balance.AlertFall)); n != want {
		t.Errorf("%d fall alerts after restart, want %d", n, want)
	}
	// Each fall raised exactly once over both runs: the replayed first half
	// is below the watermark and not analysed again.
	if n := h.sink.kindCalls(balance.AlertFall); n != want {
		t.Errorf("%d Raise calls for falls over both runs, want %d", n, want)
	}
	if n := len(h.measurements(monitor.MeasFall)); n != want {
		t.Errorf("%d fall measurements, want %d", n, want)
	}
	sessions, _ := h.state.ExerciseSessions(context.Background(), testPatient, time.Time{})
	if len(sessions) != 1 {
		t.Errorf("%d sessions, want 1", len(sessions))
	}
	if n := h.mon.Stats().Sessions.Load(); n != 0 {
		t.Errorf("%d sessions analysed again after the restart, want 0", n)
	}
}

// TestDroppedBatchesReadBack: with a queue of one batch filled before the
// workers start, nearly every batch is dropped; the next batch makes the
// worker read the missed samples back from the store, so no fall is lost.
func TestDroppedBatchesReadBack(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.QueueLen, cfg.Workers = 1, 1
	h := newHarness(t, cfg)
	ss, evs, segs := scenario(t, func(s *sim.Scenario) {
		named("falls")(s)
		s.Stand(30, sim.StanceCondition{Stance: sim.FeetTogether}, sim.SwayOptions{Session: balance.SessionSway, LossAtS: -1})
		s.Idle(5)
	}, time.Now().Add(-time.Hour).Truncate(time.Second))
	// A first batch alone gives the device a watermark.
	h.feed(ss[:100], 100, nil)
	h.start()
	h.waitIdle()
	h.mon.Close()
	h.open()
	h.mon.BatchWait = time.Millisecond // drop at once: nothing would make room
	h.feed(ss[100:len(ss)-100], 100, evs)
	dropped := h.mon.Stats().Dropped.Load()
	h.start()
	for h.mon.Stats().Batches.Load() == 0 { // the one queued batch first
		time.Sleep(time.Millisecond)
	}
	h.feed(ss[len(ss)-100:], 100, nil)
	h.waitIdle()
	if dropped == 0 {
		t.Fatal("nothing was dropped; the test does not test the read-back")
	}
	if n, want := len(h.sink.kind(balance.AlertFall)), countFallsInTruth(segs); n != want {
		t.Errorf("%d fall alerts with %d batches dropped, want %d; stats batches %d dropped %d samples %d", n, dropped, want, h.mon.Stats().Batches.Load(), h.mon.Stats().Dropped.Load(), h.mon.Stats().Samples.Load())
	}
	if h.mon.Stats().CatchUpSamples.Load() == 0 || h.mon.Stats().ReadBack() == 0 {
		t.Errorf("no samples were read back (catch-up %d, read back %d)", h.mon.Stats().CatchUpSamples.Load(), h.mon.Stats().ReadBack())
	}
	// The sway test's dropped start and stop events are read back too.
	if ss, _ := h.state.ExerciseSessions(context.Background(), testPatient, time.Time{}); len(ss) != 1 || ss[0].Sway["rms"] <= 0 {
		t.Errorf("sessions %+v, want the sway test analysed", ss)
	}
}

// TestFullQueueWaitsForRoom: with a queue of one batch filled before the
// workers start, OnBatch waits for room instead of dropping (ingest's
// writer, which calls it, slows down); once the worker runs, every batch
// is analysed as it came and nothing is read back.
func TestFullQueueWaitsForRoom(t *testing.T) {
	cfg := monitor.DefaultConfig()
	cfg.QueueLen, cfg.Workers = 1, 1
	h := newHarness(t, cfg)
	ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
	h.mon.BatchWait = time.Minute
	fed := make(chan struct{})
	go func() { h.feed(ss, 100, nil); close(fed) }()
	for h.mon.Stats().Waits.Load() == 0 { // the second batch finds the queue full
		time.Sleep(time.Millisecond)
	}
	select {
	case <-fed:
		t.Fatal("every batch was taken with a one-batch queue and no worker")
	default:
	}
	h.start()
	<-fed
	h.waitIdle()
	st := h.mon.Stats()
	if st.Dropped.Load() != 0 || st.ReadBack() != 0 {
		t.Errorf("dropped %d batches and read back %d samples; OnBatch should have waited", st.Dropped.Load(), st.ReadBack())
	}
	if st.Batches.Load() != h.fed {
		t.Errorf("analysed %d batches as they came, want %d", st.Batches.Load(), h.fed)
	}
	if n, want := len(h.sink.kind(balance.AlertFall)), countFallsInTruth(segs); n != want {
		t.Errorf("%d fall alerts, want %d (the scenario's falls)", n, want)
	}
}

// TestSessionWhileDown: a sway test whose samples and events were stored
// while monitoring was not running is analysed once it runs and the
// device's next batch arrives.
func TestSessionWhileDown(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	ctx := context.Background()
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	last := len(ss) - 100
	for _, e := range evs {
		e.DeviceID, e.PatientID = testDevice, testPatient
		if err := h.state.SaveEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.store.WriteBatches(ctx, []*balance.Batch{{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss[:last]}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.feed(ss[last:], 100, nil)
	h.waitIdle()
	sessions, err := h.state.ExerciseSessions(ctx, testPatient, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || sessions[0].Kind != balance.SessionSway || sessions[0].Sway["rms"] <= 0 || slices.Contains(sessions[0].Quality, "incomplete") {
		t.Fatalf("sessions %+v, want the sway test, complete", sessions)
	}
}

// feedOrder stores and hands over the 1 s batches of ss in the order given
// by perm (indices of batches), with the session events first.
func (h *harness) feedOrder(ss []balance.Sample, perm []int) {
	h.t.Helper()
	ctx := context.Background()
	for _, k := range perm {
		b := &balance.Batch{DeviceID: h.device, PatientID: h.patient, RateHz: 100, Samples: ss[k*100 : min(k*100+100, len(ss))]}
		if err := h.store.WriteBatches(ctx, []*balance.Batch{b}); err != nil {
			h.t.Fatal(err)
		}
		h.mon.OnBatch(b)
		h.fed++
	}
}

// TestReorderedAndDuplicateBatches: batches arriving out of order (every
// pair swapped, as when ingest's spool replays behind direct writes) and
// twice still give exactly one alert per fall; duplicates alone do not
// count as late.
func TestReorderedAndDuplicateBatches(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	ss, _, segs := scenario(t, named("falls"), time.Now().Add(-time.Hour).Truncate(time.Second))
	n := (len(ss) + 99) / 100
	var perm []int
	for k := 0; k < n; k += 2 {
		if k+1 < n {
			perm = append(perm, k+1)
		}
		perm = append(perm, k)
	}
	h.feedOrder(ss, perm)
	h.waitIdle()
	want := countFallsInTruth(segs)
	if got := len(h.sink.kind(balance.AlertFall)); got != want {
		t.Errorf("%d fall alerts with reordered batches, want %d", got, want)
	}
	if n := len(h.measurements(monitor.MeasFall)); n != want {
		t.Errorf("%d fall measurements, want %d", n, want)
	}
	if h.mon.Stats().LateBatches.Load() == 0 {
		t.Error("no batch was handled as late")
	}

	h2 := newHarness(t, monitor.DefaultConfig())
	h2.start()
	var dup []int
	for k := range n {
		dup = append(dup, k, k)
	}
	h2.feedOrder(ss, dup)
	h2.waitIdle()
	if got := len(h2.sink.kind(balance.AlertFall)); got != want || h2.sink.kindCalls(balance.AlertFall) != want {
		t.Errorf("duplicates: %d fall alerts in %d calls, want %d in %d", got, h2.sink.kindCalls(balance.AlertFall), want, want)
	}
	if l := h2.mon.Stats().LateBatches.Load(); l != 0 {
		t.Errorf("%d duplicates handled as late, want 0", l)
	}
}

// TestSessionAnalysedAgainOnceStored: ingest hands batches to monitoring
// as soon as they are in its spool, before the store has them. A sway test
// is analysed from the samples the monitor kept from the stream, complete,
// without the store. When it has to be read back (here: a sample buffer
// budget too small for it) while its samples are not yet in the store, it
// is analysed without them (quality incomplete or no data); once the
// replay has written them and OnStored says so, the session is analysed
// again, complete. Either way with the sway analysis.Sway gives on its
// samples.
func TestSessionAnalysedAgainOnceStored(t *testing.T) {
	ctx := context.Background()
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	want := swayBetween(t, ss, evs[0].Time, evs[1].Time)
	t.Run("from the stream", func(t *testing.T) {
		h := newHarness(t, monitor.DefaultConfig())
		h.start()
		h.feedSpoolOnly(ss, evs)
		h.waitIdle()
		sessions, err := h.state.ExerciseSessions(ctx, testPatient, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sessions) != 1 || slices.Contains(sessions[0].Quality, "incomplete") || slices.Contains(sessions[0].Quality, "no_data") ||
			sessions[0].Sway["rms"] != want.RMS {
			t.Errorf("sessions with the store empty %+v, want the sway test complete from the stream, rms %v (analysis.Sway)", sessions, want.RMS)
		}
		if n := h.mon.Stats().SessionsFromStream.Load(); n != 1 {
			t.Errorf("%d sessions from the stream, want 1", n)
		}
	})
	cfg := monitor.DefaultConfig()
	cfg.GaitBufferMB = tinyGaitBuffer
	h := newHarness(t, cfg)
	h.start()
	batches := h.feedSpoolOnly(ss, evs)
	h.waitIdle()
	sessions, err := h.state.ExerciseSessions(ctx, testPatient, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || !(slices.Contains(sessions[0].Quality, "incomplete") || slices.Contains(sessions[0].Quality, "no_data")) {
		t.Fatalf("sessions read back before the store has the samples %+v, want one, incomplete or without data", sessions)
	}
	// The replay writes them; ingest says so.
	if err := h.store.WriteBatches(ctx, batches); err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		h.mon.OnStored(b)
	}
	var got balance.ExerciseSession
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		sessions, err = h.state.ExerciseSessions(ctx, testPatient, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sessions) == 1 && sessions[0].Sway["rms"] > 0 && !slices.Contains(sessions[0].Quality, "incomplete") && !slices.Contains(sessions[0].Quality, "no_data") {
			got = sessions[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions after OnStored %+v, want the sway test analysed again, complete", sessions)
		}
	}
	if got.Sway["rms"] != want.RMS {
		t.Errorf("session sway rms %v after re-analysis, analysis.Sway gives %v", got.Sway["rms"], want.RMS)
	}
}

// feedSpoolOnly hands the 1 s batches of ss to the monitor, each event
// (stored) before the batch that holds its time, without writing them to
// the store (ingest's spool has them), and returns the batches.
func (h *harness) feedSpoolOnly(ss []balance.Sample, evs []balance.DeviceEvent) []*balance.Batch {
	h.t.Helper()
	ctx := context.Background()
	var batches []*balance.Batch
	ei := 0
	for i := 0; i < len(ss); i += 100 {
		b := &balance.Batch{DeviceID: testDevice, PatientID: testPatient, RateHz: 100, Samples: ss[i:min(i+100, len(ss))]}
		for ei < len(evs) && evs[ei].Time.UnixNano() <= b.Samples[len(b.Samples)-1].TimeNS {
			e := evs[ei]
			e.DeviceID, e.PatientID = testDevice, testPatient
			if err := h.state.SaveEvent(ctx, e); err != nil {
				h.t.Fatal(err)
			}
			h.mon.OnEvent(e)
			ei++
		}
		h.mon.OnBatch(b) // in the spool only: the store does not have it yet
		h.fed++
		batches = append(batches, b)
	}
	return batches
}

// swayBetween is analysis.Sway on the samples of ss in [from, to], at
// 100 Hz: the independent reference for what monitoring stores.
func swayBetween(t *testing.T, ss []balance.Sample, from, to time.Time) analysis.SwayResult {
	t.Helper()
	var sub []balance.Sample
	for _, s := range ss {
		if !s.Time().Before(from) && !s.Time().After(to) {
			sub = append(sub, s)
		}
	}
	want, err := analysis.Sway(sub, 100, analysis.SwayOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return want
}

// TestOneSwayTestIsNotEnoughData: after a single sway test (no walk, no
// timed test) the patient's risk is "not enough data", naming what is
// missing, not "low": missing data is not a good result.
func TestOneSwayTestIsNotEnoughData(t *testing.T) {
	h := newHarness(t, monitor.DefaultConfig())
	h.start()
	ss, evs, _ := scenario(t, named("sway"), time.Now().Add(-time.Hour).Truncate(time.Second))
	h.feed(ss, 100, evs)
	h.waitIdle()
	risk, err := h.mon.CurrentRisk(context.Background(), testPatient)
	if err != nil {
		t.Fatal(err)
	}
	if risk.Level != balance.RiskNotEnoughData || len(risk.Reasons) != 1 || !strings.Contains(risk.Reasons[0].Text, "walking speed") {
		t.Errorf("risk after one sway test: %s %+v, want not enough data, naming the walking speed", risk.Level, risk.Reasons)
	}
}
