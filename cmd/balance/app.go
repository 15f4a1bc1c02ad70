package main

import (
	"context"
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
	"github.com/balance-pt/balance/broker"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/influx"
	"github.com/balance-pt/balance/ingest"
	"github.com/balance-pt/balance/spool"
	"github.com/balance-pt/balance/sqlite"
)

// App is the running system: the same wiring serves `balance serve` and the
// embedded default, only the adapters differ.
type App struct {
	Config Config
	Log    *slog.Logger
	Out    io.Writer // progress lines

	Broker   *broker.Broker
	State    *sqlite.StateDB
	Store    balance.SampleStore
	Spool    *spool.Spool
	Pipeline *ingest.Pipeline
	Sub      *ingest.Subscriber
	Registry *prometheus.Registry

	// OnBatch and OnEvent are called by ingest for every stored batch and
	// every device event; components append to them in Init.
	OnBatch []func(*balance.Batch)
	OnEvent []func(balance.DeviceEvent)

	components []Component
	routes     []route
	wrappers   []func(http.Handler) http.Handler
	httpServer *http.Server
	httpLn     net.Listener
	wg         sync.WaitGroup
	simErr     chan error
}

// Component is an optional part of the system (monitoring, alerting,
// exercise progression, the dashboard) wired in from its own file in this
// package by appending a factory to componentFactories in an init function.
type Component interface {
	// Name is the component's configuration section (may be "").
	Name() string
	// Init runs once storage is open and before ingest starts: read the
	// configuration section (a.Config.Section), register hooks
	// (a.OnBatch, a.OnEvent) and HTTP routes (a.Handle).
	Init(ctx context.Context, a *App) error
	// Start runs once ingest, MQTT and HTTP are up.
	Start(ctx context.Context) error
	// Close stops the component; it runs before storage is closed.
	Close() error
}

// componentFactories are appended to by init functions of component files.
var componentFactories []func() Component

type route struct {
	pattern string
	handler http.Handler
}

// Handle registers an HTTP route (Go 1.22 pattern, e.g. "GET /api/v1/alerts")
// on the API server; call it from Component.Init.
func (a *App) Handle(pattern string, h http.Handler) {
	a.routes = append(a.routes, route{pattern, h})
}

// WrapHTTP wraps the whole HTTP handler (every route, the API's and the
// components') in middleware, e.g. authentication; call it from
// Component.Init. Wrappers apply in registration order, the first outermost.
func (a *App) WrapHTTP(w func(http.Handler) http.Handler) {
	a.wrappers = append(a.wrappers, w)
}

// componentSections returns the configuration sections components claim.
func componentSections() map[string]bool {
	m := map[string]bool{}
	for _, f := range componentFactories {
		if n := f().Name(); n != "" {
			m[n] = true
		}
	}
	return m
}

// fleetRunner runs simulated wearables against a broker until ctx ends; it is
// set by sim_fleet.go so that the wiring does not depend on the simulator.
var fleetRunner func(ctx context.Context, a *App, brokerURL string) error

// NewApp returns an App for a validated configuration.
func NewApp(cfg Config, log *slog.Logger, out io.Writer) *App {
	return &App{Config: cfg, Log: log, Out: out}
}

