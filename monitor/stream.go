package monitor

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// fall stores a detected fall, raises the urgent alert at once and starts
// watching for movement.
func (w *worker) fall(ctx context.Context, d *deviceState, ev analysis.FallEvent) {
	m := w.m
	m.stats.Falls.Add(1)
	rules := m.cfg.RulesFor(d.patient)
	info := FallInfoFor(ev, rules)
	// The alert first: it is what the latency budget is for.
	m.raise(ctx, FallAlert(d.patient, d.id, info))
	if err := m.write(ctx, []balance.Measurement{fallMeasurement(d.patient, d.id, ev)}); err != nil {
		m.log.Error("storing fall measurement failed", "patient", d.patient, "err", err)
	}
	d.watch = &fallWatch{
		alertID:  AlertID(balance.AlertFall, d.patient, nsPart(ev.ImpactTimeNS)),
		impactNS: ev.ImpactTimeNS,
		deadline: ev.ImpactTimeNS + int64(rules.NoMovementAfter),
		wall:     m.deps.Now(),
	}
	m.markRisk(d.patient)
}

// Context read around a late batch: the detector's pre-fall window (2.5 s)
// before it, and after it the decision (3 s) of impacts up to 2.5 s past
// the batch, whose pre-fall window the stream saw cut by the gap.
const (
	lateBefore = 4 * time.Second
	lateAfter  = 7 * time.Second
)

// late handles a batch that arrived after later samples of its device were
// analysed: the stream saw a gap there, so fall detection runs again over
// the stored samples around it (a fall found twice has the same alert ID
// and measurement key, so nothing is counted twice), and the device's
// sessions that overlap it and were analysed with missing samples are
// analysed again. When the read-back limit does not allow the read now, the
// batch's interval is left as a hole, which refill reads (with the same
// surroundings) when it allows.
func (w *worker) late(ctx context.Context, d *deviceState, first, last int64) {
	m := w.m
	m.stats.LateBatches.Add(1)
	w.markMissed(d, last)
	from, to := time.Unix(0, first).Add(-lateBefore), time.Unix(0, last).Add(lateAfter)
	if !w.allowRead(d, readLate, from.UnixNano(), to.UnixNano()) {
		// Deferred by the read-back limit: refill reads the same window
		// around the hole when the limit allows.
		d.addHole(first, last+1, false)
		return
	}
	ss, err := m.read(ctx, readLate, balance.SampleQuery{DeviceID: d.id, From: from, To: to})
	if err != nil {
		// Not lost: the interval is re-read until it is analysed.
		m.log.Warn("reading around a late batch failed; retried", "device", d.id, "err", err)
		d.addHole(first, last+1, true)
		m.stats.Holes.Add(1)
		return
	}
	w.fallsIn(ctx, d, ss)
	w.reanalyseSessions(ctx, d, first, last)
}

// fallsIn runs the fall detector over stored samples (a late batch's
// surroundings, or a catch-up interval re-read) and raises what it finds;
// a fall found twice keeps its alert id and measurement key.
func (w *worker) fallsIn(ctx context.Context, d *deviceState, ss []balance.Sample) {
	m := w.m
	rules := m.cfg.RulesFor(d.patient)
	for _, ev := range analysis.DetectFalls(ss, d.rate, analysis.FallConfig{Up: d.up}) {
		info := FallInfoFor(ev, rules)
		m.raise(ctx, FallAlert(d.patient, d.id, info))
		if err := m.write(ctx, []balance.Measurement{fallMeasurement(d.patient, d.id, ev)}); err != nil {
			m.log.Error("storing fall measurement failed", "patient", d.patient, "err", err)
		}
		if deadline := ev.ImpactTimeNS + int64(rules.NoMovementAfter); d.watch == nil && deadline > d.wm {
			d.watch = &fallWatch{alertID: AlertID(balance.AlertFall, d.patient, nsPart(ev.ImpactTimeNS)),
				impactNS: ev.ImpactTimeNS, deadline: deadline, wall: m.deps.Now()}
		}
		m.markRisk(d.patient)
	}
}

