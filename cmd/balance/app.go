package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
	"github.com/balance-pt/balance/broker"
	"github.com/balance-pt/balance/dashboard"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/monitor"
	"github.com/balance-pt/balance/mqttauth"
	"github.com/balance-pt/balance/natsingest"
	"github.com/balance-pt/balance/progression"
	"github.com/balance-pt/balance/reminders"
	"github.com/balance-pt/balance/sim"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
)

// App is the running system: the same wiring serves `balance serve` and the
// embedded default, only the adapters differ. Open wires it in one straight
// line, in dependency order; parts turned off in the configuration are nil.
type App struct {
	Config Config
	Log    *slog.Logger
	Out    io.Writer // progress lines

	Registry    *prometheus.Registry
	State       stateStore   // *sqlite.StateDB or *postgres.StateDB (state.driver)
	Outbox      alerts.Store // State's alert outbox
	Store       balance.SampleStore
	Spool       *spool.Spool
	Alerts      *alerts.Service
	Monitor     *monitor.Monitor       // nil: monitoring off
	Progression *progression.Service   // nil: progression off
	Scheduler   *progression.Scheduler // nil: progression off
	Dashboard   *dashboard.Server      // nil: dashboard off (no log-in)
	Reminders   *reminders.Scheduler   // nil: no patient app or no e-mail
	Pipeline    *ingest.Pipeline
	Broker      *broker.Broker     // embedded mode only
	Sub         *ingest.Subscriber // nil when ingest reads from NATS
	Routes      *route.Mux

	nats *natsIngest // nil unless nats.servers is set

	httpServer    *http.Server
	httpLn        net.Listener
	wg            sync.WaitGroup
	simErr        chan error
	stopReminders context.CancelFunc
}

// NewApp returns an App for a validated configuration.
func NewApp(cfg Config, log *slog.Logger, out io.Writer) *App {
	return &App{Config: cfg, Log: log, Out: out}
}

// Open wires and starts the system, in dependency order: state → stores →
// alerts → monitoring (raising into alerts) → progression → dashboard →
// demo history (embedded default, first start) → ingest (feeding monitoring and progression) → MQTT → HTTP → the
// services' loops → exercise reminders → simulated devices. On error the caller calls Close.
func (a *App) Open(ctx context.Context) (err error) {
	c := a.Config
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerBuildInfo(a.Registry)

	if a.State, a.Outbox, err = openState(ctx, c); err != nil {
		return err
	}
	if c.State.Driver == StatePostgres && c.Storage.Kind == "embedded" {
		a.Log.Warn("state on PostgreSQL with embedded time-series storage: samples stay in this instance's data_dir; other instances cannot read them (use storage.kind influx)")
	}
	if err := a.seed(ctx); err != nil {
		return err
	}
	if a.Store, err = openStore(ctx, c, a.Log); err != nil {
		return err
	}
	if a.Spool, err = openSpool(c, a.Log); err != nil {
		return err
	}
	linkKey, err := ackLinkKey(c, a.Log)
	if err != nil {
		return err
	}
	if a.Alerts, err = newAlerts(c.Alerts, a.Outbox, a.State.Patient, a.Registry, linkKey, clinicZones(c.Monitoring.Monitor()), a.Log); err != nil {
		return err
	}
	a.Alerts.Grace = 2 * time.Second // of the 10 s a stop may take
	if c.Monitoring.On() {
		a.Monitor, err = monitor.New(c.Monitoring.Monitor(), monitor.Deps{
			Store: a.Store, State: a.State, Sink: a.Alerts, Plans: plansAdapter{a.State}, Cutoffs: a.State, Log: a.Log.With("component", "monitor"),
		})
		if err != nil {
			return err
		}
		a.Registry.MustRegister(a.Monitor.Collectors()...)
	}
	if c.Progression.On() {
		a.Progression = newProgression(c.Progression, a.State, a.Store, a.Alerts, a.Log)
		a.Scheduler = progression.NewScheduler(a.Progression, c.Progression.EvaluateEvery, c.Progression.SessionDelays)
	}
	if c.Dashboard.On() {
		if a.Dashboard, err = a.newDashboard(ctx); err != nil {
			return err
		}
	} else {
		a.Log.Warn("dashboard disabled: the HTTP API is served without log-in")
	}
	if err := a.backfillDemo(ctx); err != nil { // embedded default, first start only
		return err
	}
	if err := a.startIngest(ctx); err != nil {
		return err
	}
	if err := a.serveHTTP(); err != nil {
		return err
	}
	if err := a.Alerts.Start(ctx); err != nil { // deliveries interrupted by the last stop resume now
		return fmt.Errorf("alerts: %w", err)
	}
	if a.Monitor != nil {
		if err := a.Monitor.Start(ctx); err != nil {
			return fmt.Errorf("monitoring: %w", err)
		}
	}
	if a.Scheduler != nil {
		a.Scheduler.Start()
	}
	a.startReminders(ctx)
	if a.Dashboard != nil {
		fmt.Fprintf(a.Out, "dashboard: %s/ (log in; the API takes the same users with HTTP Basic auth)\n", a.BaseURL())
	}
	a.startSim(ctx)
	return nil
}

