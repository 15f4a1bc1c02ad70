package progression

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// memStore is an in-memory PlanStore, FeedbackStore and source of
// patients, sessions, risk and falls for the package's tests (sqlite's is tested against the
// same contract in cmd/balance).
type memStore struct {
	mu       sync.Mutex
	plans    map[string]balance.Plan
	changes  []balance.PlanChange
	patients map[string]balance.Patient
	sessions []balance.ExerciseSession
	risk     []balance.RiskAssessment
	falls    []time.Time
	alerts   []balance.Alert
	resolved []string                       // "alert id: reason", in order
	meas     map[string]balance.Measurement // by name, patient, time
	feedback []balance.SessionFeedback
}

func newMemStore(patients ...balance.Patient) *memStore {
	m := &memStore{plans: map[string]balance.Plan{}, patients: map[string]balance.Patient{}, meas: map[string]balance.Measurement{}}
	for _, p := range patients {
		m.patients[p.ID] = p
	}
	return m
}

func (m *memStore) service(cat *Catalog, now func() time.Time) *Service {
	return &Service{Catalog: cat, Store: m, Patients: m, Sessions: m, Risk: m, Falls: m, Alerts: m, Measurements: m, Now: now}
}

func (m *memStore) Patient(_ context.Context, id string) (balance.Patient, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.patients[id]
	if !ok {
		return p, balance.Errorf(balance.ENOTFOUND, "patient %q not found", id)
	}
	return p, nil
}

func (m *memStore) Plan(_ context.Context, id string) (balance.Plan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.plans[id]
	if !ok {
		return p, balance.Errorf(balance.ENOTFOUND, "plan of patient %q not found", id)
	}
	return p, nil
}

func (m *memStore) PlanPatients(context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []string
	for id := range m.plans {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func (m *memStore) AddPlanChange(_ context.Context, p *balance.Plan, c balance.PlanChange) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.ContainsFunc(m.changes, func(x balance.PlanChange) bool { return x.ID == c.ID }) {
		return false, nil
	}
	m.changes = append(m.changes, c)
	if p != nil {
		m.plans[p.PatientID] = *p
	}
	return true, nil
}

func (m *memStore) DecidePlanChange(_ context.Context, p *balance.Plan, c balance.PlanChange) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.changes, func(x balance.PlanChange) bool { return x.ID == c.ID && x.PatientID == c.PatientID })
	if i < 0 {
		return balance.Errorf(balance.ENOTFOUND, "plan change %q not found", c.ID)
	}
	if m.changes[i].Status != balance.ChangePending {
		return balance.Errorf(balance.ECONFLICT, "plan change %s is %s", c.ID, m.changes[i].Status)
	}
	m.changes[i].Status, m.changes[i].DecidedBy, m.changes[i].DecidedAt, m.changes[i].Note = c.Status, c.DecidedBy, c.DecidedAt, c.Note
	if p != nil {
		m.plans[p.PatientID] = *p
	}
	return nil
}

func (m *memStore) PlanChange(_ context.Context, patientID, id string) (balance.PlanChange, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.changes {
		if c.ID == id && c.PatientID == patientID {
			return c, nil
		}
	}
	return balance.PlanChange{}, balance.Errorf(balance.ENOTFOUND, "plan change %q not found", id)
}

func (m *memStore) PlanChanges(_ context.Context, patientID string, since time.Time) ([]balance.PlanChange, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []balance.PlanChange
	for _, c := range m.changes {
		if c.PatientID == patientID && !c.Time.Before(since) {
			out = append(out, c)
		}
	}
	slices.Reverse(out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, nil
}

func (m *memStore) ExerciseSessions(_ context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []balance.ExerciseSession
	for _, s := range m.sessions {
		if s.PatientID == patientID && !s.Start.Before(since) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (m *memStore) RiskAssessments(_ context.Context, patientID string, since time.Time) ([]balance.RiskAssessment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []balance.RiskAssessment
	for _, r := range m.risk {
		if r.PatientID == patientID && !r.Time.Before(since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) Falls(_ context.Context, _ string, since time.Time) ([]time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []time.Time
	for _, f := range m.falls {
		if !f.Before(since) {
			out = append(out, f)
		}
	}
	return out, nil
}

func (m *memStore) Resolve(_ context.Context, id, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.resolved = append(m.resolved, id+": "+reason)
	return nil
}

func (m *memStore) Raise(_ context.Context, a balance.Alert) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.alerts = append(m.alerts, a)
	return nil
}

func (m *memStore) WriteMeasurements(_ context.Context, ms []balance.Measurement) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range ms {
		m.meas[x.Name+"/"+x.PatientID+"/"+x.Time.Format(time.RFC3339Nano)] = x
	}
	return nil
}

func (m *memStore) ReadMeasurements(context.Context, balance.MeasurementQuery) ([]balance.Measurement, error) {
	return nil, nil
}

func (m *memStore) applied(patientID string) []balance.PlanChange {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []balance.PlanChange
	for _, c := range m.changes {
		if c.PatientID == patientID && c.Status == balance.ChangeApplied {
			out = append(out, c)
		}
	}
	return out
}

func (m *memStore) SaveSessionFeedback(_ context.Context, f balance.SessionFeedback) (bool, error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.feedback, func(x balance.SessionFeedback) bool { return x.SessionID == f.SessionID })
	if i < 0 {
		m.feedback = append(m.feedback, f)
		return false, nil
	}
	// Kept simple: the window is checked against the stored (latest)
	// answer, where sqlite checks against the first; the tests replace
	// an answer at most once, where the two agree.
	if m.feedback[i].PatientID != f.PatientID || f.Time.Sub(m.feedback[i].Time) >= balance.FeedbackEditWindow {
		return false, balance.Errorf(balance.ECONFLICT, "session %q was answered on %s", f.SessionID, m.feedback[i].Time)
	}
	m.feedback[i] = f
	return true, nil
}

func (m *memStore) SessionFeedback(_ context.Context, sessionID string) (balance.SessionFeedback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.feedback {
		if f.SessionID == sessionID {
			return f, nil
		}
	}
	return balance.SessionFeedback{}, balance.Errorf(balance.ENOTFOUND, "feedback on session %q not found", sessionID)
}

func (m *memStore) PatientFeedback(_ context.Context, patientID string, since time.Time) ([]balance.SessionFeedback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []balance.SessionFeedback
	for _, f := range m.feedback {
		if f.PatientID == patientID && !f.Time.Before(since) {
			out = append(out, f)
		}
	}
	return out, nil
}
