package monitor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// AlertID is the deterministic ID of an alert: the first 16 bytes, in hex,
// of SHA-256 over the kind, the patient and the parts that identify the
// occurrence (e.g. the impact's device time). The same occurrence always
// gets the same ID, so raising it again (after a restart or a re-analysis)
// is harmless.
func AlertID(kind, patientID string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(patientID))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// nsPart is a sample time as part of an alert id: at the stores'
// microsecond precision, so that the same occurrence found again in samples
// read back from storage (after a restart, for a late batch) gets the same
// id as when it was found in the stream.
func nsPart(t int64) string { return fmt.Sprint(balance.StorageMicros(t) * 1000) }

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// SamplesURL links to a patient's raw samples in [from, to).
func SamplesURL(patientID string, from, to time.Time) string {
	return "/api/v1/patients/" + url.PathEscape(patientID) + "/samples?from=" + url.QueryEscape(rfc(from)) + "&to=" + url.QueryEscape(rfc(to))
}

// MeasurementsURL links to a patient's measurements of one name in [from, to).
func MeasurementsURL(patientID, name string, from, to time.Time) string {
	return "/api/v1/patients/" + url.PathEscape(patientID) + "/measurements?name=" + url.QueryEscape(name) + "&from=" + url.QueryEscape(rfc(from)) + "&to=" + url.QueryEscape(rfc(to))
}

// RiskURL links to a patient's risk and its history.
func RiskURL(patientID string) string {
	return "/api/v1/patients/" + url.PathEscape(patientID) + "/risk"
}

// SessionsURL links to a patient's sessions.
func SessionsURL(patientID string) string {
	return "/api/v1/patients/" + url.PathEscape(patientID) + "/sessions"
}

func groupKey(patientID, kind string) string { return patientID + "/" + kind }

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

// FallAlert is the urgent alert for a detected fall.
func FallAlert(patientID, deviceID string, ev FallInfo) balance.Alert {
	at := time.Unix(0, ev.ImpactNS).UTC()
	return balance.Alert{
		ID:        AlertID(balance.AlertFall, patientID, nsPart(ev.ImpactNS)),
		Kind:      balance.AlertFall,
		Severity:  balance.SeverityUrgent,
		PatientID: patientID,
		DeviceID:  deviceID,
		Summary:   fallSummary(patientID, at, ev),
		Details: map[string]string{
			"got_up":       fmt.Sprint(ev.GotUp),
			"out_of_bed":   fmt.Sprint(ev.FromLying),
			"impact_time":  rfc(at),
			"peak_acc_g":   f2(ev.PeakAccG),
			"tilt_deg":     fmt.Sprintf("%.0f", ev.TiltDeg),
			"descent_mps":  f2(ev.DescentMS),
			"confidence":   f2(ev.Confidence),
			"inactive":     fmt.Sprint(ev.Inactive),
			"decided_at":   rfc(time.Unix(0, ev.DecidedNS)),
			"device":       deviceID,
			"action":       fallAction(ev),
			"escalates_in": ev.NoMovementAfter.String(),
		},
		Evidence: []balance.Evidence{
			{Label: "samples around the fall", URL: SamplesURL(patientID, at.Add(-10*time.Second), at.Add(20*time.Second))},
			{Label: "fall measurement", URL: MeasurementsURL(patientID, MeasFall, at.Add(-time.Second), at.Add(time.Second))},
		},
		GroupKey:   groupKey(patientID, balance.AlertFall),
		OccurredAt: at,
		Status:     balance.AlertOpen,
	}
}

// fallSummary says what happened in plain words: a fall (or a fall out of
// bed), then whether the wearer got up and how soon, or lies still, or is
// still down and moving.
func fallSummary(patientID string, at time.Time, ev FallInfo) string {
	what := "appears to have fallen"
	if ev.FromLying {
		what = "appears to have fallen out of bed"
	}
	var after string
	switch {
	case ev.GotUp:
		after = fmt.Sprintf("and got up again after %.0f s", ev.TimeToGetUpS)
	case ev.Inactive:
		after = "and is lying still"
	default:
		after = "and is still down (moving, not upright)"
	}
	return fmt.Sprintf("Patient %s %s at %s (UTC) %s.", patientID, what, at.Format("2006-01-02 15:04:05"), after)
}

