package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/balance-pt/balance"
)

// The devices page: every device the viewer may see (administrators: all,
// unbound ones too; therapists: those bound to their patients) with its
// status in words, battery, last status and last data, firmware and
// patient. Binding, unbinding and (administrators) registering a device are
// plain form posts. They are sent on to the API's own routes (PUT
// /api/v1/devices/{id}/binding, POST /api/v1/devices) through the front
// door, as the logged-in user, so that the checks (the viewer must see
// both the device's current and its new patient), the ingest pipeline's
// cache invalidation and the issuing of MQTT secrets stay in one place.

// deviceRow is one device of the devices page.
type deviceRow struct {
	ID string
	// PatientID and PatientName are the bound patient ("" = unbound).
	PatientID, PatientName string
	// Status is "Online", "Offline" or "No status yet", in words; Online
	// repeats it for the colour.
	Status string
	Online bool
	// Battery is the last reported charge ("85%"), or "not known".
	Battery  string
	Firmware string
	// LastStatus is when the device last reported its status; LastData
	// the time of its newest analysed sample (bound devices only).
	LastStatus, LastData time.Time
}

// shownLogin is a device's MQTT login, shown once after registering it.
type shownLogin struct {
	Username, Password, TopicPrefix string
}

// devicesData is the data of the devices template.
type devicesData struct {
	Devices []deviceRow
	// Patients are those the viewer may bind a device to.
	Patients []option
	Admin    bool
	Done     string
	Error    string
	// Bind is what the bind form had, kept after an error; NewDevice what
	// the register form had.
	Bind      struct{ Device, Patient string }
	NewDevice string
	Shown     *shownLogin
}

var deviceDone = map[string]string{
	"bound":   "Device bound: its data now goes to the patient.",
	"unbound": "Device unbound: its data no longer goes to any patient.",
}

// pageDevices shows the devices page (GET /devices).
func (s *Server) pageDevices(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.user(w, r); !ok {
		return
	}
	s.renderDevices(w, r, http.StatusOK, devicesData{Done: deviceDone[r.URL.Query().Get("done")]})
}