// startReminders sends patients' exercise reminders every minute, by
// e-mail through the alerts outbox, until ctx ends or the app closes. They
// need the patient app (the dashboard: patients choose them there) and an
// e-mail server (alerts.smtp).
func (a *App) startReminders(ctx context.Context) {
	c := a.Config
	if a.Dashboard == nil || c.Alerts.SMTP.Host == "" {
		a.Log.Info("exercise reminders off: they need the dashboard (patient app) and alerts.smtp")
		return
	}
	a.Reminders = &reminders.Scheduler{
		Store: a.State, Sessions: a.State, Mailer: a.Alerts, Zone: clinicZones(c.Monitoring.Monitor()),
		Log: a.Log.With("component", "reminders"),
	}
	if a.Progression != nil {
		a.Reminders.Exercises = a.Progression
	}
	if base := strings.TrimSuffix(c.Alerts.BaseURL, "/"); base != "" {
		a.Reminders.AppURL = base + "/app/"
	}
	ctx, a.stopReminders = context.WithCancel(ctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.Reminders.Run(ctx)
	}()
}

// openStore opens the time-series store the configuration names; a store
// that does not answer yet is not fatal (ingest spools until it does).
func openStore(ctx context.Context, c Config, log *slog.Logger) (balance.SampleStore, error) {
	var store balance.SampleStore
	var err error
	switch c.Storage.Kind {
	case "embedded":
		store, err = sqlite.OpenSamples(ctx, filepath.Join(c.DataDir, "samples.db"))
	default:
		store, err = influx.New(c.Storage.Influx)
	}
	if err != nil {
		return nil, err
	}
	if err := store.Ping(ctx); err != nil {
		log.Warn("store not reachable at start; ingest will spool to disk until it is", "err", err)
	}
	return store, nil
}

// clinicZones returns each patient's clinic time zone, as monitoring's
// rules name it (validated at start), for the times in notifications.
func clinicZones(mc monitor.Config) func(string) *time.Location {
	return func(patientID string) *time.Location { return mc.RulesFor(patientID).Location() }
}

// loadOrCreateKey returns the 32-byte key in path, made at the first start
// (it signs one-click acknowledgement links; replacing the file revokes
// every link sent).
// ackLinkKey is the key that signs acknowledgement links: the SHA-256 of
// ack_link_key when set (shared by every instance), else a random key kept
// in data_dir/ack-links.key (one instance; with several on PostgreSQL, a
// link one sent is refused by the others, so the log says so).
func ackLinkKey(c Config, log *slog.Logger) ([]byte, error) {
	if c.AckLinkKey != "" {
		if len(c.AckLinkKey) < 32 {
			return nil, fmt.Errorf("ack_link_key: %d characters, want at least 32", len(c.AckLinkKey))
		}
		k := sha256.Sum256([]byte(c.AckLinkKey))
		return k[:], nil
	}
	if c.State.Driver == StatePostgres {
		log.Warn("ack_link_key is not set: acknowledgement links are signed with this instance's own key and other instances refuse them; set BALANCE_ACK_LINK_KEY(_FILE) on every instance")
	}
	return loadOrCreateKey(filepath.Join(c.DataDir, "ack-links.key"))
}

func loadOrCreateKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("ack link key: %w", err)
	}
	return b, nil
}

// openSpool opens the disk spool and says what it holds from an earlier run.
func openSpool(c Config, log *slog.Logger) (*spool.Spool, error) {
	sp, err := spool.Open(filepath.Join(c.DataDir, "spool"), spool.Options{MaxBytes: c.Spool.MaxBytes})
	if err != nil {
		return nil, err
	}
	for _, f := range sp.SetAside() {
		log.Error("spool segment with a damaged record set aside; its data needs manual recovery", "file", f)
	}
	if p := sp.Pending(); p > 0 {
		log.Info("spool holds batches from an earlier run; replaying", "batches", p)
	}
	return sp, nil
}