// fallAction is what the recipient should do: a wearer who got up may still
// be hurt, so the call stands either way.
func fallAction(ev FallInfo) string {
	if ev.GotUp {
		return "call the patient to ask about pain or injury; a fall they got up from still counts"
	}
	return "call the patient; send help if there is no answer"
}

// FallInfoFor is what the fall alert says of a detected fall, with the
// patient's rules.
func FallInfoFor(ev analysis.FallEvent, r Rules) FallInfo {
	return FallInfo{ImpactNS: ev.ImpactTimeNS, DecidedNS: ev.InactivityEndNS, PeakAccG: ev.PeakAccG, TiltDeg: ev.TiltDeg,
		DescentMS: ev.DescentMS, Confidence: ev.Confidence, Inactive: ev.Inactive, GotUp: ev.GotUp,
		TimeToGetUpS: ev.TimeToGetUpS, FromLying: ev.FromLying, NoMovementAfter: r.NoMovementAfter}
}

// FallInfo is what the alert rules need of a detected fall.
type FallInfo struct {
	ImpactNS, DecidedNS          int64
	PeakAccG, TiltDeg, DescentMS float64
	Confidence                   float64
	Inactive                     bool
	// GotUp: the wearer was upright again TimeToGetUpS after the impact.
	GotUp        bool
	TimeToGetUpS float64
	// FromLying: a fall out of bed (analysis.FallEvent.FromLying).
	FromLying       bool
	NoMovementAfter time.Duration
	StillUntilNS    int64
	Reason          string
}

// NoMovementAlert escalates a fall after which the patient did not move.
func NoMovementAlert(patientID, deviceID string, ev FallInfo) balance.Alert {
	at := time.Unix(0, ev.ImpactNS).UTC()
	still := time.Unix(0, ev.StillUntilNS).UTC()
	return balance.Alert{
		ID:        AlertID(balance.AlertNoMovement, patientID, nsPart(ev.ImpactNS)),
		Kind:      balance.AlertNoMovement,
		Severity:  balance.SeverityUrgent,
		PatientID: patientID,
		DeviceID:  deviceID,
		Summary: fmt.Sprintf("ESCALATION: patient %s has not moved for %s after a fall at %s (UTC) (%s).",
			patientID, ev.NoMovementAfter, at.Format("15:04:05"), ev.Reason),
		Details: map[string]string{
			"impact_time":       rfc(at),
			"no_movement_after": ev.NoMovementAfter.String(),
			"still_until":       rfc(still),
			"reason":            ev.Reason,
			"fall_alert_id":     AlertID(balance.AlertFall, patientID, nsPart(ev.ImpactNS)),
			"action":            "send help now",
		},
		Evidence: []balance.Evidence{
			{Label: "samples since the fall", URL: SamplesURL(patientID, at.Add(-10*time.Second), at.Add(ev.NoMovementAfter+10*time.Second))},
		},
		GroupKey:   groupKey(patientID, balance.AlertFall),
		OccurredAt: at.Add(ev.NoMovementAfter),
		Status:     balance.AlertOpen,
	}
}

// RiskRoseAlert reports a rise of the fall-risk level.
func RiskRoseAlert(prev, cur balance.RiskAssessment) balance.Alert {
	sev := balance.SeverityWarning
	if cur.Level == balance.RiskHigh {
		sev = balance.SeverityHigh
	}
	var why []string
	d := map[string]string{"previous_level": prev.Level, "level": cur.Level, "previous_time": rfc(prev.Time)}
	for _, r := range cur.Reasons {
		why = append(why, r.Text)
		d["reason."+r.Code] = fmt.Sprintf("%g %s (threshold %g, %s)", r.Value, r.Unit, r.Threshold, r.Level)
	}
	return balance.Alert{
		ID:        AlertID(balance.AlertRiskRose, cur.PatientID, nsPart(cur.Time.UnixNano())),
		Kind:      balance.AlertRiskRose,
		Severity:  sev,
		PatientID: cur.PatientID,
		Summary:   fmt.Sprintf("Fall risk of patient %s rose from %s to %s: %s.", cur.PatientID, prev.Level, cur.Level, strings.Join(why, "; ")),
		Details:   d,
		Evidence: []balance.Evidence{
			{Label: "risk and its history", URL: RiskURL(cur.PatientID)},
		},
		GroupKey:   groupKey(cur.PatientID, balance.AlertRiskRose),
		OccurredAt: cur.Time.UTC(),
		Status:     balance.AlertOpen,
	}
}
