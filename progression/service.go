package progression

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// Service applies the rules to stored plans: it evaluates after sessions,
// records every change with its reasons, and serves therapists' requests.
type Service struct {
	Catalog  *Catalog
	Rules    Rules
	Store    PlanStore
	Patients PatientSource
	Sessions SessionSource
	// Feedback keeps the patients' "How did it go" answers; nil: the
	// Store's, when it keeps them (sqlite.StateDB does), else none.
	Feedback FeedbackStore
	// Risk, Falls and Alerts are optional (nil: none known / no alerts).
	Risk   RiskSource
	Falls  FallSource
	Alerts balance.AlertSink
	// Measurements, when set, receives the weekly adherence of each plan
	// (measurement "adherence" at the week's start: planned, done, missed)
	// at every evaluation.
	Measurements balance.MeasurementStore
	// DefaultMode is the mode of a plan assigned without one [suggest].
	DefaultMode string
	// Lookback is how far back sessions, risk and falls are read [120 days].
	Lookback time.Duration
	Now      func() time.Time
	Log      *slog.Logger

	// mu serialises changes, so that an approval and an evaluation cannot
	// interleave their read of the plan and their write.
	mu sync.Mutex
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) lookback() time.Duration {
	if s.Lookback > 0 {
		return s.Lookback
	}
	return 120 * day
}

// changeID is a deterministic id from the parts of a decision.
func changeID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "pc-" + hex.EncodeToString(h[:8])
}

// PlanRequest assigns or updates a plan (PUT /plan). Zero fields keep the
// current value (or the default for a new plan).
type PlanRequest struct {
	LevelID         string   `json:"level_id"`
	SessionsPerWeek int      `json:"sessions_per_week"`
	Mode            string   `json:"mode"`
	Exercises       []string `json:"exercises"`
	By              string   `json:"by"`
	Note            string   `json:"note"`
}

// SetPlan assigns or updates a patient's plan.
func (s *Service) SetPlan(ctx context.Context, patientID string, req PlanRequest) (balance.Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.Patients.Patient(ctx, patientID); err != nil {
		return balance.Plan{}, err
	}
	now := s.now()
	old, err := s.Store.Plan(ctx, patientID)
	exists := err == nil
	if err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
		return balance.Plan{}, err
	}
	p := old
	if !exists {
		p = balance.Plan{PatientID: patientID, LevelID: s.Catalog.StartLevel, SessionsPerWeek: 3, Mode: s.DefaultMode, AssignedAt: now, LevelSince: now}
		if p.Mode == "" {
			p.Mode = balance.PlanSuggest
		}
	}
	if req.LevelID != "" {
		p.LevelID = req.LevelID
	}
	if req.SessionsPerWeek != 0 {
		p.SessionsPerWeek = req.SessionsPerWeek
	}
	if req.Mode != "" {
		p.Mode = req.Mode
	}
	if req.Exercises != nil {
		p.Exercises = req.Exercises
	}
	if err := s.checkPlan(p); err != nil {
		return balance.Plan{}, err
	}
	by := balance.Actor(ctx, req.By) // the logged-in user, not what the body claims
	if by == "" {
		by = "therapist"
	}
	if exists && p.LevelID != old.LevelID {
		p.LevelSince = now
	}
	p.CatalogVersion, p.UpdatedAt, p.UpdatedBy = s.Catalog.Version, now, by
	text := fmt.Sprintf("Plan set: %s, %d sessions a week, %s mode.", s.Catalog.Level(p.LevelID).Name, p.SessionsPerWeek, p.Mode)
	c := balance.PlanChange{
		ID: changeID(patientID, "assign", now.Format(time.RFC3339Nano)), PatientID: patientID, Time: now, Kind: balance.ChangeAssign,
		ToLevel: p.LevelID, Reasons: []balance.PlanReason{{Code: "assigned", Text: text}}, Status: balance.ChangeApplied, By: by, Note: req.Note,
	}
	if exists {
		c.FromLevel = old.LevelID
	}
	if _, err := s.Store.AddPlanChange(ctx, &p, c); err != nil {
		return balance.Plan{}, err
	}
	if err := s.withdrawPending(ctx, patientID, p.LevelID, "the plan was set by "+by); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Service) checkPlan(p balance.Plan) error {
	if s.Catalog.Level(p.LevelID) == nil {
		return balance.Errorf(balance.EINVALID, "unknown level %q (see GET /api/v1/catalog)", p.LevelID)
	}
	if p.SessionsPerWeek < 1 || p.SessionsPerWeek > 21 {
		return balance.Errorf(balance.EINVALID, "sessions_per_week %d must be 1 to 21", p.SessionsPerWeek)
	}
	if p.Mode != balance.PlanSuggest && p.Mode != balance.PlanAutomatic {
		return balance.Errorf(balance.EINVALID, "mode %q must be %s or %s", p.Mode, balance.PlanSuggest, balance.PlanAutomatic)
	}
	for _, id := range p.Exercises {
		if s.Catalog.Exercise(id) == nil {
			return balance.Errorf(balance.EINVALID, "unknown exercise %q (see GET /api/v1/catalog)", id)
		}
	}
	return nil
}

