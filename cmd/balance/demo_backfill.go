package main

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/demo"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/sim"
)

// demoRawDays is how many last days of the demo history keep the raw
// samples of their sway tests (the RTM report counts days with samples).
const demoRawDays = 35

// backfillDemo gives the embedded default's simulated patients weeks of
// history at the first start (sim.history_days; package demo), so that the
// dashboard is informative at once. It does nothing when the history is
// off, when monitoring, progression or the dashboard is off, or when a
// simulated patient has a plan already (a restart: the history is there).
func (a *App) backfillDemo(ctx context.Context) error {
	c := a.Config
	if c.Sim.Devices == 0 || c.Sim.HistoryDays == 0 || a.Monitor == nil || a.Progression == nil || a.Dashboard == nil {
		return nil
	}
	var patients []demo.Patient
	for i, d := range sim.Population(c.Sim.Devices, simPrefix, c.Sim.RateHz, sim.Encoding(c.Sim.Encoding), c.Sim.Seed, false) {
		_, err := a.State.Plan(ctx, d.Model.Patient.ID)
		if err == nil {
			a.Log.Info("demo history present; not generated again", "patient", d.Model.Patient.ID)
			return nil
		}
		if balance.ErrorCode(err) != balance.ENOTFOUND {
			return fmt.Errorf("demo history: %w", err)
		}
		patients = append(patients, demo.Patient{Device: d, Role: demo.RoleFor(i)})
	}
	cfg := demo.Config{Now: time.Now(), Days: c.Sim.HistoryDays, RateHz: c.Sim.RateHz, RawDays: demoRawDays, Therapist: c.Dashboard.DemoTherapist}
	if u, err := a.State.UserByName(ctx, c.Dashboard.DemoTherapist); err == nil {
		cfg.TherapistID = u.ID
	}
	mc := c.Monitoring.Monitor()
	deps := demo.Deps{
		State: a.State, Store: a.Store, Alerts: a.Alerts,
		Progression: func(now func() time.Time) *progression.Service {
			svc := newProgression(c.Progression, a.State, a.Store, a.Alerts, a.Log)
			svc.Now = now
			return svc
		},
		Assess: func(ctx context.Context, patientID string, at time.Time) error {
			_, err := a.Monitor.AssessPatientAt(ctx, patientID, at)
			return err
		},
		Rules: mc.RulesFor,
		Log:   a.Log.With("component", "demo"),
	}
	start := time.Now()
	rep, err := demo.Backfill(ctx, cfg, deps, patients)
	if err != nil {
		return err
	}
	took := time.Since(start)
	a.Log.Info("demo history generated", "days", cfg.Days, "patients", rep.Patients.Load(), "sessions", rep.Sessions.Load(),
		"measurements", rep.Measurements.Load(), "raw_samples", rep.Samples.Load(), "plan_changes", rep.PlanChanges.Load(), "took", took.Round(time.Millisecond))
	fmt.Fprintf(a.Out, "demo: %d days of history for %d simulated patients generated in %s (marked demo; README: \"What to look at in the demo\")\n",
		cfg.Days, rep.Patients.Load(), took.Round(100*time.Millisecond))
	return nil
}
