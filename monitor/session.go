package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// event tracks session starts and queues stopped sessions for analysis.
func (w *worker) event(ctx context.Context, e balance.DeviceEvent) {
	d := w.device(e.DeviceID, e.PatientID)
	switch e.Action {
	case "start":
		if !e.Time.After(d.lastStop[e.Kind]) {
			return // replayed: this session has stopped already
		}
		if o, ok := d.open[e.Kind]; ok {
			if o.id == e.SessionID && o.start.Equal(e.Time) {
				return // replayed while open: keep its buffer
			}
			w.m.dropSessionBuf(o.buf) // another session replaces it
		}
		d.open[e.Kind] = openSession{id: e.SessionID, kind: e.Kind, exercise: e.ExerciseID, start: e.Time, buf: w.openSessionBuf(d, e.Time)}
	case "stop":
		if e.Time.After(d.lastStop[e.Kind]) {
			d.lastStop[e.Kind] = e.Time
		}
		o, ok := d.open[e.Kind]
		delete(d.open, e.Kind)
		if !ok || (e.SessionID != "" && o.id != "" && o.id != e.SessionID) {
			// The start came before a restart or was dropped: find it
			// (its samples are read back: the buffer, if any, was
			// another session's).
			w.m.dropSessionBuf(o.buf)
			o, ok = w.findStart(ctx, e)
			if !ok {
				w.m.log.Warn("session stop without a start ignored", "device", e.DeviceID, "kind", e.Kind, "session", e.SessionID)
				return
			}
		}
		if len(d.pending) >= maxPending {
			w.m.log.Warn("too many sessions waiting for samples; oldest analysed now", "device", d.id)
			w.runSession(ctx, d, d.pending[0], false)
			d.pending = d.pending[1:]
		}
		if o.id == "" {
			o.id = e.SessionID
		}
		if o.exercise == "" {
			o.exercise = e.ExerciseID
		}
		for _, p := range d.pending {
			if p.kind == o.kind && p.start.Equal(o.start) {
				w.m.dropSessionBuf(o.buf)
				return // queued already
			}
		}
		// Replayed after a restart: a complete analysis is there already.
		if old, err := w.m.deps.State.ExerciseSession(ctx, SessionID(e.DeviceID, o.kind, o.id, o.start)); err == nil &&
			!slices.Contains(old.Quality, "incomplete") {
			w.m.dropSessionBuf(o.buf)
			return
		}
		o.buf.stop(e.Time)
		d.pending = append(d.pending, pendingSession{openSession: o, stop: e.Time, queued: w.m.deps.Now(), device: e.DeviceID, patient: e.PatientID})
		w.runPending(ctx, d, false)
	}
}

// findStart looks up the start event of a stopped session in the stored events.
func (w *worker) findStart(ctx context.Context, stop balance.DeviceEvent) (openSession, bool) {
	evs, err := w.m.deps.State.Events(ctx, stop.DeviceID, stop.Time.Add(-2*time.Hour))
	if err != nil {
		return openSession{}, false
	}
	var found openSession
	ok := false
	for _, e := range evs {
		if e.Action != "start" || e.Kind != stop.Kind || !e.Time.Before(stop.Time) {
			continue
		}
		if stop.SessionID != "" && e.SessionID != "" && e.SessionID != stop.SessionID {
			continue
		}
		found, ok = openSession{id: e.SessionID, kind: e.Kind, exercise: e.ExerciseID, start: e.Time}, true
	}
	return found, ok
}

// runPending analyses the stopped sessions whose samples have all been
// analysed by the stream (watermark past the stop: from the samples kept
// as they arrived, sessionbuf.go, or read back when those are not all
// there), or that waited longer than sessionWait (read back and analysed
// with what is stored, flagged), or all when force.
func (w *worker) runPending(ctx context.Context, d *deviceState, force bool) {
	if len(d.pending) == 0 {
		return
	}
	now := w.m.deps.Now()
	keep := d.pending[:0]
	for _, p := range d.pending {
		ready := d.sessionReady(p)
		switch {
		case ready || force:
			w.runSession(ctx, d, p, ready)
			continue
		case !p.early && now.Sub(p.queued) > sessionWait:
			// The samples are late (a device buffering offline): analyse
			// what is stored now, flagged incomplete, and again (read
			// back too: the buffer is given up now) when the stream has
			// passed the stop.
			w.runSession(ctx, d, p, false)
			p.early, p.buf = true, nil
		}
		keep = append(keep, p)
	}
	d.pending = keep
}

// sessionReady reports whether the stream has passed a stopped session's
// stop (within two sample periods: the stop event's time may follow the
// last sample).
func (d *deviceState) sessionReady(p pendingSession) bool {
	return d.wm >= p.stop.UnixNano()-int64(2e9/max(d.rate, 1))
}