// withdrawPending withdraws pending suggestions that no longer start from
// the current level.
func (s *Service) withdrawPending(ctx context.Context, patientID, level, why string) error {
	cs, err := s.Store.PlanChanges(ctx, patientID, time.Time{})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Status == balance.ChangePending && c.FromLevel != level {
			c.Status, c.DecidedBy, c.DecidedAt, c.Note = balance.ChangeWithdrawn, "system", s.now(), "withdrawn: "+why
			if err := s.Store.DecidePlanChange(ctx, nil, c); err != nil && balance.ErrorCode(err) != balance.ECONFLICT {
				return err
			}
			s.resolvePending(ctx, c, "suggestion withdrawn: "+why)
		}
	}
	return nil
}

// input gathers what Evaluate needs for the patient's plan.
func (s *Service) input(ctx context.Context, p balance.Plan) (Input, error) {
	now := s.now()
	since := now.Add(-s.lookback())
	in := Input{Now: now, Plan: p}
	pat, err := s.Patients.Patient(ctx, p.PatientID)
	if err != nil {
		return in, err
	}
	in.Neuropathy = pat.Neuropathy
	if s.Sessions != nil {
		if in.Sessions, err = s.Sessions.ExerciseSessions(ctx, p.PatientID, since); err != nil {
			return in, fmt.Errorf("sessions: %w", err)
		}
	}
	if in.Changes, err = s.Store.PlanChanges(ctx, p.PatientID, since); err != nil {
		return in, err
	}
	if s.Risk != nil {
		if in.Risk, err = s.Risk.RiskAssessments(ctx, p.PatientID, since); err != nil {
			return in, fmt.Errorf("risk: %w", err)
		}
	}
	if s.Falls != nil {
		if in.Falls, err = s.Falls.Falls(ctx, p.PatientID, since); err != nil {
			return in, fmt.Errorf("falls: %w", err)
		}
	}
	if fs := s.feedback(); fs != nil {
		if in.Feedback, err = fs.PatientFeedback(ctx, p.PatientID, since); err != nil {
			return in, fmt.Errorf("feedback: %w", err)
		}
	}
	return in, nil
}