// renderDevices shows the devices page with status.
func (s *Server) renderDevices(w http.ResponseWriter, r *http.Request, status int, d devicesData) {
	ctx := r.Context()
	viewer := balance.ViewerFromContext(ctx)
	devs, err := s.deps.Registry.Devices(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sts, err := s.deps.Registry.Statuses(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	byDevice := make(map[string]balance.DeviceStatus, len(sts))
	for _, st := range sts {
		byDevice[st.DeviceID] = st
	}
	// The viewer's patients (filtered by Overview next to the data), with
	// each bound device's last analysed data.
	sums, err := s.Overview(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	names := make(map[string]string, len(sums))
	lastData := map[string]time.Time{}
	for _, p := range sums {
		names[p.Patient.ID] = p.Patient.Name
		o := option{p.Patient.ID, p.Patient.ID}
		if p.Patient.Name != "" {
			o.Label = p.Patient.Name + " (" + p.Patient.ID + ")"
		}
		d.Patients = append(d.Patients, o)
		for _, l := range p.Devices {
			lastData[l.DeviceID] = l.LastData
		}
	}
	slices.SortFunc(d.Patients, func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	all := viewer.SeesAll()
	for _, dev := range devs {
		if !all && (dev.PatientID == "" || !balance.CanSeePatient(ctx, dev.PatientID)) {
			continue
		}
		row := deviceRow{ID: dev.ID, PatientID: dev.PatientID, PatientName: names[dev.PatientID], Status: "No status yet", Battery: "not known",
			LastData: lastData[dev.ID]}
		if row.PatientName == "" {
			row.PatientName = dev.PatientID
		}
		if st, ok := byDevice[dev.ID]; ok {
			row.Online, row.Firmware, row.LastStatus = st.Online, st.Firmware, st.ReceivedAt
			row.Status = "Offline"
			if st.Online {
				row.Status = "Online"
			}
			if st.BatteryPct >= 0 {
				row.Battery = fmt.Sprintf("%.0f%%", st.BatteryPct)
			}
		}
		d.Devices = append(d.Devices, row)
	}
	slices.SortFunc(d.Devices, func(a, b deviceRow) int { return strings.Compare(a.ID, b.ID) })
	d.Admin = viewer.IsAdmin()
	if d.Shown != nil {
		w.Header().Set("Cache-Control", "no-store") // the secret is shown once, never kept
	}
	s.renderStatus(w, r, status, "devices.html", "Devices", d)
}

// deviceFailed shows what went wrong with a device form: the devices page
// with the reason in words, or the error page for a refusal.
func (s *Server) deviceFailed(w http.ResponseWriter, r *http.Request, err error, d devicesData) {
	switch balance.ErrorCode(err) {
	case balance.EINVALID, balance.EDEVICEID, balance.ENOTFOUND, balance.ECONFLICT:
		d.Error = sentence(balance.ErrorMessage(err))
		status := http.StatusBadRequest
		switch balance.ErrorCode(err) {
		case balance.ENOTFOUND:
			status = http.StatusNotFound
		case balance.ECONFLICT:
			status = http.StatusConflict
		}
		s.renderDevices(w, r, status, d)
	default:
		s.pageError(w, r, err)
	}
}

// postDeviceBind binds the form's device to its patient (POST
// /devices/bind) through the API's binding route on front.
func (s *Server) postDeviceBind(front http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.user(w, r); !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		var d devicesData
		d.Bind.Device, d.Bind.Patient = strings.TrimSpace(r.PostFormValue("device")), r.PostFormValue("patient")
		var err error
		switch {
		case d.Bind.Device == "":
			err = balance.Errorf(balance.EINVALID, "type the id of the device to bind")
		case d.Bind.Patient == "":
			err = balance.Errorf(balance.EINVALID, "choose the patient to bind %s to", d.Bind.Device)
		default:
			err = s.viaAPI(front, r, http.MethodPut, "/api/v1/devices/"+url.PathEscape(d.Bind.Device)+"/binding",
				map[string]string{"patient_id": d.Bind.Patient}, nil)
		}
		if err != nil {
			s.deviceFailed(w, r, err, d)
			return
		}
		s.cfg.Log.Info("device bound", "device", d.Bind.Device, "patient", d.Bind.Patient, "by", balance.Actor(r.Context(), ""))
		http.Redirect(w, r, deviceBack(r, "bound"), http.StatusSeeOther)
	}
}

// postDeviceUnbind unbinds the device {id} (POST /devices/{id}/unbind)
// through the API's binding route on front.
func (s *Server) postDeviceUnbind(front http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.user(w, r); !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		id := r.PathValue("id")
		if err := s.viaAPI(front, r, http.MethodPut, "/api/v1/devices/"+url.PathEscape(id)+"/binding",
			map[string]string{"patient_id": ""}, nil); err != nil {
			s.deviceFailed(w, r, err, devicesData{})
			return
		}
		s.cfg.Log.Info("device unbound", "device", id, "by", balance.Actor(r.Context(), ""))
		http.Redirect(w, r, deviceBack(r, "unbound"), http.StatusSeeOther)
	}
}

// postDeviceRegister registers a new device (POST /devices, administrators)
// through the API's route on front, and shows its MQTT login once.
func (s *Server) postDeviceRegister(front http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !balance.ViewerFromContext(r.Context()).IsAdmin() {
			s.pageError(w, r, balance.Errorf(balance.EFORBIDDEN, "only an administrator may register devices"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		id := strings.TrimSpace(r.PostFormValue("device"))
		var out struct {
			ID   string `json:"id"`
			MQTT *struct {
				Username    string `json:"username"`
				Password    string `json:"password"`
				TopicPrefix string `json:"topic_prefix"`
			} `json:"mqtt"`
		}
		err := s.viaAPI(front, r, http.MethodPost, "/api/v1/devices", map[string]string{"id": id}, &out)
		if balance.ErrorCode(err) == balance.ECONFLICT {
			err = balance.Errorf(balance.ECONFLICT, "device %s is registered already; bind it to a patient below", id)
		}
		if err != nil {
			s.deviceFailed(w, r, err, devicesData{NewDevice: id})
			return
		}
		s.cfg.Log.Info("device registered", "device", id, "by", balance.Actor(r.Context(), ""))
		d := devicesData{Done: "Device " + id + " registered. Bind it to a patient below."}
		d.Bind.Device = id
		if m := out.MQTT; m != nil {
			d.Shown = &shownLogin{Username: m.Username, Password: m.Password, TopicPrefix: m.TopicPrefix}
		}
		s.renderDevices(w, r, http.StatusOK, d)
	}
}

// deviceBack returns where a device form comes back to: its "back" field
// when it is the devices page or a patient's page, else the devices page;
// with done set on the devices page.
func deviceBack(r *http.Request, done string) string {
	next := safeNext(r.PostFormValue("back"))
	if strings.HasPrefix(next, "/patients/") {
		return next + "#devices"
	}
	return "/devices?done=" + url.QueryEscape(done)
}

// viaAPI sends a request on to the API route method path of front (the
// front door the dashboard's routes are on) with body as JSON, as the
// logged-in user of r (the same session cookie, Basic or token
// credentials, and the session's CSRF token), so that a form goes through
// exactly the API's checks and side effects. An answer with an error
// status is returned as the balance error it names; out, when not nil,
// receives a successful answer.
func (s *Server) viaAPI(front http.Handler, r *http.Request, method, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("dashboard: %s %s: %w", method, path, err)
	}
	req := r.Clone(r.Context())
	req.Method, req.URL, req.RequestURI = method, &url.URL{Path: path}, ""
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	req.Form, req.PostForm, req.MultipartForm = nil, nil, nil
	req.Header.Set("Content-Type", "application/json")
	req.Header.Del("Content-Length")
	req.Header.Del(CSRFHeader)
	if p := principalFrom(r.Context()); p != nil && p.csrf != "" {
		req.Header.Set(CSRFHeader, p.csrf)
	}
	rec := &answer{header: http.Header{}}
	front.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		var e struct{ Error, Message string }
		if json.Unmarshal(rec.body.Bytes(), &e) != nil || e.Error == "" {
			if rec.status == http.StatusNotFound {
				return balance.Errorf(balance.EUNAVAILABLE, "devices cannot be changed from this page: the device API is not served here")
			}
			return fmt.Errorf("dashboard: %s %s: status %d", method, path, rec.status)
		}
		return balance.Errorf(e.Error, "%s", e.Message)
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return fmt.Errorf("dashboard: %s %s: answer: %w", method, path, err)
		}
	}
	return nil
}

// answer records the API's answer to a request viaAPI sent on.
type answer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *answer) Header() http.Header { return a.header }

func (a *answer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *answer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}

// sentence starts msg with a capital letter and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
