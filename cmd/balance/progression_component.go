package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/sqlite"
)

func init() {
	componentFactories = append(componentFactories, func() Component { return &progressionComponent{} })
}

var _ progression.PlanStore = (*sqlite.StateDB)(nil)

// progressionSection is the "progression" section of the configuration:
//
//	progression:
//	  enabled: true                  # default
//	  catalog: /etc/balance/clinic-catalog.yaml   # default: the built-in catalog
//	  mode: suggest                  # mode of newly assigned plans: suggest or automatic
//	  evaluate_every: 15m            # sweep of every plan (falls, risk)
//	  session_delays: [10s, 1m, 5m]  # evaluations after a session's stop event
//	  rules:                         # progression.Rules; omitted keys keep the defaults
//	    consecutive_sessions: 3
//	    target_hold_s: 30
type progressionSection struct {
	Enabled       *bool                `yaml:"enabled"`
	Catalog       string               `yaml:"catalog"`
	Mode          string               `yaml:"mode"`
	EvaluateEvery time.Duration        `yaml:"evaluate_every"`
	SessionDelays []time.Duration      `yaml:"session_delays"`
	Rules         progression.Rules    `yaml:"rules"`
	catalog       *progression.Catalog `yaml:"-"`
}

// progressionConfig decodes and checks the section, loading the catalog.
func progressionConfig(cfg *Config) (progressionSection, error) {
	var sec progressionSection
	if err := cfg.Section("progression", &sec); err != nil {
		return sec, err
	}
	if sec.Mode == "" {
		sec.Mode = balance.PlanSuggest
	}
	if sec.Mode != balance.PlanSuggest && sec.Mode != balance.PlanAutomatic {
		return sec, fmt.Errorf("progression.mode %q must be suggest or automatic", sec.Mode)
	}
	if sec.EvaluateEvery == 0 {
		sec.EvaluateEvery = 15 * time.Minute
	}
	if sec.EvaluateEvery < time.Second {
		return sec, fmt.Errorf("progression.evaluate_every %v must be at least 1s", sec.EvaluateEvery)
	}
	if sec.SessionDelays == nil {
		sec.SessionDelays = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
	}
	for _, d := range sec.SessionDelays {
		if d < 0 {
			return sec, fmt.Errorf("progression.session_delays: %v is negative", d)
		}
	}
	if err := sec.Rules.Validate(); err != nil {
		return sec, fmt.Errorf("progression.rules: %s", balance.ErrorMessage(err))
	}
	if sec.Enabled != nil && !*sec.Enabled {
		return sec, nil
	}
	cat, err := progression.LoadCatalog(sec.Catalog)
	if err != nil {
		return sec, fmt.Errorf("progression.catalog: %s", balance.ErrorMessage(err))
	}
	sec.catalog = cat
	return sec, nil
}

// progressionComponent runs exercise progression: it evaluates plans after
// each exercise session and periodically, and serves the plan API.
type progressionComponent struct {
	app  *App
	sec  progressionSection
	svc  *progression.Service
	mu   sync.Mutex
	due  map[string][]time.Time // patient -> evaluations due
	stop chan struct{}
	done chan struct{}

	closeOnce sync.Once
}

// Name is the configuration section.
func (c *progressionComponent) Name() string { return "progression" }

// Validate refuses an unusable section or catalog before anything starts.
func (c *progressionComponent) Validate(cfg *Config) error {
	_, err := progressionConfig(cfg)
	return err
}