// reanalyseSessions analyses again the device's sessions overlapping
// [first, last] (device ns) that were analysed without all their samples.
func (w *worker) reanalyseSessions(ctx context.Context, d *deviceState, first, last int64) {
	m := w.m
	sessions, err := m.deps.State.ExerciseSessions(ctx, d.patient, time.Unix(0, first).Add(-2*time.Hour))
	if err != nil {
		return
	}
	for _, es := range sessions {
		if es.DeviceID != d.id || es.End.UnixNano() < first || es.Start.UnixNano() > last ||
			!(slices.Contains(es.Quality, "gaps") || slices.Contains(es.Quality, "incomplete") || slices.Contains(es.Quality, "no_data")) {
			continue
		}
		p := pendingSession{openSession: openSession{id: strings.TrimPrefix(es.ID, es.DeviceID+":"), kind: es.Kind, exercise: es.ExerciseID, start: es.Start},
			stop: es.End, device: es.DeviceID, patient: es.PatientID}
		wm, rate := d.wm, d.rate
		m.goSlow(func(ctx context.Context) { m.analyseSession(ctx, p, wm, rate) })
	}
}

// noMovement escalates the fall being watched.
func (w *worker) noMovement(ctx context.Context, d *deviceState, fw *fallWatch, reason string) {
	rules := w.m.cfg.RulesFor(d.patient)
	w.m.raise(ctx, NoMovementAlert(d.patient, d.id, FallInfo{ImpactNS: fw.impactNS, NoMovementAfter: rules.NoMovementAfter,
		StillUntilNS: d.wm, Reason: reason}))
}

// notWorn raises an alert when the device has sent only motionless data
// for NotWornAfter during expected hours.
func (w *worker) notWorn(ctx context.Context, d *deviceState, now time.Time) {
	if d.lastMoveNS == 0 || d.wm == 0 {
		return
	}
	rules := w.m.cfg.RulesFor(d.patient)
	still := time.Duration(d.wm - d.lastMoveNS)
	if still < rules.NotWornAfter || !rules.InHours(now) {
		return
	}
	// Only while data keeps coming (a silent device is the offline rule's).
	w.m.mu.Lock()
	seen := w.m.lastSeen[d.id]
	w.m.mu.Unlock()
	if now.Sub(seen) > time.Minute {
		return
	}
	since := time.Unix(0, d.lastMoveNS).UTC()
	id := AlertID(balance.AlertNotWorn, d.patient, d.id, nsPart(d.lastMoveNS))
	if !w.m.firstRaise(id) {
		return
	}
	d.notWornID = id
	// Taken off: it may be clipped on again another way.
	w.forgetUp(d, d.wm)
	w.m.raise(ctx, balance.Alert{
		ID: id, Kind: balance.AlertNotWorn, Severity: balance.SeverityInfo, PatientID: d.patient, DeviceID: d.id,
		Summary: fmt.Sprintf("Device %s of patient %s has sent only motionless data since %s (UTC): it seems not to be worn.", d.id, d.patient, since.Format("2006-01-02 15:04")),
		Details: map[string]string{"still_since": rfc(since), "still_for": still.Round(time.Second).String(),
			"not_worn_after": rules.NotWornAfter.String(), "expected_hours": rules.ExpectedHours + " " + rules.TimeZone},
		Evidence:   []balance.Evidence{{Label: "latest samples", URL: SamplesURL(d.patient, time.Unix(0, d.wm).Add(-time.Minute), time.Unix(0, d.wm).Add(time.Second))}},
		GroupKey:   groupKey(d.patient, balance.AlertNotWorn),
		OccurredAt: since.Add(rules.NotWornAfter),
	})
}

// firstRaise reports whether id was not raised yet in this run (periodic
// rules would otherwise call the sink on every check).
func (m *Monitor) firstRaise(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raised[id] {
		return false
	}
	if len(m.raised) > 100000 {
		m.raised = map[string]bool{}
	}
	m.raised[id] = true
	return true
}

// gaitSpan ends the activity span (d.spanStart to d.spanLast) and has its
// gait analysed in the slow lane, on the samples the worker kept
// (spanbuf.go) or, when it could not keep them all, read back from the
// store; its walking bouts are stored, and the upright axis learned from
// them (analysis.UpFromBouts) goes to the device's fall detector.
func (w *worker) gaitSpan(_ context.Context, d *deviceState) {
	start, end := d.spanStart, d.spanLast
	d.spanStart, d.spanLast = 0, 0
	w.closeSpan(d, start, end)
}