// newAlerts builds alert delivery on the state database's outbox store;
// patient gives the patient records the notices name.
func newAlerts(ac alerts.Config, store alerts.Store, patient func(context.Context, string) (balance.Patient, error), reg *prometheus.Registry, linkKey []byte, zones func(string) *time.Location, log *slog.Logger) (*alerts.Service, error) {
	ns, err := notifiers(ac)
	if err != nil {
		return nil, err
	}
	svc, err := alerts.New(ac, store, alerts.Options{
		Notifiers: ns, Logger: log.With("component", "alerts"), Metrics: alerts.NewMetrics(reg, store.DeliveryCounts),
		AckLinks: alerts.AckLinks{Key: linkKey},
		Contexts: alerts.Contexts{Patient: patient, Zone: zones},
	})
	if err != nil {
		return nil, err
	}
	if len(ac.Recipients) == 0 {
		log.Warn("alerts: no recipients configured; alerts are stored and listed at /api/v1/alerts but sent to nobody")
	}
	return svc, nil
}

// newProgression builds exercise progression on the validated section
// (its catalog loaded by Config.Validate).
func newProgression(pc ProgressionConfig, state stateStore, store balance.SampleStore, sink balance.AlertSink, log *slog.Logger) *progression.Service {
	svc := &progression.Service{
		Catalog: pc.catalog, Rules: pc.Rules, Store: state, Patients: state, DefaultMode: pc.Mode,
		Sessions: state, Risk: riskAdapter{state}, Falls: storeFalls{store}, Measurements: store, Alerts: sink,
		Log: log.With("component", "progression"),
	}
	log.Info("exercise progression ready", "catalog", pc.catalog.Name, "version", pc.catalog.Version, "levels", len(pc.catalog.Levels), "mode", pc.Mode)
	return svc
}

// newDashboard builds the dashboard (log-in, pages) on what exists so far,
// and makes sure its admin (and, for the demo, a therapist) exists.
func (a *App) newDashboard(ctx context.Context) (*dashboard.Server, error) {
	dc := a.Config.Dashboard
	deps := dashboard.Deps{
		Users: a.State, Registry: a.State, Summaries: a.State, Measurements: a.Store, Samples: a.Store,
		Risk: a.State, Sessions: a.State, Alerts: a.Alerts, Cutoffs: a.State, Feedback: a.State,
	}
	if a.Progression != nil {
		deps.Plans, deps.Exercises = a.Progression, a.Progression
	}
	deps.Answers = a.Alerts
	mc := a.Config.Monitoring.Monitor()
	// One source of thresholds: the charts draw what monitoring applies.
	thresholds := monitor.ThresholdSource{Config: &mc, Cutoffs: a.State}
	if a.Monitor != nil {
		thresholds = a.Monitor.Thresholds()
	}
	srv, err := dashboard.New(dashboard.Config{
		SecureCookies: dc.SecureCookies, SessionTTL: dc.SessionTTL, LoginFailures: dc.LoginFailures,
		LoginWindow: dc.LoginWindow, BcryptCost: dc.BcryptCost, TrustedProxies: dc.proxies, Log: a.Log.With("component", "dashboard"),
		Zone:       clinicZones(mc),
		Thresholds: thresholds.For,
		BaseURL:    a.Config.Alerts.BaseURL, // patients' log-in links, like the links in alert notices
	}, deps)
	if err != nil {
		return nil, err
	}
	var demoPatients []string
	demoPassword := dc.DemoPassword
	if dc.DemoTherapist != "" {
		if demoPatients, err = a.demoPatients(ctx); err != nil {
			return nil, err
		}
		if demoPassword == "" {
			if _, err := a.State.UserByName(ctx, dc.DemoTherapist); balance.ErrorCode(err) == balance.ENOTFOUND {
				demoPassword = dashboard.RandomPassword()
				fmt.Fprintf(a.Out, "dashboard: demo therapist %q created with password %s (shown once)\n", dc.DemoTherapist, demoPassword)
			}
		}
	}
	gen, err := srv.Bootstrap(ctx, dc.AdminPassword, dc.DemoTherapist, demoPassword, demoPatients)
	if err != nil {
		return nil, fmt.Errorf("dashboard bootstrap: %w", err)
	}
	if gen != "" {
		fmt.Fprintf(a.Out, "dashboard: admin user \"admin\" created with password %s (shown once; set dashboard.admin_password to choose it)\n", gen)
		a.Log.Info("dashboard admin created; its password was printed once to the console")
	}
	return srv, nil
}

