package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// Periods of the background checks.
const (
	flushEvery   = 5 * time.Second
	offlineEvery = 30 * time.Second
	weeklyEvery  = time.Hour
	riskDebounce = 10 * time.Second
)

// checkLoop runs the time-based work: ticks for the workers (pending
// sessions, post-fall watches, not worn), alert retries, watermark
// flushes, risk re-assessment, device-offline and weekly rules.
func (m *Monitor) checkLoop() {
	t := time.NewTicker(m.deps.CheckEvery)
	defer t.Stop()
	var lastFlush, lastOffline time.Time
	lastWeekly := map[string]time.Time{}
	ctx := m.runCtx
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		now := m.deps.Now()
		for _, tc := range m.ticks {
			select {
			case tc <- now:
			default:
			}
		}
		m.retryAlerts(ctx)
		if now.Sub(lastFlush) >= flushEvery {
			lastFlush = now
			if err := m.flushWatermarks(ctx); err != nil {
				m.log.Warn("saving monitor watermarks failed", "err", err)
			}
		}
		m.assessDue(ctx, now)
		if now.Sub(lastOffline) >= offlineEvery {
			lastOffline = now
			m.CheckDevices(ctx, now)
			m.checkWeekly(ctx, now, lastWeekly)
		}
	}
}

// assessDue re-assesses the patients marked since the last check.
func (m *Monitor) assessDue(ctx context.Context, now time.Time) {
	m.mu.Lock()
	var due []string
	for p, at := range m.riskDue {
		if now.Sub(at) >= riskDebounce {
			due = append(due, p)
			delete(m.riskDue, p)
		}
	}
	m.mu.Unlock()
	for _, p := range due {
		if _, err := m.AssessPatient(ctx, p); err != nil {
			m.log.Warn("risk assessment failed", "patient", p, "err", err)
		}
	}
}

// CheckDevices raises an alert for each bound device that, during the
// patient's expected hours, has reported itself offline or sent nothing
// for OfflineAfter (the checker runs it every 30 s).
func (m *Monitor) CheckDevices(ctx context.Context, now time.Time) {
	devs, err := m.deps.State.Devices(ctx)
	if err != nil {
		m.log.Warn("offline check: devices", "err", err)
		return
	}
	sts, err := m.deps.State.Statuses(ctx)
	if err != nil {
		m.log.Warn("offline check: statuses", "err", err)
		return
	}
	byID := map[string]balance.DeviceStatus{}
	for _, s := range sts {
		byID[s.DeviceID] = s
	}
	for _, d := range devs {
		if d.PatientID == "" {
			continue
		}
		rules := m.cfg.RulesFor(d.PatientID)
		if !rules.InHours(now) {
			continue
		}
		m.mu.Lock()
		seen, ok := m.lastSeen[d.ID]
		m.mu.Unlock()
		if !ok {
			// Nothing this run: the newest stored sample, else the
			// device's registration — both stable across restarts, so an
			// episode keeps its alert ID.
			seen = d.CreatedAt
			if s, err := m.deps.Store.LatestSample(ctx, d.ID, d.PatientID); err == nil {
				seen = s.Time()
			}
			m.mu.Lock()
			if _, ok := m.lastSeen[d.ID]; !ok {
				m.lastSeen[d.ID] = seen
			}
			m.mu.Unlock()
		}
		st, hasSt := byID[d.ID]
		var since time.Time
		reason := ""
		switch {
		case hasSt && !st.Online && now.Sub(st.ReceivedAt) >= rules.OfflineAfter:
			since, reason = st.ReceivedAt, "the device reported itself offline"
		case now.Sub(seen) >= rules.OfflineAfter:
			since, reason = seen, "no data from the device"
		default:
			// Online: an offline alert of this run resolves.
			m.mu.Lock()
			open, was := m.offline[d.ID]
			delete(m.offline, d.ID)
			m.mu.Unlock()
			if was {
				m.resolve(ctx, open, "the device is online and sends data again")
			}
			continue
		}
		since = since.UTC().Truncate(time.Second)
		id := AlertID(balance.AlertDeviceOffline, d.PatientID, d.ID, nsPart(since.UnixNano()))
		if !m.firstRaise(id) {
			continue
		}
		m.mu.Lock()
		m.offline[d.ID] = id
		m.mu.Unlock()
		m.raise(ctx, balance.Alert{
			ID: id, Kind: balance.AlertDeviceOffline, Severity: balance.SeverityInfo, PatientID: d.PatientID, DeviceID: d.ID,
			Summary: fmt.Sprintf("Device %s of patient %s has been offline since %s (UTC): %s.", d.ID, d.PatientID, since.Format("2006-01-02 15:04"), reason),
			Details: map[string]string{"since": rfc(since), "reason": reason, "offline_after": rules.OfflineAfter.String(),
				"expected_hours": rules.ExpectedHours + " " + rules.TimeZone, "battery_pct": fmt.Sprint(st.BatteryPct)},
			Evidence:   []balance.Evidence{{Label: "device", URL: "/api/v1/devices/" + d.ID}},
			GroupKey:   groupKey(d.PatientID, balance.AlertDeviceOffline),
			OccurredAt: since.Add(rules.OfflineAfter),
		})
	}
}

// checkWeekly runs, at most hourly per patient, the missed-sessions and
// trend rules.
func (m *Monitor) checkWeekly(ctx context.Context, now time.Time, last map[string]time.Time) {
	devs, err := m.deps.State.Devices(ctx)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, d := range devs {
		if d.PatientID == "" || seen[d.PatientID] || now.Sub(last[d.PatientID]) < weeklyEvery {
			continue
		}
		seen[d.PatientID] = true
		last[d.PatientID] = now
		if a, ok, err := m.SessionsMissed(ctx, d.PatientID, now); err != nil {
			m.log.Warn("missed-sessions rule failed", "patient", d.PatientID, "err", err)
		} else if ok && m.firstRaise(a.ID) {
			m.raise(ctx, a)
		}
		if a, ok, err := m.Trend(ctx, d.PatientID, now); err != nil {
			m.log.Warn("trend rule failed", "patient", d.PatientID, "err", err)
		} else if ok && m.firstRaise(a.ID) {
			m.raise(ctx, a)
		}
	}
}
