package main

import (
	"context"
	"fmt"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/sqlite"
)

func init() {
	componentFactories = append(componentFactories, func() Component { return &dashboardComponent{} })
}

// dashboardEnabledByDefault turns the dashboard (and with it log-in for
// every route) on when the "dashboard" section does not say otherwise.
// Tests of this package that predate the dashboard call the API without
// logging in; the dashboard's own test file turns this off and enables the
// dashboard explicitly where it tests it.
var dashboardEnabledByDefault = true

// dashboardSection is the "dashboard" section of the configuration:
//
//	dashboard:
//	  enabled: true              # default; false serves the API without log-in
//	  admin_password: "..."      # password of the bootstrap user "admin" created at
//	                             # first start (default: random, printed once)
//	  secure_cookies: false      # Secure cookie attribute even over plain HTTP
//	  session_ttl: 12h
//	  login_failures: 5          # failed log-ins per name or address ...
//	  login_window: 15m          # ... within this window pause log-ins
//	  bcrypt_cost: 10
//	  demo_therapist: therapist  # embedded mode: a therapist with the simulated patients
//	  demo_password: "..."       # (default: random, printed once)
type dashboardSection struct {
	Enabled       *bool         `yaml:"enabled"`
	AdminPassword string        `yaml:"admin_password"`
	SecureCookies bool          `yaml:"secure_cookies"`
	SessionTTL    time.Duration `yaml:"session_ttl"`
	LoginFailures int           `yaml:"login_failures"`
	LoginWindow   time.Duration `yaml:"login_window"`
	BcryptCost    int           `yaml:"bcrypt_cost"`
	DemoTherapist string        `yaml:"demo_therapist"`
	DemoPassword  string        `yaml:"demo_password"`
}

func dashboardConfig(cfg *Config) (dashboardSection, bool, error) {
	var sec dashboardSection
	if err := cfg.Section("dashboard", &sec); err != nil {
		return sec, false, err
	}
	enabled := dashboardEnabledByDefault
	if sec.Enabled != nil {
		enabled = *sec.Enabled
	}
	if sec.AdminPassword != "" && (len(sec.AdminPassword) < 8 || len(sec.AdminPassword) > 72) {
		return sec, false, fmt.Errorf("dashboard.admin_password must be 8 to 72 bytes long")
	}
	if sec.DemoPassword != "" && (len(sec.DemoPassword) < 8 || len(sec.DemoPassword) > 72) {
		return sec, false, fmt.Errorf("dashboard.demo_password must be 8 to 72 bytes long")
	}
	if sec.SessionTTL < 0 || sec.LoginWindow < 0 || sec.LoginFailures < 0 {
		return sec, false, fmt.Errorf("dashboard: session_ttl, login_window and login_failures must not be negative")
	}
	if sec.BcryptCost != 0 && (sec.BcryptCost < 4 || sec.BcryptCost > 31) {
		return sec, false, fmt.Errorf("dashboard.bcrypt_cost %d must be 4..31", sec.BcryptCost)
	}
	if sec.DemoTherapist == "" && cfg.Storage.Kind == "embedded" && cfg.Sim.Devices > 0 {
		sec.DemoTherapist = "therapist"
	}
	return sec, enabled, nil
}

// dashboardComponent serves the therapist dashboard and guards every route
// of the HTTP server with its log-in and access rules.
type dashboardComponent struct {
	app *App
	srv *dashboard.Server
}

func (c *dashboardComponent) Name() string { return "dashboard" }

// Validate refuses an unusable dashboard section before anything starts.
func (c *dashboardComponent) Validate(cfg *Config) error {
	_, _, err := dashboardConfig(cfg)
	return err
}