// Evaluate runs the rules for the patient and applies the decision: a step
// down at once in either mode; a step up at once in automatic mode, as a
// suggestion for a therapist in suggest mode. It returns the decision and
// the change recorded (nil when holding or already recorded).
func (s *Service) Evaluate(ctx context.Context, patientID string) (Decision, *balance.PlanChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.Store.Plan(ctx, patientID)
	if err != nil {
		return Decision{}, nil, err
	}
	in, err := s.input(ctx, p)
	if err != nil {
		return Decision{}, nil, err
	}
	d := Evaluate(s.Catalog, s.Rules, in)
	if err := s.recordAdherence(ctx, p, in); err != nil {
		s.log().Warn("adherence not recorded", "patient", patientID, "err", err)
	}
	if d.Action == Hold && d.Withheld != "" {
		c, err := s.recordWithheld(ctx, p, d, in.Now)
		return d, c, err
	}
	if d.Action == Hold {
		return d, nil, nil
	}
	now := in.Now
	c := balance.PlanChange{
		PatientID: patientID, Time: now, FromLevel: d.From, ToLevel: d.To, Dimension: d.Dimension,
		Reasons: d.Reasons, SessionIDs: d.SessionIDs, By: "system", Status: balance.ChangeApplied,
	}
	since := p.LevelSince.UTC().Format(time.RFC3339Nano)
	switch d.Action {
	case Regress:
		c.Kind = balance.ChangeRegress
		c.ID = changeID(patientID, Regress, d.From, d.To, since, d.Trigger.UTC().Format(time.RFC3339Nano), strings.Join(d.SessionIDs, ","))
	case Progress:
		c.Kind = balance.ChangeProgress
		if p.Mode != balance.PlanAutomatic {
			c.Status = balance.ChangePending
		}
		// One suggestion per stint at a level: a rejected one is not
		// raised again until the level changes. The status is part of
		// the id so that a plan switched to automatic applies the step
		// a pending suggestion holds (and withdraws the suggestion).
		c.ID = changeID(patientID, Progress, d.From, d.To, since, c.Status)
	}
	var np *balance.Plan
	if c.Status == balance.ChangeApplied {
		q := p
		q.LevelID, q.LevelSince, q.UpdatedAt, q.UpdatedBy, q.CatalogVersion = d.To, now, now, "system", s.Catalog.Version
		np = &q
	}
	added, err := s.Store.AddPlanChange(ctx, np, c)
	if err != nil || !added {
		return d, nil, err
	}
	s.log().Info("plan change", "patient", patientID, "kind", c.Kind, "status", c.Status, "from", c.FromLevel, "to", c.ToLevel, "dimension", c.Dimension)
	if np != nil {
		if err := s.withdrawPending(ctx, patientID, np.LevelID, "the level changed"); err != nil {
			return d, &c, err
		}
	}
	if c.Status == balance.ChangePending && s.Alerts != nil {
		if err := s.Alerts.Raise(ctx, s.pendingAlert(c)); err != nil {
			s.log().Warn("progression alert not raised", "patient", patientID, "err", err)
		}
	}
	return d, &c, nil
}

// recordWithheld records a step up that pain or dizziness held back as a
// withdrawn progression with the reasons (once per level and report), so
// that the plan history shows what the answers changed. It returns the
// change, or nil when it was already recorded.
func (s *Service) recordWithheld(ctx context.Context, p balance.Plan, d Decision, now time.Time) (*balance.PlanChange, error) {
	var symptoms []string
	note := "held back"
	for _, r := range d.Reasons {
		if r.Code == "pain_reported" || r.Code == "dizziness_reported" {
			symptoms = append(symptoms, r.Text)
			if note == "held back" {
				note = "held back: " + r.Text
			}
		}
	}
	c := balance.PlanChange{
		ID:        changeID(p.PatientID, "withheld", d.From, d.Withheld, p.LevelSince.UTC().Format(time.RFC3339Nano), strings.Join(symptoms, "\x00")),
		PatientID: p.PatientID, Time: now, Kind: balance.ChangeProgress, FromLevel: d.From, ToLevel: d.Withheld, Dimension: d.Dimension,
		Reasons: d.Reasons, SessionIDs: d.SessionIDs, By: "system", Status: balance.ChangeWithdrawn, DecidedBy: "system", DecidedAt: now, Note: note,
	}
	added, err := s.Store.AddPlanChange(ctx, nil, c)
	if err != nil || !added {
		return nil, err
	}
	s.log().Info("plan change held back", "patient", p.PatientID, "from", c.FromLevel, "to", c.ToLevel, "why", note)
	return &c, nil
}

// MeasAdherence is the name of the weekly adherence measurement.
const MeasAdherence = "adherence"

// recordAdherence writes this week's and last week's adherence (replacing
// earlier writes of the same weeks).
func (s *Service) recordAdherence(ctx context.Context, p balance.Plan, in Input) error {
	if s.Measurements == nil {
		return nil
	}
	var ms []balance.Measurement
	for _, w := range Adherence(p, in.Sessions, in.Now, 2) {
		missed := 0.0
		if w.Missed {
			missed = 1
		}
		ms = append(ms, balance.Measurement{Name: MeasAdherence, PatientID: p.PatientID, Time: w.WeekStart,
			Fields: map[string]float64{"planned": float64(w.Planned), "done": float64(w.Done), "missed": missed}})
	}
	return s.Measurements.WriteMeasurements(ctx, ms)
}

