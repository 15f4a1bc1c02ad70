package httpapi

import (
	"context"

	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/mqttauth"
)

// IngestStatus is what the API shows of the ingest pipeline.
type IngestStatus struct {
	MQTTConnected  bool  `json:"mqtt_connected"`
	Messages       int64 `json:"messages"`
	SamplesIn      int64 `json:"samples_received"`
	SamplesStored  int64 `json:"samples_stored"`
	SamplesSpooled int64 `json:"samples_spooled"`
	Rejected       int64 `json:"rejected"`
	Quarantined    int64 `json:"quarantined"`
	QueueDepth     int   `json:"queue_depth"`
	SpoolBytes     int64 `json:"spool_bytes"`
	SpoolBatches   int64 `json:"spool_batches"`
	// NATS is set when messages come from NATS JetStream (natsingest), not
	// from an MQTT subscription: /readyz then checks NATSConnected instead
	// of MQTTConnected and shows PartitionsOwned (0 is ready: more
	// instances than partitions).
	NATS            bool `json:"nats,omitempty"`
	NATSConnected   bool `json:"nats_connected,omitempty"`
	PartitionsOwned int  `json:"partitions_owned,omitempty"`
}

// Server holds the API's dependencies.
type Server struct {
	Registry   balance.Registry
	Quarantine balance.Quarantine
	// Credentials issues devices' MQTT secrets (nil: none are issued).
	Credentials balance.DeviceCredentials
	Store       balance.SampleStore
	// State is the state database (patients, devices, alerts), checked by
	// /readyz (nil: not checked).
	State interface{ Ping(context.Context) error }
	// Ingest returns the pipeline's status (nil: not shown).
	Ingest func() IngestStatus
	// OnBind is called after a device is bound or unbound (cache invalidation).
	OnBind func(deviceID string)
	// Events records session events started from the app (nil: the
	// start/stop routes are not served).
	Events   EventRecorder
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// MaxSamples caps one samples query [100000].
	MaxSamples int
}

// Routes registers the API's routes on m, each with its access rule.
func (s *Server) Routes(m *route.Mux) {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.MaxSamples <= 0 {
		s.MaxSamples = 100000
	}
	m.HandleFunc("GET /healthz", route.Open, s.healthz)
	m.HandleFunc("GET /readyz", route.Open, s.readyz)
	if s.Gatherer != nil {
		m.Handle("GET /metrics", route.Open, promhttp.HandlerFor(s.Gatherer, promhttp.HandlerOpts{}))
	}
	m.HandleFunc("GET /api/v1/status", route.User, s.status)
	m.HandleFunc("GET /api/v1/patients", route.User, s.listPatients)
	m.HandleFunc("POST /api/v1/patients", route.Admin, s.createPatient)
	m.HandleFunc("GET /api/v1/patients/{id}", route.Patient("id"), s.getPatient)
	m.HandleFunc("GET /api/v1/patients/{id}/samples", route.Patient("id"), s.patientSamples)
	if s.Events != nil {
		m.HandleFunc("POST /api/v1/patients/{id}/sessions/start", route.Own("id"), s.startSession)
		m.HandleFunc("POST /api/v1/patients/{id}/sessions/{sid}/stop", route.Own("id"), s.stopSession)
	}
	m.HandleFunc("GET /api/v1/devices", route.User, s.listDevices)
	m.HandleFunc("POST /api/v1/devices", route.Admin, s.createDevice)
	m.HandleFunc("GET /api/v1/devices/{id}", route.User, s.getDevice)
	m.HandleFunc("PUT /api/v1/devices/{id}/binding", route.User, s.bindDevice)
	m.HandleFunc("GET /api/v1/devices/{id}/latest", route.User, s.latest)
	m.HandleFunc("GET /api/v1/devices/{id}/samples", route.User, s.deviceSamples)
	m.HandleFunc("GET /api/v1/quarantine", route.Admin, s.quarantined)
	m.HandleFunc("POST /api/v1/devices/{id}/secret", route.Admin, s.newSecret)
}

