package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/sim"
)

// Note is the note on every plan change, review entry and alert the demo
// history makes (with Tag on measurements and SessionPrefix in session ids,
// it tells demo data from real data).
const Note = "demo history, generated at first start"

// State is what the backfill needs of the state database.
type State interface {
	SaveExerciseSession(ctx context.Context, e balance.ExerciseSession) error
	LogReview(ctx context.Context, e balance.ReviewEntry) error
}

// Store is what the backfill needs of the time-series store.
type Store interface {
	balance.SampleWriter
	balance.MeasurementStore
}

// Alerts raises and acknowledges alerts (*alerts.Service).
type Alerts interface {
	Raise(ctx context.Context, a balance.Alert) error
	Ack(ctx context.Context, id, by string) (balance.Alert, error)
}

// Deps are the stores and services the history is written through.
type Deps struct {
	State  State
	Store  Store
	Alerts Alerts
	// Progression returns a progression service on the real stores whose
	// clock is now (one per patient: each patient's history runs on its
	// own clock).
	Progression func(now func() time.Time) *progression.Service
	// Assess assesses and stores a patient's fall risk at a time as
	// monitoring does (raising its alert when the level rises); nil: no
	// risk history.
	Assess func(ctx context.Context, patientID string, at time.Time) error
	// Rules are monitoring's rules of a patient (for the fall alert).
	Rules func(patientID string) monitor.Rules
	Log   *slog.Logger
}

// Config says what history to make.
type Config struct {
	// Now is the end of the history (the first start); the history covers
	// the Days whole UTC days before Now's day.
	Now  time.Time
	Days int
	// RateHz is the simulated sample rate.
	RateHz float64
	// RawDays: the raw samples of the sway tests of this many last days
	// are stored (and of every session of the last day); the other days
	// keep only their sessions and measurements.
	RawDays int
	// Therapist and TherapistID are the clinician who approves
	// suggestions, acknowledges alerts and logs review time.
	Therapist   string
	TherapistID int64
}

// Patient is a demo patient: a simulated wearer with its device and role.
type Patient struct {
	Device sim.SimDevice
	Role   Role
}

// Report counts what the backfill wrote.
type Report struct {
	Patients, Sessions, Measurements, Samples, PlanChanges, Alerts atomic.Int64
}

// Backfill writes the demo history of the patients, one goroutine each,
// into empty stores (the caller checks that they are).
func Backfill(ctx context.Context, cfg Config, deps Deps, patients []Patient) (*Report, error) {
	if cfg.Days < 14 || cfg.RateHz <= 0 {
		return nil, balance.Errorf(balance.EINVALID, "demo: %d days at %v Hz: at least 14 days and a rate are needed", cfg.Days, cfg.RateHz)
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{}
	errs := make([]error, len(patients))
	var mu sync.Mutex // the stores take one writer at a time (SQLite)
	var wg sync.WaitGroup
	for i, p := range patients {
		wg.Go(func() {
			h := &history{cfg: cfg, deps: deps, p: p, rep: rep, mu: &mu}
			if err := h.run(ctx); err != nil {
				errs[i] = fmt.Errorf("demo history of %s: %w", p.Device.Model.Patient.ID, err)
			}
		})
	}
	wg.Wait()
	return rep, errors.Join(errs...)
}

// history writes one patient's history, day by day, on its own clock.
type history struct {
	cfg  Config
	deps Deps
	p    Patient
	rep  *Report
	// mu is held while writing: the patients' sessions are synthesised
	// and analysed in parallel, written one patient at a time.
	mu    *sync.Mutex
	clock time.Time
	svc   *progression.Service
	w     wearer
	rng   *rand.Rand
}

func (h *history) run(ctx context.Context) error {
	m := h.p.Device.Model
	pat := m.Patient
	h.w = wearer{patient: pat, device: h.p.Device.Config.ID, sensor: h.p.Device.Sensor, rate: h.cfg.RateHz}
	h.rng = rand.New(rand.NewPCG(m.Seed, 0xde70))
	h.svc = h.deps.Progression(func() time.Time { return h.clock })
	n := h.cfg.Days
	first := h.cfg.Now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -n)
	h.clock = first.Add(8 * time.Hour)
	level := InitialLevel(h.p.Role, sim.BodyFor(pat, Impairment(h.p.Role, m.Baseline, 0, n)), h.svc.Catalog)
	h.mu.Lock()
	_, err := h.svc.SetPlan(ctx, pat.ID, progression.PlanRequest{LevelID: level, SessionsPerWeek: 4, Mode: balance.PlanSuggest,
		By: h.cfg.Therapist, Note: Note})
	h.mu.Unlock()
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	h.rep.Patients.Add(1)
	for d := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := h.day(ctx, d, first.AddDate(0, 0, d)); err != nil {
			return fmt.Errorf("day %d: %w", d-n, err)
		}
	}
	return nil
}