func (s *Service) pendingAlert(c balance.PlanChange) balance.Alert {
	var why []string
	for _, r := range c.Reasons {
		why = append(why, r.Text)
	}
	return balance.Alert{
		ID: "alert-" + c.ID, Kind: balance.AlertProgressionReady, Severity: balance.SeverityInfo, PatientID: c.PatientID,
		Summary:  fmt.Sprintf("Suggested step up for %s: %s -> %s.", c.PatientID, c.FromLevel, c.ToLevel),
		Details:  map[string]string{"suggestion_id": c.ID, "from": c.FromLevel, "to": c.ToLevel, "dimension": c.Dimension, "reasons": strings.Join(why, " ")},
		Evidence: []balance.Evidence{{Label: "plan history", URL: "/api/v1/patients/" + c.PatientID + "/plan/history"}},
		GroupKey: c.PatientID + "/" + balance.AlertProgressionReady, OccurredAt: c.Time, CreatedAt: s.now(), Status: balance.AlertOpen,
	}
}

// EvaluateAll evaluates every patient with a plan and returns how many
// changes were recorded; one patient's error does not stop the others.
func (s *Service) EvaluateAll(ctx context.Context) (int, error) {
	ids, err := s.Store.PlanPatients(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		_, c, err := s.Evaluate(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("patient %s: %w", id, err))
		}
		if c != nil {
			n++
		}
	}
	if len(errs) > 0 {
		return n, errs[0]
	}
	return n, nil
}

// Decide approves or rejects a pending suggestion. Approval applies it only
// if the plan is still at the suggestion's level and a fresh evaluation
// still suggests the same step (ECONFLICT otherwise: after a fall, at high
// risk, after a failed session, nobody steps up; an override still can).
func (s *Service) Decide(ctx context.Context, patientID, id string, approve bool, by, note string) (balance.PlanChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.Store.PlanChange(ctx, patientID, id)
	if err != nil {
		return c, err
	}
	if c.Status != balance.ChangePending {
		return c, balance.Errorf(balance.ECONFLICT, "suggestion %s is %s, not pending", id, c.Status)
	}
	if by = balance.Actor(ctx, by); by == "" {
		by = "therapist"
	}
	now := s.now()
	c.DecidedBy, c.DecidedAt, c.Note = by, now, note
	if !approve {
		c.Status = balance.ChangeRejected
		if err := s.Store.DecidePlanChange(ctx, nil, c); err != nil {
			return c, err
		}
		s.resolvePending(ctx, c, "suggestion rejected by "+by)
		return c, nil
	}
	p, err := s.Store.Plan(ctx, patientID)
	if err != nil {
		return c, err
	}
	if p.LevelID != c.FromLevel {
		return c, balance.Errorf(balance.ECONFLICT, "the plan is at %s now, not %s; the suggestion no longer applies", p.LevelID, c.FromLevel)
	}
	in, err := s.input(ctx, p)
	if err != nil {
		return c, err
	}
	// Approve only what the rules would still suggest now: a fall, a
	// high-risk assessment or a failed session since the suggestion (or
	// anything else that makes the rules hold or step down) refuses it.
	d := Evaluate(s.Catalog, s.Rules, in)
	if d.Action != Progress || d.To != c.ToLevel {
		why := "the rules no longer suggest this step"
		for _, r := range d.Reasons {
			if r.Text != "" {
				why = r.Text
				break
			}
		}
		return c, balance.Errorf(balance.ECONFLICT, "not stepping up now (%s: %s); an override still can", d.Action, why)
	}
	c.Status = balance.ChangeApplied
	p.LevelID, p.LevelSince, p.UpdatedAt, p.UpdatedBy, p.CatalogVersion = c.ToLevel, now, now, by, s.Catalog.Version
	if err := s.Store.DecidePlanChange(ctx, &p, c); err != nil {
		return c, err
	}
	s.resolvePending(ctx, c, "suggestion approved by "+by)
	return c, s.withdrawPending(ctx, patientID, p.LevelID, "another suggestion was approved")
}