// Init loads the catalog, builds the service, hooks device events and
// registers the routes.
func (c *progressionComponent) Init(ctx context.Context, a *App) error {
	sec, err := progressionConfig(&a.Config)
	if err != nil || sec.catalog == nil {
		return err
	}
	c.app, c.sec, c.due = a, sec, map[string][]time.Time{}
	c.svc = &progression.Service{
		Catalog: sec.catalog, Rules: sec.Rules, Store: a.State, Patients: a.State, DefaultMode: sec.Mode,
		Falls: storeFalls{a.Store}, Measurements: a.Store, Log: a.Log.With("component", "progression"),
	}
	// Sessions and risk come from monitoring's tables when it is built in.
	if s, ok := any(a.State).(progression.SessionSource); ok {
		c.svc.Sessions = s
	} else {
		a.Log.Warn("progression: no measured sessions available; plans will hold")
	}
	if r, ok := any(a.State).(riskLister); ok {
		c.svc.Risk = riskAdapter{r}
	}
	a.OnEvent = append(a.OnEvent, c.onEvent)
	c.svc.Register(a.Handle)
	a.Log.Info("exercise progression ready", "catalog", sec.catalog.Name, "version", sec.catalog.Version, "levels", len(sec.catalog.Levels), "mode", sec.Mode)
	return nil
}

// onEvent schedules evaluations after an exercise session stops, giving
// monitoring time to store the measured session. It never blocks.
func (c *progressionComponent) onEvent(e balance.DeviceEvent) {
	if e.Action != "stop" || e.PatientID == "" || (e.Kind != balance.SessionExercise && e.Kind != "") {
		return
	}
	now := time.Now()
	c.mu.Lock()
	for _, d := range c.sec.SessionDelays {
		c.due[e.PatientID] = append(c.due[e.PatientID], now.Add(d))
	}
	c.mu.Unlock()
}

// Start finds the alert sink and starts the evaluation loop.
func (c *progressionComponent) Start(ctx context.Context) error {
	if c.svc == nil {
		return nil
	}
	if s := alertSinkFor(c.app); s != nil {
		c.svc.Alerts = s
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.run(c.stop, c.done)
	return nil
}

// run evaluates patients whose evaluations are due (checked every second)
// and sweeps every plan every EvaluateEvery.
func (c *progressionComponent) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sweep := time.NewTicker(c.sec.EvaluateEvery)
	defer sweep.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	for {
		select {
		case <-stop:
			return
		case <-sweep.C:
			if _, err := c.svc.EvaluateAll(ctx); err != nil && ctx.Err() == nil {
				c.app.Log.Warn("progression sweep", "err", err)
			}
		case now := <-tick.C:
			for _, id := range c.takeDue(now) {
				if _, _, err := c.svc.Evaluate(ctx, id); err != nil && balance.ErrorCode(err) != balance.ENOTFOUND && ctx.Err() == nil {
					c.app.Log.Warn("progression evaluation", "patient", id, "err", err)
				}
			}
		}
	}
}

// takeDue removes and returns the patients with an evaluation due by now.
func (c *progressionComponent) takeDue(now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id, ts := range c.due {
		rest := ts[:0]
		fire := false
		for _, t := range ts {
			if !t.After(now) {
				fire = true
			} else {
				rest = append(rest, t)
			}
		}
		if fire {
			ids = append(ids, id)
		}
		if len(rest) == 0 {
			delete(c.due, id)
		} else {
			c.due[id] = rest
		}
	}
	return ids
}

// Close stops the evaluation loop.
func (c *progressionComponent) Close() error {
	c.closeOnce.Do(func() {
		if c.stop != nil {
			close(c.stop)
			<-c.done
		}
	})
	return nil
}

// riskLister is monitoring's risk history on the state database.
type riskLister interface {
	RiskAssessments(ctx context.Context, patientID string, since time.Time, limit int) ([]balance.RiskAssessment, error)
}

type riskAdapter struct{ r riskLister }

func (r riskAdapter) RiskAssessments(ctx context.Context, patientID string, since time.Time) ([]balance.RiskAssessment, error) {
	return r.r.RiskAssessments(ctx, patientID, since, 1000)
}

// storeFalls reads detected falls from the "fall" measurements that
// monitoring writes.
type storeFalls struct{ ms balance.MeasurementStore }

func (s storeFalls) Falls(ctx context.Context, patientID string, since time.Time) ([]time.Time, error) {
	ms, err := s.ms.ReadMeasurements(ctx, balance.MeasurementQuery{Name: "fall", PatientID: patientID, From: since, To: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Time)
	}
	return out, nil
}