// day writes day d (starting at midnight UTC day0) of the history.
func (h *history) day(ctx context.Context, d int, day0 time.Time) error {
	n := h.cfg.Days
	m := h.p.Device.Model
	body := sim.BodyFor(m.Patient, Impairment(h.p.Role, m.Baseline, d, n))
	plan := PlanDay(h.p.Role, d, n, h.rng)
	seed := m.Seed ^ uint64(d+1)*0x9e3779b97f4a7c15
	at := func(hour float64) time.Time {
		return day0.Add(time.Duration((hour + h.rng.Float64()/2) * float64(time.Hour))).Truncate(time.Second)
	}
	rawAll := d == n-1
	var batch dayBatch

	// A therapist approves the suggestions of earlier days in the morning
	// (the last three days' stay open, for the demo to show).
	h.mu.Lock()
	level, err := h.morning(ctx, d, day0)
	h.mu.Unlock()
	if err != nil {
		return err
	}
	if plan.SwayTest {
		if err := batch.add(h.w.record(swayTest(body, h.cfg.RateHz, seed+1), at(9), "", false))(d >= n-h.cfg.RawDays); err != nil {
			return err
		}
	}
	if plan.Exercise {
		if err := batch.add(h.w.record(exercise(body, holdStance(level), h.cfg.RateHz, seed+2), at(11), level, false))(rawAll); err != nil {
			return err
		}
	}
	if plan.Tests {
		if err := batch.add(h.w.record(timedTests(body, h.cfg.RateHz, seed+3), at(15), "", false))(rawAll); err != nil {
			return err
		}
	}
	if plan.Walk {
		if err := batch.add(h.w.record(walkAbout(body, 60+h.rng.IntN(60), h.cfg.RateHz, seed+4), at(17), "", true))(rawAll); err != nil {
			return err
		}
	}
	if plan.Fall {
		if err := batch.add(h.w.record(fall(body, h.cfg.RateHz, seed+5), at(14), "", false))(true); err != nil {
			return err
		}
	}
	review := at(18)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.write(ctx, &batch); err != nil {
		return err
	}
	for _, ev := range batch.falls {
		if err := h.fallAlert(ctx, ev); err != nil {
			return err
		}
	}
	// Progression evaluates after the day's sessions, as the scheduler
	// would; risk is assessed every third day and after a fall.
	if plan.Exercise || plan.Fall {
		h.clock = day0.Add(20 * time.Hour)
		_, c, err := h.svc.Evaluate(ctx, m.Patient.ID)
		if err != nil {
			return fmt.Errorf("progression: %w", err)
		}
		if c != nil {
			h.rep.PlanChanges.Add(1)
		}
	}
	if h.deps.Assess != nil && (d%3 == 2 || plan.Fall || d == n-1) {
		if err := h.deps.Assess(ctx, m.Patient.ID, day0.Add(21*time.Hour)); err != nil {
			return fmt.Errorf("risk: %w", err)
		}
	}
	if d >= n-30 && d%4 == 1 && h.cfg.TherapistID != 0 {
		e := balance.ReviewEntry{UserID: h.cfg.TherapistID, Username: h.cfg.Therapist, PatientID: m.Patient.ID, Start: review,
			Seconds: float64(300 + h.rng.IntN(360)), Activity: "reviewed sessions and trends (" + Note + ")"}
		if err := h.deps.State.LogReview(ctx, e); err != nil {
			return fmt.Errorf("review log: %w", err)
		}
	}
	return nil
}

// morning approves pending suggestions (not in the last three days) and
// returns the plan's level for the day.
func (h *history) morning(ctx context.Context, d int, day0 time.Time) (string, error) {
	if d < h.cfg.Days-3 {
		h.clock = day0.Add(8 * time.Hour)
		if err := h.approvePending(ctx); err != nil {
			return "", err
		}
	}
	p, err := h.svc.Store.Plan(ctx, h.w.patient.ID)
	if err != nil {
		return "", fmt.Errorf("plan: %w", err)
	}
	return p.LevelID, nil
}

// dayBatch gathers a day's sessions, measurements and stored samples.
type dayBatch struct {
	sessions []balance.ExerciseSession
	meas     []balance.Measurement
	samples  [][]balance.Sample
	falls    []fallAt
}

// fallAt is a detected fall with what its alert needs.
type fallAt struct {
	info monitor.FallInfo
}

