package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/alerts/email"
	"github.com/balance-pt/balance/alerts/webhook"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/natsauth"
	"github.com/balance-pt/balance/progression"
)

// StateConfig is the "state" section of the configuration: where
// patients, devices, users, plans, the alert outbox and monitoring's
// watermarks are kept.
//
//	state:
//	  driver: sqlite     # default: data_dir/state.db, one process per data directory
//	  # driver: postgres  # several instances share one database (docs/operations.md)
//	  # dsn: "postgres://balance@db.example:5432/balance?sslmode=verify-full&pool_max_conns=10"
//
// The DSN holds a password: give it as BALANCE_STATE_DSN or, from a
// Docker or Kubernetes secret, BALANCE_STATE_DSN_FILE.
type StateConfig struct {
	// Driver is "sqlite" (StateSQLite) or "postgres" (StatePostgres).
	Driver string `yaml:"driver"`
	// DSN is the PostgreSQL connection string, a URL or key=value pairs
	// as pgxpool.ParseConfig reads them (postgres.OpenState).
	DSN string `yaml:"dsn"`
}

// The state drivers.
const (
	StateSQLite   = "sqlite"
	StatePostgres = "postgres"
)

// validate checks the section. The DSN may hold a password: never shown.
func (s StateConfig) validate() error {
	switch s.Driver {
	case StateSQLite:
		if s.DSN != "" {
			return errors.New("state.dsn is set but state.driver is sqlite: set state.driver to postgres (or remove the dsn)")
		}
	case StatePostgres:
		if s.DSN == "" {
			return errors.New("state.dsn (or BALANCE_STATE_DSN, BALANCE_STATE_DSN_FILE) is required with state.driver postgres")
		}
	default:
		return fmt.Errorf("state.driver %q must be sqlite or postgres", s.Driver)
	}
	return nil
}

// MonitoringConfig is the "monitoring" section of the configuration:
//
//	monitoring:
//	  enabled: true          # default
//	  workers: 2
//	  queue_len: 1024
//	  gait_buffer_mb: 64     # walks and exercise sessions kept as they arrive instead of read back
//	  read_back_samples_per_s: 200000  # limit of the reads of missed samples
//	  clinic:                # monitor.Rules; omitted keys keep the defaults
//	    no_movement_after: 60s
//	    thresholds: {tug_high_s: 13.5}
//	  patients:              # per-patient overrides on top of the clinic's
//	    p1: {expected_hours: "07:00-22:00"}
type MonitoringConfig struct {
	Enabled  *bool `yaml:"enabled"`
	Workers  int   `yaml:"workers"`
	QueueLen int   `yaml:"queue_len"`
	// GaitBufferMB is monitor.Config.GaitBufferMB (0: its default).
	GaitBufferMB float64 `yaml:"gait_buffer_mb"`
	// ReadBackPerS is monitor.Config.ReadBackPerS, samples/s (0: its
	// default, monitor.DefaultReadBackPerS).
	ReadBackPerS float64                  `yaml:"read_back_samples_per_s"`
	Clinic       monitor.Rules            `yaml:"clinic"`
	Patients     map[string]monitor.Rules `yaml:"patients"`
}

// On reports whether monitoring runs.
func (m MonitoringConfig) On() bool { return m.Enabled == nil || *m.Enabled }

// Monitor returns the monitor's configuration.
func (m MonitoringConfig) Monitor() monitor.Config {
	mc := monitor.DefaultConfig()
	if m.Workers != 0 {
		mc.Workers = m.Workers
	}
	if m.QueueLen != 0 {
		mc.QueueLen = m.QueueLen
	}
	if m.GaitBufferMB != 0 {
		mc.GaitBufferMB = m.GaitBufferMB
	}
	if m.ReadBackPerS != 0 {
		mc.ReadBackPerS = m.ReadBackPerS
	}
	mc.Clinic, mc.Patients = m.Clinic, m.Patients
	return mc
}

// ProgressionConfig is the "progression" section of the configuration:
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
type ProgressionConfig struct {
	Enabled       *bool             `yaml:"enabled"`
	Catalog       string            `yaml:"catalog"`
	Mode          string            `yaml:"mode"`
	EvaluateEvery time.Duration     `yaml:"evaluate_every"`
	SessionDelays []time.Duration   `yaml:"session_delays"`
	Rules         progression.Rules `yaml:"rules"`

	// catalog is loaded by Validate.
	catalog *progression.Catalog
}

