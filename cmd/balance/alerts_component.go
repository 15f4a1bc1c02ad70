package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/alerts/webhook"
)

// alertsComponent is alert delivery: the balance.AlertSink that monitoring
// raises into (find it with alertSinkFor), its outbox in the state
// database, the notifiers, and the acknowledgement API. It reads the
// "alerts" configuration section (alerts.Config, documented in
// docs/alerts.md). Without the section, alerts are stored and shown by the
// API but sent to nobody.
type alertsComponent struct {
	app *App
	svc *alerts.Service
}

func init() {
	componentFactories = append(componentFactories, func() Component { return &alertsComponent{} })
}

// Name implements Component.
func (c *alertsComponent) Name() string { return "alerts" }

// readAlertsConfig decodes, defaults and validates the alerts section.
func readAlertsConfig(cfg *Config) (alerts.Config, error) {
	var ac alerts.Config
	if err := cfg.Section("alerts", &ac); err != nil {
		return ac, err
	}
	ac.SetDefaults()
	return ac, ac.Validate()
}

// Validate implements the optional configuration check run at start.
func (c *alertsComponent) Validate(cfg *Config) error {
	ac, err := readAlertsConfig(cfg)
	if err != nil {
		return err
	}
	_, err = notifiers(ac)
	return err
}

// notifiers builds the notifier of every channel the recipients use.
func notifiers(ac alerts.Config) (map[string]alerts.Notifier, error) {
	ns := map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(ac.WebhookTimeout)}
	for _, r := range ac.Recipients {
		if r.Channel() == alerts.ChannelEmail {
			e, err := email.New(ac.SMTP)
			if err != nil {
				return nil, fmt.Errorf("alerts.%w", err)
			}
			ns[alerts.ChannelEmail] = e
			break
		}
	}
	return ns, nil
}

// Init implements Component.
func (c *alertsComponent) Init(ctx context.Context, a *App) error {
	ac, err := readAlertsConfig(&a.Config)
	if err != nil {
		return err
	}
	ns, err := notifiers(ac)
	if err != nil {
		return err
	}
	store := a.State.AlertStore()
	c.svc, err = alerts.New(ac, store, alerts.Options{
		Notifiers: ns,
		Logger:    a.Log.With("component", "alerts"),
		Metrics:   alerts.NewMetrics(a.Registry, store.DeliveryCounts),
	})
	if err != nil {
		return err
	}
	c.app = a
	c.svc.Routes(a.Handle)
	registerAlertSink(a, c.svc)
	if len(ac.Recipients) == 0 {
		a.Log.Warn("alerts: no recipients configured; alerts are stored and listed at /api/v1/alerts but sent to nobody")
	}
	return nil
}

// Start implements Component: deliveries interrupted by the last stop
// resume now.
func (c *alertsComponent) Start(ctx context.Context) error { return c.svc.Start(ctx) }

// Close implements Component.
func (c *alertsComponent) Close() error {
	if c.svc == nil {
		return nil
	}
	err := c.svc.Close()
	unregisterAlertSink(c.app)
	return err
}

var alertSinks = struct {
	sync.Mutex
	m map[*App]*alerts.Service
}{m: map[*App]*alerts.Service{}}

func registerAlertSink(a *App, s *alerts.Service) {
	alertSinks.Lock()
	defer alertSinks.Unlock()
	alertSinks.m[a] = s
}

func unregisterAlertSink(a *App) {
	alertSinks.Lock()
	defer alertSinks.Unlock()
	delete(alertSinks.m, a)
}

// alertSinkFor returns the alert sink of an app, for other components to
// raise alerts into (call it in Start, or in Init of a component whose file
// sorts after alerts_component.go). It is nil only if the alerts component
// failed to initialise.
func alertSinkFor(a *App) balance.AlertSink {
	if s := alertServiceFor(a); s != nil {
		return s
	}
	return nil
}

// alertServiceFor returns the alerts service of an app (nil if none).
func alertServiceFor(a *App) *alerts.Service {
	alertSinks.Lock()
	defer alertSinks.Unlock()
	return alertSinks.m[a]
}