// demoPatients registers the simulated patients of the embedded default
// (the simulator registers the same ones again, unchanged) and returns
// their ids and the configured patients' for the demo therapist.
func (a *App) demoPatients(ctx context.Context) ([]string, error) {
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

// startIngest starts the pipeline, feeding every stored batch to
// monitoring and every device event to monitoring and progression, then
// either the NATS consumer (nats.servers set: this instance's share of the
// partitions) or the embedded broker (if any) and the MQTT subscriber.
func (a *App) startIngest(ctx context.Context) (err error) {
	c := a.Config
	deps := ingest.Deps{
		Store: a.Store, Registry: a.State, Quarantine: a.State, Spool: a.Spool,
		Logger: a.Log.With("component", "ingest"), Metrics: a.Registry,
		HoldInBroker: len(c.NATS.Servers) > 0, // a store outage stays in the replicated stream, not on this disk
	}
	if a.Monitor != nil {
		deps.OnBatch, deps.OnStored = a.Monitor.OnBatch, a.Monitor.OnStored
	}
	mon, sched := a.Monitor, a.Scheduler
	deps.OnEvent = func(e balance.DeviceEvent) {
		if mon != nil {
			mon.OnEvent(e)
		}
		if sched != nil {
			sched.OnEvent(e)
		}
	}
	if a.Pipeline, err = ingest.New(c.Ingest, deps); err != nil {
		return err
	}
	a.Pipeline.Start()

	if len(c.NATS.Servers) > 0 {
		// A partition taken from another instance: monitoring rebuilds its
		// devices' state from the store (their saved watermarks), so a fall
		// that instance had not decided on is still raised.
		var onAcquire func(int)
		if a.Monitor != nil {
			n := c.NATS.WithDefaults().Partitions
			onAcquire = func(p int) {
				a.Monitor.Forget(func(device string) bool { return natsingest.PartitionOf(device, n) == p })
			}
		}
		warnDottedDeviceIDs(ctx, a.State, a.Log.With("component", "nats"))
		a.nats, err = startNATS(ctx, c.NATS, a.Pipeline.Handle, onAcquire, a.State, a.Registry, a.Log.With("component", "nats"))
		return err
	}
	mqttCfg := c.MQTT.WithDefaults()
	if c.EmbeddedBroker.Enabled {
		// Devices log in with their own secrets; ingest with a password
		// made for this run.
		mqttCfg.Username, mqttCfg.Password = mqttauth.IngestUsername, mqttauth.NewSecret()
		access := &broker.Access{CheckDevice: a.State.CheckDeviceSecret, IngestPassword: mqttCfg.Password, IngestClientID: mqttCfg.ClientID}
		bc := broker.Config{Addr: c.EmbeddedBroker.Addr, Access: access, Logger: a.Log.With("component", "broker")}
		if c.EmbeddedBroker.TLSAddr != "" {
			if bc.TLS, err = c.EmbeddedBroker.TLS.Server(); err != nil {
				return fmt.Errorf("embedded_broker.%w", err)
			}
			bc.TLSAddr = c.EmbeddedBroker.TLSAddr
		}
		if a.Broker, err = broker.Start(bc); err != nil {
			return fmt.Errorf("embedded broker: %w (set embedded_broker.addr or --broker-addr to a free port)", err)
		}
		mqttCfg.Broker = a.Broker.URL()
		a.Log.Info("embedded MQTT broker listening (devices log in with their id and secret)", "addr", a.Broker.Addr())
	}
	if a.Sub, err = ingest.NewSubscriber(mqttCfg, a.Pipeline.Handle, a.Log.With("component", "mqtt"), a.Registry); err != nil {
		return err
	}
	if err := a.Sub.Start(ctx, 10*time.Second); err != nil {
		a.Log.Warn("MQTT not connected yet; retrying in the background", "err", err)
	}
	return nil
}

// serveHTTP registers every route on the front door (each with its access
// rule; the dashboard's log-in guards them, or none when it is off) and
// starts serving.
func (a *App) serveHTTP() (err error) {
	var guard route.Guard = route.NoLogin{Log: a.Log.With("component", "api")}
	if a.Dashboard != nil {
		guard = a.Dashboard
	}
	a.Routes = route.New(guard)
	api := &httpapi.Server{
		Registry: a.State, Quarantine: a.State, Credentials: a.State, Store: a.Store, State: a.State, Gatherer: a.Registry,
		Logger: a.Log.With("component", "api"), OnBind: a.Pipeline.InvalidateDevice, Ingest: a.ingestStatus, Events: a.Pipeline,
	}
	api.Routes(a.Routes)
	a.Alerts.Routes(a.Routes)
	if a.Monitor != nil {
		a.Monitor.Routes(a.Routes)
	}
	if a.Progression != nil {
		a.Progression.Routes(a.Routes)
	}
	if a.Dashboard != nil {
		a.Dashboard.Routes(a.Routes)
	}
	if a.httpLn, err = net.Listen("tcp", a.Config.HTTP.Addr); err != nil {
		return fmt.Errorf("http.addr %s: %w", a.Config.HTTP.Addr, err)
	}
	if a.Config.HTTP.TLS.Set() {
		tc, err := a.Config.HTTP.TLS.Server()
		if err != nil {
			a.httpLn.Close()
			return fmt.Errorf("http.%w", err)
		}
		a.httpLn = tls.NewListener(a.httpLn, tc)
	}
	a.httpServer = &http.Server{Handler: a.Routes,
		// Slow or idle clients cannot hold connections open indefinitely;
		// the largest answers (CSV exports, reports) take well under a minute.
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 2 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.httpServer.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "err", err)
		}
	}()
	return nil
}