// On reports whether exercise progression runs.
func (p ProgressionConfig) On() bool { return p.Enabled == nil || *p.Enabled }

// validate fills in defaults, checks the section and loads the catalog.
func (p *ProgressionConfig) validate() error {
	if p.Mode == "" {
		p.Mode = balance.PlanSuggest
	}
	if p.Mode != balance.PlanSuggest && p.Mode != balance.PlanAutomatic {
		return fmt.Errorf("progression.mode %q must be suggest or automatic", p.Mode)
	}
	if p.EvaluateEvery == 0 {
		p.EvaluateEvery = 15 * time.Minute
	}
	if p.EvaluateEvery < time.Second {
		return fmt.Errorf("progression.evaluate_every %v must be at least 1s", p.EvaluateEvery)
	}
	if p.SessionDelays == nil {
		p.SessionDelays = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
	}
	for _, d := range p.SessionDelays {
		if d < 0 {
			return fmt.Errorf("progression.session_delays: %v is negative", d)
		}
	}
	if err := p.Rules.Validate(); err != nil {
		return fmt.Errorf("progression.rules: %s", balance.ErrorMessage(err))
	}
	if !p.On() {
		return nil
	}
	cat, err := progression.LoadCatalog(p.Catalog)
	if err != nil {
		return fmt.Errorf("progression.catalog: %s", balance.ErrorMessage(err))
	}
	p.catalog = cat
	return nil
}

// DashboardConfig is the "dashboard" section of the configuration:
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
//	  trusted_proxies: [10.0.0.0/8]  # reverse proxies whose X-Forwarded-For names the client
type DashboardConfig struct {
	Enabled       *bool         `yaml:"enabled"`
	AdminPassword string        `yaml:"admin_password"`
	SecureCookies bool          `yaml:"secure_cookies"`
	SessionTTL    time.Duration `yaml:"session_ttl"`
	LoginFailures int           `yaml:"login_failures"`
	LoginWindow   time.Duration `yaml:"login_window"`
	BcryptCost    int           `yaml:"bcrypt_cost"`
	DemoTherapist string        `yaml:"demo_therapist"`
	DemoPassword  string        `yaml:"demo_password"`
	// TrustedProxies are CIDR prefixes (or single addresses) of reverse
	// proxies in front of balance.
	TrustedProxies []string `yaml:"trusted_proxies"`

	proxies []netip.Prefix // parsed by validate
}

// On reports whether the dashboard, and with it log-in for every route,
// runs.
func (d DashboardConfig) On() bool { return d.Enabled == nil || *d.Enabled }

// validate checks the section.
func (d *DashboardConfig) validate() error {
	var errs []error
	if d.AdminPassword != "" && (len(d.AdminPassword) < 8 || len(d.AdminPassword) > 72) {
		errs = append(errs, errors.New("dashboard.admin_password must be 8 to 72 bytes long"))
	}
	if d.DemoPassword != "" && (len(d.DemoPassword) < 8 || len(d.DemoPassword) > 72) {
		errs = append(errs, errors.New("dashboard.demo_password must be 8 to 72 bytes long"))
	}
	if d.SessionTTL < 0 || d.LoginWindow < 0 || d.LoginFailures < 0 {
		errs = append(errs, errors.New("dashboard: session_ttl, login_window and login_failures must not be negative"))
	}
	if d.BcryptCost != 0 && (d.BcryptCost < 10 || d.BcryptCost > 31) {
		errs = append(errs, fmt.Errorf("dashboard.bcrypt_cost %d must be 10..31 (below 10, stolen hashes are cheap to crack)", d.BcryptCost))
	}
	d.proxies = nil
	for i, p := range d.TrustedProxies {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("dashboard.trusted_proxies[%d] %q is neither a CIDR prefix nor an address", i, p))
				continue
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		d.proxies = append(d.proxies, pfx.Masked())
	}
	return errors.Join(errs...)
}