func (c *dashboardComponent) Init(ctx context.Context, a *App) error {
	sec, enabled, err := dashboardConfig(&a.Config)
	if err != nil || !enabled {
		if err == nil {
			a.Log.Warn("dashboard disabled: the HTTP API is served without log-in")
		}
		return err
	}
	c.app = a
	c.srv, err = dashboard.New(dashboard.Config{
		SecureCookies: sec.SecureCookies, SessionTTL: sec.SessionTTL, LoginFailures: sec.LoginFailures,
		LoginWindow: sec.LoginWindow, BcryptCost: sec.BcryptCost, Log: a.Log.With("component", "dashboard"),
	}, dashboard.Deps{
		Users: a.State, Registry: a.State, Summaries: a.State, Measurements: a.Store, Samples: a.Store,
		Risk: a.State, Sessions: a.State,
	})
	if err != nil {
		return err
	}
	var demoPatients []string
	demoPassword := sec.DemoPassword
	if sec.DemoTherapist != "" {
		if demoPatients, err = c.simPatients(ctx); err != nil {
			return err
		}
		if demoPassword == "" {
			if _, err := a.State.UserByName(ctx, sec.DemoTherapist); balance.ErrorCode(err) == balance.ENOTFOUND {
				demoPassword = dashboard.RandomPassword()
				fmt.Fprintf(a.Out, "dashboard: demo therapist %q created with password %s (shown once)\n", sec.DemoTherapist, demoPassword)
			}
		}
	}
	gen, err := c.srv.Bootstrap(ctx, sec.AdminPassword, sec.DemoTherapist, demoPassword, demoPatients)
	if err != nil {
		return fmt.Errorf("dashboard bootstrap: %w", err)
	}
	if gen != "" {
		fmt.Fprintf(a.Out, "dashboard: admin user \"admin\" created with password %s (shown once; set dashboard.admin_password to choose it)\n", gen)
		a.Log.Info("dashboard admin created; its password was printed once to the console")
	}
	c.srv.Routes(a.Handle)
	a.WrapHTTP(c.srv.Middleware)
	return nil
}

// simPatients registers the simulated patients of the embedded default
// (the simulator's population registers the same ones again, unchanged)
// and the configured patients, and returns their ids for the demo therapist.
func (c *dashboardComponent) simPatients(ctx context.Context) ([]string, error) {
	a := c.app
	var ids []string
	for _, p := range a.Config.Patients {
		ids = append(ids, p.ID)
	}
	s := a.Config.Sim
	for _, d := range sim.Population(s.Devices, simPrefix, s.RateHz, sim.Encoding(s.Encoding), s.Seed, false) {
		if err := a.State.CreatePatient(ctx, d.Model.Patient); err != nil {
			return nil, fmt.Errorf("dashboard: simulated patient %s: %w", d.Model.Patient.ID, err)
		}
		ids = append(ids, d.Model.Patient.ID)
	}
	return ids, nil
}

// Start wires in alerts and progression, which exist once every
// component's Init has run.
func (c *dashboardComponent) Start(ctx context.Context) error {
	if c.srv == nil {
		return nil
	}
	var as dashboard.AlertSource
	if svc := alertServiceFor(c.app); svc != nil {
		as = alertsAdapter{svc: svc, store: c.app.State.AlertStore()}
	}
	var ps dashboard.PlanSource
	for _, comp := range c.app.components {
		if pc, ok := comp.(*progressionComponent); ok && pc.svc != nil {
			ps = pc.svc
		}
	}
	c.srv.SetSources(c.app.State, c.app.State, as, ps)
	fmt.Fprintf(c.app.Out, "dashboard: http://%s/ (log in; the API takes the same users with HTTP Basic auth)\n", c.app.HTTPAddr())
	return nil
}

func (c *dashboardComponent) Close() error { return nil }

// alertsAdapter gives the dashboard the alerts it shows and acknowledges.
type alertsAdapter struct {
	svc   *alerts.Service
	store *sqlite.AlertStore
}

func (a alertsAdapter) PatientAlerts(ctx context.Context, patientID, status string, limit int) ([]balance.Alert, error) {
	return a.store.Alerts(ctx, alerts.AlertFilter{PatientID: patientID, Status: status, Limit: limit})
}

func (a alertsAdapter) Alert(ctx context.Context, id string) (balance.Alert, error) {
	return a.store.Alert(ctx, id)
}

func (a alertsAdapter) Ack(ctx context.Context, id, by string) (balance.Alert, error) {
	return a.svc.Ack(ctx, id, by)
}