// seed creates the patients and device bindings named in the configuration.
func (a *App) seed(ctx context.Context) error {
	for _, p := range a.Config.Patients {
		if err := a.State.CreatePatient(ctx, p); err != nil {
			return fmt.Errorf("config patient %s: %w", p.ID, err)
		}
	}
	for _, d := range a.Config.Devices {
		if err := a.State.RegisterDevice(ctx, balance.Device{ID: d.ID}); err != nil {
			return fmt.Errorf("config device %s: %w", d.ID, err)
		}
		if err := a.State.BindDevice(ctx, d.ID, d.PatientID); err != nil {
			return fmt.Errorf("config device %s: %w", d.ID, err)
		}
	}
	return nil
}

// startSim runs the simulated wearables of the embedded default, if any.
func (a *App) startSim(ctx context.Context) {
	a.simErr = make(chan error, 1)
	if a.Config.Sim.Devices == 0 {
		return
	}
	brokerURL := a.Config.MQTT.Broker
	if a.Broker != nil {
		brokerURL = a.Broker.URL()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := runFleet(ctx, a, brokerURL); err != nil && ctx.Err() == nil {
			a.simErr <- err
		}
	}()
}

// BaseURL returns the server's URL, http:// or https://.
func (a *App) BaseURL() string {
	if a.Config.HTTP.TLS.Set() {
		return "https://" + a.HTTPAddr()
	}
	return "http://" + a.HTTPAddr()
}

// HTTPAddr returns the address the API listens on.
func (a *App) HTTPAddr() string { return a.httpLn.Addr().String() }

func (a *App) ingestStatus() httpapi.IngestStatus {
	st := a.Pipeline.Stats()
	return httpapi.IngestStatus{
		MQTTConnected:   a.Sub != nil && a.Sub.Connected(),
		NATS:            a.nats != nil,
		NATSConnected:   a.nats.connected(),
		PartitionsOwned: a.nats.owned(),
		Messages:        st.Messages.Load(),
		SamplesIn:       st.SamplesIn.Load(),
		SamplesStored:   st.SamplesStored.Load(),
		SamplesSpooled:  st.SamplesSpooled.Load(),
		Rejected:        st.Rejected.Load(),
		Quarantined:     st.Quarantined.Load(),
		QueueDepth:      a.Pipeline.QueueDepth(),
		SpoolBytes:      a.Spool.Bytes(),
		SpoolBatches:    a.Spool.Pending(),
	}
}

// Run opens the app, prints progress until ctx ends, then closes it.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := a.Open(ctx); err != nil {
		a.Close()
		return err
	}
	a.banner()
	var tick <-chan time.Time
	if a.Config.ProgressEvery > 0 {
		t := time.NewTicker(a.Config.ProgressEvery)
		defer t.Stop()
		tick = t.C
	}
	last, lastAt := int64(0), time.Now()
	for {
		select {
		case <-ctx.Done():
			return a.Close()
		case err := <-a.simErr:
			a.Log.Error("simulator stopped", "err", err)
		case now := <-tick:
			st := a.ingestStatus()
			rate := float64(st.SamplesStored-last) / now.Sub(lastAt).Seconds()
			last, lastAt = st.SamplesStored, now
			online, reporting := a.devicesOnline(ctx)
			fmt.Fprintf(a.Out, "%s  devices online %d/%d  %7.0f samples/s  stored %d  queue %d  spool %s  rejected %d  quarantined %d\n",
				now.Format("15:04:05"), online, reporting, rate, st.SamplesStored, st.QueueDepth, humanBytes(st.SpoolBytes), st.Rejected, st.Quarantined)
		}
	}
}