// walkUp runs gait analysis (gaitOn) on a device's samples in [from, to)
// read back from the store for reason why (an activity span the stream
// could not keep), stores the bouts found and returns them; when learn is
// not nil and the bouts hold at least analysis.UpMinWalkS of walking, it
// is also called with the wearer's upright axis learned from them
// (analysis.UpFromBouts).
func (m *Monitor) walkUp(ctx context.Context, why readReason, device, patient, source string, from, to time.Time, fs float64, learn func([3]float64)) ([]analysis.WalkingBout, []string, error) {
	m.stats.GaitWindows.Add(1)
	ss, err := m.read(ctx, why, balance.SampleQuery{DeviceID: device, From: from, To: to})
	if err != nil {
		m.log.Warn("reading walk samples failed", "device", device, "err", err)
		return nil, nil, err
	}
	return m.gaitOn(ctx, device, patient, source, ss, fs, learn)
}

// gaitOn runs gait analysis on a device's samples (in time order, without
// duplicates; fs is used when their rate cannot be estimated) and stores
// the bouts found, returning them (an activity span's, kept from the
// stream or read back, and a walk session's); learn is as for walkUp.
func (m *Monitor) gaitOn(ctx context.Context, device, patient, source string, ss []balance.Sample, fs float64, learn func([3]float64)) ([]analysis.WalkingBout, []string, error) {
	if r := estimateRate(ss); r > 0 {
		fs = r
	}
	p, err := m.deps.State.Patient(ctx, patient)
	if err != nil {
		m.log.Warn("patient lookup failed; gait without height", "patient", patient, "err", err)
	}
	ss = bridgeableRun(ss)
	res, err := analysis.Gait(ss, fs, analysis.GaitParams{HeightM: p.HeightM, SensorHeightM: p.SensorHeightM})
	if err != nil {
		if !analysis.IsInputError(err) {
			m.stats.AnalysisErrors.Add(1)
		}
		return nil, nil, err
	}
	if len(res.Bouts) == 0 {
		return nil, res.Quality, nil
	}
	if learn != nil {
		if up, walkS, err := analysis.UpFromBouts(ss, fs, res.Bouts); err == nil {
			m.log.Debug("monitor: upright axis learned from walking", "device", device, "up", up, "walking_s", walkS)
			learn(up)
		}
	}
	ms := make([]balance.Measurement, 0, len(res.Bouts))
	for _, b := range res.Bouts {
		b.Flags = append(b.Flags, res.Quality...)
		ms = append(ms, boutMeasurement(patient, device, source, b))
	}
	if err := m.write(ctx, ms); err != nil {
		m.log.Error("storing gait bouts failed", "patient", patient, "err", err)
		return res.Bouts, res.Quality, err
	}
	m.markRisk(patient)
	return res.Bouts, res.Quality, nil
}

// longestRun returns the longest run of samples without a time gap (a step
// over twice 1/fs or backwards), so that analysis sees contiguous data.
func longestRun(ss []balance.Sample, fs float64) []balance.Sample {
	if len(ss) < 2 || fs <= 0 {
		return ss
	}
	return runWithin(ss, int64(2e9/fs))
}

// bridgeableRun returns the longest run of samples without a step over
// analysis.MaxBridgeGapS or backwards: analysis.Gait fills the shorter gaps
// inside it by linear interpolation (analysis.BridgeGaps; flag
// gaps_bridged), where cutting at the first lost packet would drop the
// walking around it.
func bridgeableRun(ss []balance.Sample) []balance.Sample {
	if len(ss) < 2 {
		return ss
	}
	return runWithin(ss, int64(analysis.MaxBridgeGapS*1e9))
}

// runWithin returns the longest run of ss whose time steps are positive and
// at most maxStep ns.
func runWithin(ss []balance.Sample, maxStep int64) []balance.Sample {
	bestA, bestB, a := 0, 1, 0
	for i := 1; i <= len(ss); i++ {
		if i == len(ss) || ss[i].TimeNS <= ss[i-1].TimeNS || ss[i].TimeNS-ss[i-1].TimeNS > maxStep {
			if i-a > bestB-bestA {
				bestA, bestB = a, i
			}
			a = i
		}
	}
	return ss[bestA:bestB]
}

// median returns the median of x (sorting a copy), 0 for empty x.
func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	c := append([]float64(nil), x...)
	sort.Float64s(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

func meanSD(x []float64) (mean, sd float64) {
	if len(x) == 0 {
		return 0, 0
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}
