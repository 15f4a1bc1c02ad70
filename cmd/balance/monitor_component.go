package main

import (
	"bytes"
	"context"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/monitor"
)

func init() {
	componentFactories = append(componentFactories, func() Component { return &monitorComponent{} })
}

// monitoringSection is the "monitoring" section of the configuration file:
//
//	monitoring:
//	  enabled: true          # default
//	  workers: 2
//	  queue_len: 1024
//	  clinic:                # monitor.Rules; omitted keys keep the defaults
//	    no_movement_after: 60s
//	    thresholds: {tug_high_s: 13.5}
//	  patients:              # per-patient overrides on top of the clinic's
//	    p1: {expected_hours: "07:00-22:00"}
type monitoringSection struct {
	Enabled  *bool                `yaml:"enabled"`
	Workers  int                  `yaml:"workers"`
	QueueLen int                  `yaml:"queue_len"`
	Clinic   yaml.Node            `yaml:"clinic"`
	Patients map[string]yaml.Node `yaml:"patients"`
}

// monitorComponent runs package monitor: it takes every stored batch and
// device event, and serves the risk, sessions and measurements API.
type monitorComponent struct {
	app *App
	mon *monitor.Monitor
}

// Name implements Component.
func (c *monitorComponent) Name() string { return "monitoring" }

// monitorConfig decodes and validates the section; enabled is false when
// monitoring is turned off.
func monitorConfig(cfg *Config) (mc monitor.Config, enabled bool, err error) {
	var sec monitoringSection
	if err := cfg.Section("monitoring", &sec); err != nil {
		return mc, false, err
	}
	mc = monitor.DefaultConfig()
	if sec.Workers != 0 {
		mc.Workers = sec.Workers
	}
	if sec.QueueLen != 0 {
		mc.QueueLen = sec.QueueLen
	}
	if err := decodeStrict(&sec.Clinic, &mc.Clinic); err != nil {
		return mc, false, fmt.Errorf("config section monitoring.clinic: %w", err)
	}
	for id, node := range sec.Patients {
		r := mc.Clinic
		if err := decodeStrict(&node, &r); err != nil {
			return mc, false, fmt.Errorf("config section monitoring.patients.%s: %w", id, err)
		}
		if mc.Patients == nil {
			mc.Patients = map[string]monitor.Rules{}
		}
		mc.Patients[id] = r
	}
	if err := mc.Validate(); err != nil {
		return mc, false, err
	}
	return mc, sec.Enabled == nil || *sec.Enabled, nil
}

// decodeStrict decodes a YAML node onto dst, refusing unknown keys.
func decodeStrict(node *yaml.Node, dst any) error {
	if node.Kind == 0 {
		return nil
	}
	b, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(dst)
}

// Validate refuses an unusable monitoring section before anything starts.
func (c *monitorComponent) Validate(cfg *Config) error {
	_, _, err := monitorConfig(cfg)
	return err
}

// Init implements Component: it reads the section, creates the monitor and
// registers its hooks and routes.
func (c *monitorComponent) Init(ctx context.Context, a *App) error {
	mc, enabled, err := monitorConfig(&a.Config)
	if err != nil || !enabled {
		return err
	}
	deps := monitor.Deps{Store: a.Store, State: a.State, Log: a.Log.With("component", "monitor")}
	if p, ok := any(a.State).(planReader); ok {
		deps.Plans = plansAdapter{p}
	}
	if c.mon, err = monitor.New(mc, deps); err != nil {
		return err
	}
	c.app = a
	a.OnBatch = append(a.OnBatch, c.mon.OnBatch)
	a.OnEvent = append(a.OnEvent, c.mon.OnEvent)
	a.Handle("GET /api/v1/patients/{id}/risk", c.mon.RiskHandler())
	a.Handle("GET /api/v1/patients/{id}/sessions", c.mon.SessionsHandler())
	a.Handle("GET /api/v1/patients/{id}/measurements", c.mon.MeasurementsHandler())
	return nil
}

// Start implements Component: the monitor gets the alert sink and starts.
func (c *monitorComponent) Start(ctx context.Context) error {
	if c.mon == nil {
		return nil
	}
	sink := alertSinkFor(c.app)
	if sink == nil {
		c.app.Log.Warn("monitoring runs without an alert sink: alerts are logged and retried until one exists")
	}
	c.mon.SetSink(sink)
	return c.mon.Start(ctx)
}

// Close implements Component.
func (c *monitorComponent) Close() error {
	if c.mon == nil {
		return nil
	}
	return c.mon.Close()
}

// planReader is the progression engineer's plan store, when built in.
type planReader interface {
	Plan(ctx context.Context, patientID string) (balance.Plan, error)
}

// plansAdapter reads a patient's planned sessions per week from the plans.
type plansAdapter struct{ p planReader }

// SessionsPerWeek implements monitor.Plans.
func (p plansAdapter) SessionsPerWeek(ctx context.Context, patientID string) (float64, bool, error) {
	plan, err := p.p.Plan(ctx, patientID)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return float64(plan.SessionsPerWeek), true, nil
}