// notifiers builds the notifier of every channel the alert recipients use,
// and e-mail whenever an SMTP server is set.
func notifiers(ac alerts.Config) (map[string]alerts.Notifier, error) {
	ns := map[string]alerts.Notifier{alerts.ChannelWebhook: webhook.New(ac.WebhookTimeout)}
	// E-mail when a recipient uses it, or when an SMTP server is set (the
	// patients' exercise reminders use it too).
	useEmail := ac.SMTP.Host != ""
	for _, r := range ac.Recipients {
		useEmail = useEmail || r.Channel() == alerts.ChannelEmail
	}
	if useEmail {
		e, err := email.New(ac.SMTP)
		if err != nil {
			return nil, fmt.Errorf("alerts.%w", err)
		}
		ns[alerts.ChannelEmail] = e
	}
	return ns, nil
}

// validateSections fills in the sections' defaults and checks them.
func (c *Config) validateSections() error {
	var errs []error
	if err := c.State.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateNATS(); err != nil {
		errs = append(errs, err)
	}
	c.Alerts.SetDefaults()
	if err := c.Alerts.Validate(); err != nil {
		errs = append(errs, err)
	} else if _, err := notifiers(c.Alerts); err != nil {
		errs = append(errs, err)
	}
	mc := c.Monitoring.Monitor()
	if err := mc.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Progression.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Dashboard.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Dashboard.DemoTherapist == "" && c.Storage.Kind == "embedded" && c.Sim.Devices > 0 {
		c.Dashboard.DemoTherapist = "therapist"
	}
	return errors.Join(errs...)
}

// validateNATS fills in the nats section's defaults (natsingest.Config)
// and checks it, when nats.servers is set: the instance then takes device
// messages from NATS JetStream, not from mqtt.broker, and devices publish
// to the cluster's MQTT listeners, so the embedded broker has no place.
func (c *Config) validateNATS() error {
	if len(c.NATS.Servers) == 0 {
		if c.NATS.DeviceAuth != "" {
			return errors.New("nats.device_auth is set without nats.servers")
		}
		return nil
	}
	var errs []error
	if c.EmbeddedBroker.Enabled {
		errs = append(errs, errors.New("nats.servers is set with embedded_broker.enabled: devices publish to the NATS cluster's MQTT listener; turn the embedded broker off"))
	}
	c.NATS = c.NATS.WithDefaults()
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validateNATSDeviceAuth(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// natsDeviceAuthCallout is nats.device_auth's value that makes every
// instance answer the NATS server's auth callout for devices (package
// natsauth).
const natsDeviceAuthCallout = "callout"

// validateNATSDeviceAuth checks nats.device_auth and what it needs: with
// "callout", a readable account seed in nats.auth_issuer_seed_file and a
// subject root under which nats-server stores MQTT messages.
func (c *Config) validateNATSDeviceAuth() error {
	n := c.NATS
	switch n.DeviceAuth {
	case "":
		if n.AuthIssuerSeedFile != "" || n.AuthSessionMax != 0 {
			return errors.New("nats.auth_issuer_seed_file and nats.auth_session_max need nats.device_auth: callout")
		}
		return nil
	case natsDeviceAuthCallout:
	default:
		return fmt.Errorf("nats.device_auth %q: want %q or nothing (the NATS server's own configuration)", n.DeviceAuth, natsDeviceAuthCallout)
	}
	var errs []error
	if n.AuthIssuerSeedFile == "" {
		errs = append(errs, errors.New("nats.device_auth: callout needs nats.auth_issuer_seed_file, a file holding an account nkey seed (`nk -gen account`) whose public key is the servers' auth_callout.issuer"))
	} else if _, err := natsauth.ReadSeedFile(n.AuthIssuerSeedFile); err != nil {
		errs = append(errs, fmt.Errorf("nats.auth_issuer_seed_file: %w", err))
	}
	if n.AuthSessionMax < 0 {
		errs = append(errs, fmt.Errorf("nats.auth_session_max %v is negative", n.AuthSessionMax))
	}
	if !strings.HasPrefix(n.Subject, "$MQTT.msgs.") {
		errs = append(errs, fmt.Errorf("nats.subject %q with nats.device_auth: callout: must start with $MQTT.msgs. (where nats-server stores devices' MQTT messages)", n.Subject))
	}
	return errors.Join(errs...)
}