// add returns a function that adds r (keeping its samples when raw) or
// returns err.
func (b *dayBatch) add(r recorded, err error) func(raw bool) error {
	return func(raw bool) error {
		if err != nil {
			return err
		}
		b.sessions = append(b.sessions, r.sessions...)
		b.meas = append(b.meas, r.meas...)
		if raw {
			b.samples = append(b.samples, r.samples)
		}
		for _, ev := range r.falls {
			b.falls = append(b.falls, fallAt{info: monitor.FallInfoFor(ev, monitor.Rules{})})
		}
		return nil
	}
}

// write stores a day: raw samples (in batches of up to MaxBatchSize),
// measurements, sessions.
func (h *history) write(ctx context.Context, b *dayBatch) error {
	var bs []*balance.Batch
	for _, ss := range b.samples {
		for len(ss) > 0 {
			k := min(len(ss), balance.MaxBatchSize)
			bs = append(bs, &balance.Batch{DeviceID: h.w.device, PatientID: h.w.patient.ID, RateHz: h.cfg.RateHz, Samples: ss[:k]})
			h.rep.Samples.Add(int64(k))
			ss = ss[k:]
		}
	}
	if len(bs) > 0 {
		if err := h.deps.Store.WriteBatches(ctx, bs); err != nil {
			return fmt.Errorf("samples: %w", err)
		}
	}
	if len(b.meas) > 0 {
		if err := h.deps.Store.WriteMeasurements(ctx, b.meas); err != nil {
			return fmt.Errorf("measurements: %w", err)
		}
		h.rep.Measurements.Add(int64(len(b.meas)))
	}
	for _, s := range b.sessions {
		if err := h.deps.State.SaveExerciseSession(ctx, s); err != nil {
			return fmt.Errorf("session: %w", err)
		}
		h.rep.Sessions.Add(1)
	}
	return nil
}

// fallAlert raises the fall's alert as monitoring would, and the therapist
// acknowledges it.
func (h *history) fallAlert(ctx context.Context, f fallAt) error {
	info := f.info
	if h.deps.Rules != nil {
		info.NoMovementAfter = h.deps.Rules(h.w.patient.ID).NoMovementAfter
	}
	a := monitor.FallAlert(h.w.patient.ID, h.w.device, info)
	a.CreatedAt = time.Unix(0, info.DecidedNS).UTC()
	a.Details[Tag] = Note
	if err := h.deps.Alerts.Raise(ctx, a); err != nil {
		return fmt.Errorf("fall alert: %w", err)
	}
	h.rep.Alerts.Add(1)
	if _, err := h.deps.Alerts.Ack(ctx, a.ID, h.cfg.Therapist); err != nil {
		return fmt.Errorf("fall alert ack: %w", err)
	}
	return nil
}

// approvePending approves the patient's pending step-up suggestions (and
// acknowledges their alerts) as the therapist; one the rules no longer
// support stays pending.
func (h *history) approvePending(ctx context.Context) error {
	id := h.w.patient.ID
	cs, err := h.svc.Store.PlanChanges(ctx, id, time.Time{})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Status != balance.ChangePending {
			continue
		}
		if _, err := h.svc.Decide(ctx, id, c.ID, true, h.cfg.Therapist, Note); err != nil {
			if balance.ErrorCode(err) == balance.ECONFLICT {
				continue
			}
			return fmt.Errorf("approve %s: %w", c.ID, err)
		}
		h.rep.PlanChanges.Add(1)
		if _, err := h.deps.Alerts.Ack(ctx, "alert-"+c.ID, h.cfg.Therapist); err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
			return fmt.Errorf("ack suggestion alert: %w", err)
		}
	}
	return nil
}

// InitialLevel is the level the demo therapist first assigns: the hardest
// ladder rung the patient holds for 30 s with a small chance of a loss
// (StartLossChance of the role), with one hand's support for the improving
// patient (who then climbs through support first); the catalog's start
// level when the catalog has no such level.
func InitialLevel(r Role, b sim.Body, cat *progression.Catalog) string {
	c := sim.Ladder[0]
	for _, rung := range sim.Ladder {
		if rung.LossProbability(b) < StartLossChance(r) {
			c = rung
		}
	}
	if r == RoleImproving {
		c.Support = "one_hand"
	}
	if id := c.ExerciseID(); cat.Level(id) != nil {
		return id
	}
	return cat.StartLevel
}

// StartLossChance is the chance of a loss of balance in a 30 s hold at the
// first level of a role: small for the improving patient (who should
// progress), larger for the declining one (whose holds then fail as the
// impairment rises).
func StartLossChance(r Role) float64 {
	switch r {
	case RoleImproving:
		return 0.02
	case RoleDeclining:
		return 0.10
	}
	return 0.04
}