// Open opens storage, starts the broker (embedded mode), the ingest
// pipeline, the MQTT subscriber, the HTTP server and the simulated devices.
func (a *App) Open(ctx context.Context) error {
	c := a.Config
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	a.Registry = prometheus.NewRegistry()
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	var err error
	if a.State, err = sqlite.OpenState(ctx, filepath.Join(c.DataDir, "state.db")); err != nil {
		return err
	}
	if err := a.seed(ctx); err != nil {
		return err
	}
	switch c.Storage.Kind {
	case "embedded":
		a.Store, err = sqlite.OpenSamples(ctx, filepath.Join(c.DataDir, "samples.db"))
	default:
		a.Store, err = influx.New(c.Storage.Influx)
	}
	if err != nil {
		return err
	}
	if err := a.Store.Ping(ctx); err != nil {
		// Not fatal: ingest spools until the store answers.
		a.Log.Warn("store not reachable at start; ingest will spool to disk until it is", "err", err)
	}
	if a.Spool, err = spool.Open(filepath.Join(c.DataDir, "spool"), spool.Options{MaxBytes: c.Spool.MaxBytes}); err != nil {
		return err
	}
	for _, f := range a.Spool.SetAside() {
		a.Log.Error("spool segment with a damaged record set aside; its data needs manual recovery", "file", f)
	}
	if p := a.Spool.Pending(); p > 0 {
		a.Log.Info("spool holds batches from an earlier run; replaying", "batches", p)
	}
	for _, f := range componentFactories {
		comp := f()
		if err := comp.Init(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", comp.Name(), err)
		}
		a.components = append(a.components, comp)
	}
	a.Pipeline, err = ingest.New(c.Ingest, ingest.Deps{
		Store: a.Store, Registry: a.State, Quarantine: a.State, Spool: a.Spool,
		Logger: a.Log.With("component", "ingest"), Metrics: a.Registry,
		OnBatch: func(b *balance.Batch) {
			for _, f := range a.OnBatch {
				f(b)
			}
		},
		OnEvent: func(e balance.DeviceEvent) {
			for _, f := range a.OnEvent {
				f(e)
			}
		},
	})
	if err != nil {
		return err
	}
	a.Pipeline.Start()

	mqttCfg := c.MQTT
	if c.EmbeddedBroker.Enabled {
		if a.Broker, err = broker.Start(broker.Config{Addr: c.EmbeddedBroker.Addr}); err != nil {
			return fmt.Errorf("embedded broker: %w (set embedded_broker.addr or --broker-addr to a free port)", err)
		}
		mqttCfg.Broker = a.Broker.URL()
		a.Log.Info("embedded MQTT broker listening", "addr", a.Broker.Addr())
	}
	if a.Sub, err = ingest.NewSubscriber(mqttCfg, a.Pipeline.Handle, a.Log.With("component", "mqtt"), a.Registry); err != nil {
		return err
	}
	if err := a.Sub.Start(ctx, 10*time.Second); err != nil {
		a.Log.Warn("MQTT not connected yet; retrying in the background", "err", err)
	}

	api := &httpapi.Server{
		Registry: a.State, Quarantine: a.State, Store: a.Store, Gatherer: a.Registry,
		Logger: a.Log.With("component", "api"), OnBind: a.Pipeline.InvalidateDevice,
		Ingest: a.ingestStatus,
	}
	if a.httpLn, err = net.Listen("tcp", c.HTTP.Addr); err != nil {
		return fmt.Errorf("http.addr %s: %w", c.HTTP.Addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", api.Handler())
	for _, r := range a.routes {
		mux.Handle(r.pattern, r.handler)
	}
	var handler http.Handler = mux
	for i := len(a.wrappers) - 1; i >= 0; i-- {
		handler = a.wrappers[i](handler)
	}
	a.httpServer = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.httpServer.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("http server", "err", err)
		}
	}()

	for _, comp := range a.components {
		if err := comp.Start(ctx); err != nil {
			return fmt.Errorf("%s: %w", comp.Name(), err)
		}
	}

	a.simErr = make(chan error, 1)
	if c.Sim.Devices > 0 {
		if fleetRunner == nil {
			return errors.New("sim.devices > 0 but this build has no simulator")
		}
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := fleetRunner(ctx, a, mqttCfg.Broker); err != nil && ctx.Err() == nil {
				a.simErr <- err
			}
		}()
	}
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

// HTTPAddr returns the address the API listens on.
func (a *App) HTTPAddr() string { return a.httpLn.Addr().String() }

func (a *App) ingestStatus() httpapi.IngestStatus {
	st := a.Pipeline.Stats()
	return httpapi.IngestStatus{
		MQTTConnected:  a.Sub != nil && a.Sub.Connected(),
		Messages:       st.Messages.Load(),
		SamplesIn:      st.SamplesIn.Load(),
		SamplesStored:  st.SamplesStored.Load(),
		SamplesSpooled: st.SamplesSpooled.Load(),
		Rejected:       st.Rejected.Load(),
		Quarantined:    st.Quarantined.Load(),
		QueueDepth:     a.Pipeline.QueueDepth(),
		SpoolBytes:     a.Spool.Bytes(),
		SpoolBatches:   a.Spool.Pending(),
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
	base := "http://" + a.HTTPAddr()
	var b strings.Builder
	fmt.Fprintf(&b, "balance is running.\n")
	if a.Broker != nil {
		fmt.Fprintf(&b, "  MQTT broker (embedded): %s   try: mosquitto_sub -h %s -p %s -t 'balance/v1/#' -v\n", a.Broker.URL(), hostOf(a.Broker.Addr()), portOf(a.Broker.Addr()))
	} else {
		fmt.Fprintf(&b, "  MQTT broker: %s\n", c.MQTT.Broker)
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

func hostOf(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

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

// Close stops everything in order: devices and MQTT first (no new data),
// then the pipeline (it drains its queue), then HTTP and storage.
func (a *App) Close() error {
	if a.Sub != nil {
		a.Sub.Stop()
	}
	if a.Pipeline != nil {
		a.Pipeline.Stop()
	}
	if a.httpServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		a.httpServer.Shutdown(ctx)
		cancel()
	}
	a.wg.Wait()
	var errs []error
	for i := len(a.components) - 1; i >= 0; i-- {
		errs = append(errs, a.components[i].Close())
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