// SessionID returns the ID of a session: the device's session id when it
// sent one, otherwise a hash of device, kind and start time.
func SessionID(deviceID, kind, deviceSessionID string, start time.Time) string {
	if deviceSessionID != "" {
		return deviceID + ":" + deviceSessionID
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d", deviceID, kind, start.UnixNano())))
	return deviceID + ":" + hex.EncodeToString(h[:8])
}

// runSession hands a stopped session to the slow lane, with the stream's
// progress at this moment: its samples kept from the stream when ready
// (the stream has passed its stop) and they are all there
// (worker.takeSessionBuf), otherwise a read-back of [start, stop] from the
// store. Its buffer is released either way.
func (w *worker) runSession(ctx context.Context, d *deviceState, p pendingSession, ready bool) {
	wm, rate := d.wm, d.rate
	ss, bytes, ok := w.takeSessionBuf(d, p, ready)
	if !ok {
		w.m.goSlow(func(ctx context.Context) { w.m.analyseSession(ctx, p, wm, rate) })
		return
	}
	w.m.stats.SessionsFromStream.Add(1)
	w.m.goSlow(func(ctx context.Context) {
		defer w.m.releaseBuf(bytes)
		w.m.analyseSessionSamples(ctx, p, ss, wm, rate)
	})
}

// analyseSession reads a session's samples [start, stop] back from the
// store (reason readSession, counted in Stats.SessionsReadBack: the
// stream's samples were not all kept, or the session is analysed early or
// again) and analyses them (analyseSessionSamples). wm is the device's
// watermark when the session was handed over, rate its stream rate.
func (m *Monitor) analyseSession(ctx context.Context, p pendingSession, wm int64, rate float64) {
	m.stats.SessionsReadBack.Add(1)
	ss, err := m.read(ctx, readSession, balance.SampleQuery{DeviceID: p.device, From: p.start, To: p.stop.Add(time.Microsecond)})
	if err != nil {
		m.log.Error("reading session samples failed; session not analysed", "session", SessionID(p.device, p.kind, p.id, p.start), "err", err)
		return
	}
	m.analyseSessionSamples(ctx, p, ss, wm, rate)
}

// analyseSessionSamples analyses a session's samples in [start, stop] (in
// time order, as the store returns them: kept from the stream or read
// back), and stores the session and its measurements (both idempotent on
// the session). wm is the device's watermark when the session was handed
// over, rate its stream rate (used when the samples' own cannot be
// estimated).
func (m *Monitor) analyseSessionSamples(ctx context.Context, p pendingSession, ss []balance.Sample, wm int64, rate float64) {
	es := balance.ExerciseSession{ID: SessionID(p.device, p.kind, p.id, p.start), PatientID: p.patient, DeviceID: p.device,
		Kind: p.kind, ExerciseID: p.exercise, Start: p.start.UTC(), End: p.stop.UTC()}
	var ms []balance.Measurement
	fs := estimateRate(ss)
	if fs == 0 {
		fs = rate
	}
	run := longestRun(ss, fs)
	if len(run) < len(ss) {
		es.Quality = append(es.Quality, "gaps")
	}
	if wm < p.stop.UnixNano()-int64(2e9/max(fs, 1)) {
		es.Quality = append(es.Quality, "incomplete")
	}
	if fs == 0 || len(run) < 2 {
		es.Quality = append(es.Quality, "no_data")
	} else {
		ms = m.analyzeSession(ctx, &es, ss, run, fs)
	}
	if err := m.deps.State.SaveExerciseSession(ctx, es); err != nil {
		m.log.Error("storing session failed", "session", es.ID, "err", err)
		return
	}
	if len(ms) > 0 {
		if err := m.write(ctx, ms); err != nil {
			m.log.Error("storing session measurements failed", "session", es.ID, "err", err)
		}
	}
	m.stats.Sessions.Add(1)
	m.markRisk(p.patient)
}

// analyzeSession runs the analysis matching the session's kind
// (AnalyzeSession on run, the longest gap-free run of the session's
// samples ss; a walk's gait on all of ss, whose shorter gaps analysis.Gait
// bridges), filling es and returning the measurements to store (at the
// session's start time, tagged with device and exercise: the session id
// would make a series per session in InfluxDB); a walk's bouts are stored
// by gaitOn.
func (m *Monitor) analyzeSession(ctx context.Context, es *balance.ExerciseSession, ss, run []balance.Sample, fs float64) []balance.Measurement {
	fail := func(err error) []balance.Measurement {
		m.log.Info("session not analysable", "session", es.ID, "kind", es.Kind, "err", err)
		if !analysis.IsInputError(err) {
			m.stats.AnalysisErrors.Add(1)
		}
		return nil
	}
	if es.Kind != balance.SessionWalk {
		ms, err := AnalyzeSessionWith(es, run, fs, m.swayHeading(ctx, es, fs))
		if err != nil {
			return fail(err)
		}
		return ms
	}
	m.stats.GaitWindows.Add(1)
	bouts, q, err := m.gaitOn(ctx, es.DeviceID, es.PatientID, "session", ss, fs, nil)
	if err != nil {
		es.Quality = append(es.Quality, "analysis_failed")
		if es.Result == nil {
			es.Result = map[string]float64{}
		}
		return fail(err)
	}
	es.Quality = append(es.Quality, q...)
	agg := analysis.Aggregate(bouts)
	es.Result = map[string]float64{"gait_speed_mps": agg.SpeedMPS, "cadence_spm": agg.CadenceSPM, "bouts": float64(agg.NumBouts),
		"stride_time_cv_pct": agg.StrideTimeCV}
	return nil
}