// device returns a device the viewer may see: one bound to a patient of
// theirs, or any device for those who see every patient.
func (s *Server) device(ctx context.Context, id string) (balance.Device, error) {
	d, err := s.Registry.Device(ctx, id)
	if err != nil {
		return d, err
	}
	if d.PatientID == "" {
		if !balance.ViewerFromContext(ctx).SeesAll() {
			return d, balance.Errorf(balance.EFORBIDDEN, "device %q is not bound to a patient of yours", id)
		}
		return d, nil
	}
	return d, balance.CheckPatient(ctx, d.PatientID)
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, s.Logger, 0, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

func readJSON(r *http.Request, v any) error { return httpjson.Read(r, v) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports 503 unless the store and the state database answer and
// MQTT (or NATS, when ingest reads from NATS) is connected; while
// the store is down ingest still works (it spools), so this is for load
// balancers and dashboards, not for restarting the process.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	ok := true
	if err := s.Store.Ping(ctx); err != nil {
		// The reason goes to the log, not to whoever asks (this route is open).
		s.Logger.Warn("readiness: store unavailable", "err", err)
		checks["store"] = "unavailable"
		ok = false
	} else {
		checks["store"] = "ok"
	}
	if s.State != nil {
		if err := s.State.Ping(ctx); err != nil {
			s.Logger.Warn("readiness: state database unavailable", "err", err)
			checks["state"] = "unavailable"
			ok = false
		} else {
			checks["state"] = "ok"
		}
	}
	if s.Ingest != nil {
		in := s.Ingest()
		name, up := "mqtt", in.MQTTConnected
		if in.NATS {
			name, up = "nats", in.NATSConnected
			checks["nats_partitions_owned"] = strconv.Itoa(in.PartitionsOwned)
		}
		if up {
			checks[name] = "ok"
		} else {
			checks[name] = "disconnected"
			ok = false
		}
	}
	st := http.StatusOK
	if !ok {
		st = http.StatusServiceUnavailable
	}
	writeJSON(w, st, map[string]any{"ready": ok, "checks": checks})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{}
	if s.Ingest != nil {
		out["ingest"] = s.Ingest()
	}
	sts, err := s.Registry.Statuses(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	online := 0
	for _, st := range sts {
		if st.Online {
			online++
		}
	}
	out["devices_online"] = online
	out["devices_reporting"] = len(sts)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listPatients(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Registry.Patients(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	visible := make([]balance.Patient, 0, len(ps))
	for _, p := range ps {
		if balance.CanSeePatient(r.Context(), p.ID) {
			visible = append(visible, p)
		}
	}
	writeJSON(w, http.StatusOK, visible)
}

func (s *Server) createPatient(w http.ResponseWriter, r *http.Request) {
	var p balance.Patient
	if err := readJSON(r, &p); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Registry.CreatePatient(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Registry.Patient(r.Context(), p.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) getPatient(w http.ResponseWriter, r *http.Request) {
	p, err := s.Registry.Patient(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	devs, err := s.Registry.Devices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var mine []string
	for _, d := range devs {
		if d.PatientID == p.ID {
			mine = append(mine, d.ID)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"patient": p, "devices": mine})
}

// DeviceView is a device with its last status.
type DeviceView struct {
	balance.Device
	Status *balance.DeviceStatus `json:"status,omitempty"`
}

func (s *Server) devices(ctx context.Context) ([]DeviceView, error) {
	devs, err := s.Registry.Devices(ctx)
	if err != nil {
		return nil, err
	}
	sts, err := s.Registry.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]*balance.DeviceStatus{}
	for i := range sts {
		byID[sts[i].DeviceID] = &sts[i]
	}
	out := make([]DeviceView, 0, len(devs))
	for _, d := range devs {
		out = append(out, DeviceView{Device: d, Status: byID[d.ID]})
	}
	return out, nil
}

// listDevices lists the devices the viewer may see (unbound ones only for
// those who see every patient).
func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	out, err := s.devices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all := balance.ViewerFromContext(r.Context()).SeesAll()
	visible := make([]DeviceView, 0, len(out))
	for _, d := range out {
		if all || balance.CanSeePatient(r.Context(), d.PatientID) {
			visible = append(visible, d)
		}
	}
	writeJSON(w, http.StatusOK, visible)
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) {
	if _, err := s.device(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.devices(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, d := range out {
		if d.ID == r.PathValue("id") {
			writeJSON(w, http.StatusOK, d)
			return
		}
	}
	s.fail(w, r, balance.Errorf(balance.ENOTFOUND, "device %q not found", r.PathValue("id")))
}

func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) {
	var d struct {
		ID        string `json:"id"`
		PatientID string `json:"patient_id"`
	}
	if err := readJSON(r, &d); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Registry.Device(r.Context(), d.ID); err == nil {
		s.fail(w, r, balance.Errorf(balance.ECONFLICT, "device %q exists; bind it with PUT /api/v1/devices/%s/binding", d.ID, d.ID))
		return
	}
	if err := s.Registry.RegisterDevice(r.Context(), balance.Device{ID: d.ID, PatientID: d.PatientID}); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.OnBind != nil {
		s.OnBind(d.ID)
	}
	dev, err := s.Registry.Device(r.Context(), d.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := DeviceCreated{Device: dev}
	if s.Credentials != nil {
		if out.MQTT, err = s.issue(r.Context(), dev.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusCreated, out)
}

// MQTTLogin is what a device logs in to the broker with. The password is
// shown once, when it is issued; only its hashes are kept.
type MQTTLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// TopicPrefix is where the device may publish (nothing else).
	TopicPrefix string `json:"topic_prefix"`
}

// DeviceCreated is a new device with its MQTT login.
type DeviceCreated struct {
	balance.Device
	MQTT *MQTTLogin `json:"mqtt,omitempty"`
}

func (s *Server) issue(ctx context.Context, deviceID string) (*MQTTLogin, error) {
	secret, err := s.Credentials.IssueDeviceSecret(ctx, deviceID)
	if err != nil {
		return nil, err
	}
	s.Logger.Info("device secret issued", "device", deviceID, "by", balance.Actor(ctx, ""))
	return &MQTTLogin{Username: deviceID, Password: secret, TopicPrefix: mqttauth.DeviceTopicPrefix(deviceID)}, nil
}

// newSecret gives a device a new MQTT secret; the old one stops working at
// once (a lost or stolen device, a routine rotation).
func (s *Server) newSecret(w http.ResponseWriter, r *http.Request) {
	if s.Credentials == nil {
		s.fail(w, r, balance.Errorf(balance.EUNAVAILABLE, "device credentials are not kept by this server"))
		return
	}
	login, err := s.issue(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, login)
}

func (s *Server) bindDevice(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PatientID string `json:"patient_id"`
	}
	if err := readJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	// The device's current wearer and the new one must both be the viewer's.
	cur, err := s.Registry.Device(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, p := range []string{cur.PatientID, body.PatientID} {
		if p == "" {
			continue
		}
		if err := balance.CheckPatient(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.Registry.BindDevice(r.Context(), id, body.PatientID); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.OnBind != nil {
		s.OnBind(id)
	}
	dev, err := s.Registry.Device(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, dev)
}

// SampleView is a sample in the API's JSON: device time (RFC 3339), m/s², rad/s.
type SampleView struct {
	Time time.Time  `json:"t"`
	Acc  [3]float64 `json:"acc"`
	Gyro [3]float64 `json:"gyro"`
}

func views(ss []balance.Sample) []SampleView {
	out := make([]SampleView, len(ss))
	for i, s := range ss {
		out[i] = SampleView{Time: s.Time(), Acc: s.Acc, Gyro: s.Gyro}
	}
	return out
}

// latest and deviceSamples serve a device's data recorded while it was bound
// to its current patient only: a device passed on to another patient does
// not show its earlier wearer's data. An unbound device shows everything
// (for whoever may see unbound devices: admins).
func (s *Server) latest(w http.ResponseWriter, r *http.Request) {
	dev, err := s.device(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	smp, err := s.Store.LatestSample(r.Context(), dev.ID, dev.PatientID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, views([]balance.Sample{smp})[0])
}

// interval parses from/to (RFC 3339); the default is the last minute.
func interval(r *http.Request) (from, to time.Time, err error) {
	to = time.Now()
	if v := r.URL.Query().Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return from, to, balance.Errorf(balance.EINVALID, "to: %v", err)
		}
	}
	from = to.Add(-time.Minute)
	if v := r.URL.Query().Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return from, to, balance.Errorf(balance.EINVALID, "from: %v", err)
		}
	}
	if !from.Before(to) {
		return from, to, balance.Errorf(balance.EINVALID, "from must be before to")
	}
	return from, to, nil
}

func (s *Server) samples(w http.ResponseWriter, r *http.Request, q balance.SampleQuery) {
	from, to, err := interval(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q.From, q.To = from, to
	n, err := s.Store.CountSamples(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n > int64(s.MaxSamples) {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "%d samples in the interval, more than %d: narrow from/to", n, s.MaxSamples))
		return
	}
	ss, err := s.Store.ReadSamples(r.Context(), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "count": len(ss), "samples": views(ss)})
}

func (s *Server) deviceSamples(w http.ResponseWriter, r *http.Request) {
	dev, err := s.device(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.samples(w, r, balance.SampleQuery{DeviceID: dev.ID, PatientID: dev.PatientID})
}

func (s *Server) patientSamples(w http.ResponseWriter, r *http.Request) {
	if _, err := s.Registry.Patient(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.samples(w, r, balance.SampleQuery{PatientID: r.PathValue("id")})
}

func (s *Server) quarantined(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1000 {
			s.fail(w, r, balance.Errorf(balance.EINVALID, "limit must be 1..1000"))
			return
		}
		limit = n
	}
	qs, err := s.Quarantine.Quarantined(r.Context(), r.URL.Query().Get("device"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	counts, err := s.Quarantine.QuarantineCounts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if qs == nil {
		qs = []balance.QuarantinedPayload{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"counts": counts, "payloads": qs})
}