func (a *App) devicesOnline(ctx context.Context) (online, all int) {
	sts, err := a.State.Statuses(ctx)
	if err != nil {
		return 0, 0
	}
	for _, s := range sts {
		if s.Online {
			online++
		}
	}
	return online, len(sts)
}

func (a *App) banner() {
	c := a.Config
	base := a.BaseURL()
	var b strings.Builder
	fmt.Fprintf(&b, "balance is running.\n")
	if a.Broker != nil {
		fmt.Fprintf(&b, "  MQTT broker (embedded): %s   devices log in with their id and the secret given when they are registered\n", a.Broker.URL())
		if u := a.Broker.TLSURL(); u != "" {
			fmt.Fprintf(&b, "  MQTT over TLS (embedded): %s\n", u)
		}
	} else if a.nats != nil {
		fmt.Fprintf(&b, "  messages: NATS JetStream %s, %d partitions shared with the other instances (this one: %s)\n", strings.Join(c.NATS.Servers, ","), c.NATS.Partitions, c.NATS.Instance)
	} else {
		fmt.Fprintf(&b, "  MQTT broker: %s\n", c.MQTT.Broker)
	}
	if c.State.Driver == StatePostgres {
		fmt.Fprintf(&b, "  state (PostgreSQL): shared with every instance on the same state.dsn\n")
	} else {
		fmt.Fprintf(&b, "  state (SQLite): %s\n", filepath.Join(c.DataDir, "state.db"))
	}
	if c.Storage.Kind == "embedded" {
		fmt.Fprintf(&b, "  storage (embedded SQLite): %s\n", filepath.Join(c.DataDir, "samples.db"))
	} else {
		fmt.Fprintf(&b, "  storage (InfluxDB): %s buckets %s, %s\n", c.Storage.Influx.URL, c.Storage.Influx.RawBucket, c.Storage.Influx.DerivedBucket)
	}
	fmt.Fprintf(&b, "  health:  %s/healthz   readiness: %s/readyz   metrics: %s/metrics\n", base, base, base)
	fmt.Fprintf(&b, "  API:     %s/api/v1/status  %s/api/v1/patients  %s/api/v1/devices\n", base, base, base)
	if c.Sim.Devices > 0 {
		fmt.Fprintf(&b, "  simulated wearables: %d at %.0f Hz\n", c.Sim.Devices, c.Sim.RateHz)
	}
	fmt.Fprintf(&b, "Stop with Ctrl-C.\n")
	fmt.Fprint(a.Out, b.String())
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Close stops everything in order, within a container's 10 s stop grace:
// devices and MQTT (or the NATS consumer, releasing its partitions) first
// (no new data), then the pipeline (its queue goes to
// the spool), monitoring (at most its StopGrace, then watermarks are saved;
// what is left is redone after the restart), alerts (deliveries still
// running after its grace are retried after the restart) and storage. HTTP
// shuts down meanwhile.
func (a *App) Close() error {
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if a.httpServer != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			a.httpServer.Shutdown(ctx)
			cancel()
		}
	}()
	if a.Sub != nil {
		a.Sub.Stop()
	}
	a.nats.stop() // leases released: the other instances take the partitions
	if a.Pipeline != nil {
		a.Pipeline.Stop()
	}
	a.nats.close() // after the pipeline's last acks
	if a.stopReminders != nil {
		a.stopReminders()
	}
	<-httpDone
	a.wg.Wait()
	var errs []error
	if a.Scheduler != nil {
		errs = append(errs, a.Scheduler.Close())
	}
	if a.Monitor != nil {
		errs = append(errs, a.Monitor.Close())
	}
	if a.Alerts != nil {
		errs = append(errs, a.Alerts.Close())
	}
	if a.Broker != nil {
		a.Broker.Close()
	}
	if a.Spool != nil {
		errs = append(errs, a.Spool.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.State != nil {
		errs = append(errs, a.State.Close())
	}
	return errors.Join(errs...)
}