// resolvePending resolves the alert that told therapists about suggestion
// c once it is decided (approved, rejected or withdrawn), so that nobody is
// reminded of a decision already made. The decision stands if resolving
// fails; the failure is logged.
func (s *Service) resolvePending(ctx context.Context, c balance.PlanChange, reason string) {
	if s.Alerts == nil {
		return
	}
	if err := s.Alerts.Resolve(ctx, s.pendingAlert(c).ID, reason); err != nil {
		s.log().Warn("progression: resolving the suggestion's alert", "alert", s.pendingAlert(c).ID, "err", err)
	}
}

// OverrideRequest moves a patient to a level directly.
type OverrideRequest struct {
	LevelID string `json:"level_id"`
	Reason  string `json:"reason"`
	By      string `json:"by"`
}

// Override sets the level at a therapist's word, with their reason.
func (s *Service) Override(ctx context.Context, patientID string, req OverrideRequest) (balance.PlanChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(req.Reason) == "" {
		return balance.PlanChange{}, balance.Errorf(balance.EINVALID, "an override needs a reason")
	}
	if s.Catalog.Level(req.LevelID) == nil {
		return balance.PlanChange{}, balance.Errorf(balance.EINVALID, "unknown level %q (see GET /api/v1/catalog)", req.LevelID)
	}
	p, err := s.Store.Plan(ctx, patientID)
	if err != nil {
		return balance.PlanChange{}, err
	}
	by := balance.Actor(ctx, req.By) // the logged-in user, not what the body claims
	if by == "" {
		by = "therapist"
	}
	now := s.now()
	c := balance.PlanChange{
		ID: changeID(patientID, "override", now.Format(time.RFC3339Nano)), PatientID: patientID, Time: now, Kind: balance.ChangeOverride,
		FromLevel: p.LevelID, ToLevel: req.LevelID, Reasons: []balance.PlanReason{{Code: "therapist", Text: req.Reason}},
		Status: balance.ChangeApplied, By: by,
	}
	p.LevelID, p.LevelSince, p.UpdatedAt, p.UpdatedBy, p.CatalogVersion = req.LevelID, now, now, by, s.Catalog.Version
	if _, err := s.Store.AddPlanChange(ctx, &p, c); err != nil {
		return c, err
	}
	return c, s.withdrawPending(ctx, patientID, p.LevelID, "overridden by "+by)
}

// Levels returns the catalog's levels in the catalog's order (the ladder,
// easiest first), for a therapist to choose from.
func (s *Service) Levels() []Level { return slices.Clone(s.Catalog.Levels) }

// History returns the patient's plan changes, newest first.
func (s *Service) History(ctx context.Context, patientID string) ([]balance.PlanChange, error) {
	if _, err := s.Store.Plan(ctx, patientID); err != nil {
		return nil, err
	}
	return s.Store.PlanChanges(ctx, patientID, time.Time{})
}

// PlanView is a plan with its level, pending suggestions, adherence and
// where the rules stand now.
type PlanView struct {
	Plan      balance.Plan         `json:"plan"`
	Level     *Level               `json:"level"`
	Pending   []balance.PlanChange `json:"pending"`
	Adherence []WeekAdherence      `json:"adherence"`
	Status    Decision             `json:"status"`
}

// View returns the patient's plan as therapists see it.
func (s *Service) View(ctx context.Context, patientID string) (PlanView, error) {
	p, err := s.Store.Plan(ctx, patientID)
	if err != nil {
		return PlanView{}, err
	}
	in, err := s.input(ctx, p)
	if err != nil {
		return PlanView{}, err
	}
	v := PlanView{Plan: p, Level: s.Catalog.Level(p.LevelID), Pending: []balance.PlanChange{}, Status: Evaluate(s.Catalog, s.Rules, in)}
	for _, c := range in.Changes {
		if c.Status == balance.ChangePending {
			v.Pending = append(v.Pending, c)
		}
	}
	v.Adherence = Adherence(p, in.Sessions, in.Now, 8)
	slices.Reverse(v.Adherence)
	return v, nil
}
