package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/internal/route"
)

// AlertView is an alert with its deliveries and their attempt logs, and
// clinicians' notes and assignments, as GET /api/v1/alerts/{id} shows it.
type AlertView struct {
	balance.Alert
	Deliveries []Delivery          `json:"deliveries"`
	Notes      []balance.AlertNote `json:"notes"`
	// PatientAnswer is the patient's answer to "Are you OK?" that counts
	// (falls only; omitted when there is none); every answer is also on
	// the timeline (Notes, kind NotePatientAnswer).
	PatientAnswer *PatientAnswer `json:"patient_answer,omitempty"`
}

// Routes registers the acknowledgement API on m:
//
//	GET  /api/v1/alerts?patient=&status=&limit=   alerts the viewer may see, newest first
//	GET  /api/v1/alerts/{id}                      one alert, its deliveries and attempts
//	POST /api/v1/alerts/{id}/ack                  acknowledge, as the logged-in user
//	POST /api/v1/alerts/{id}/answer               {"answer": "ok"|"help"}: the patient's answer to "Are you OK?" (access checked by PatientAnswer)
//	GET, POST /ack/{id}?r=&exp=&sig=              one-click link from a notification (signed)
//	GET, POST /api/v1/patients/{id}/silences, DELETE .../{sid}   silences
//
// Each handler checks the alert's patient against the viewer.
func (s *Service) Routes(m *route.Mux) {
	m.HandleFunc("GET /api/v1/alerts", route.User, s.list)
	m.HandleFunc("GET /api/v1/alerts/{id}", route.User, s.get)
	m.HandleFunc("POST /api/v1/alerts/{id}/ack", route.User, s.ack)
	m.HandleFunc("POST /api/v1/alerts/{id}/answer", route.UserOrPatient, s.patientAnswer)
	m.HandleFunc("GET /api/v1/patients/{id}/silences", route.Patient("id"), s.listSilences)
	m.HandleFunc("POST /api/v1/patients/{id}/silences", route.Patient("id"), s.addSilence)
	m.HandleFunc("DELETE /api/v1/patients/{id}/silences/{sid}", route.Patient("id"), s.endSilence)
	// One-click links from notifications: the signature is the credential.
	m.HandleFunc("GET /ack/{id}", route.Open, s.ackLinkPage)
	m.HandleFunc("POST /ack/{id}", route.Open, s.ackLinkPage)
}

// PatientAlerts returns a patient's alerts, newest first ("" status: all).
func (s *Service) PatientAlerts(ctx context.Context, patientID, status string, limit int) ([]balance.Alert, error) {
	return s.store.Alerts(ctx, AlertFilter{PatientID: patientID, Status: status, Limit: limit})
}

// Alert returns one alert or an ENOTFOUND error.
func (s *Service) Alert(ctx context.Context, id string) (balance.Alert, error) {
	return s.store.Alert(ctx, id)
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := AlertFilter{PatientID: q.Get("patient"), Status: q.Get("status"), Limit: 100}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, balance.Errorf(balance.EINVALID, "limit %q must be 1..1000", v))
			return
		}
		f.Limit = n
	}
	as, err := s.Inbox(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if as == nil {
		as = []balance.Alert{}
	}
	writeJSON(w, http.StatusOK, as)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	v, err := s.Detail(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Service) ack(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) { // no body: the logged-in user acts
		s.fail(w, r, balance.Errorf(balance.EINVALID, "request body: %v", err))
		return
	}
	if _, err := s.VisibleAlert(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Ack(r.Context(), r.PathValue("id"), body.By)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("alert acknowledged", "alert", a.ID, "by", a.AckedBy)
	writeJSON(w, http.StatusOK, a)
}

func (s *Service) patientAnswer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Answer string `json:"answer"`
		By     string `json:"by"` // without log-in only
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.fail(w, r, balance.Errorf(balance.EINVALID, `request body must be {"answer": "ok"} or {"answer": "help"}: %v`, err))
		return
	}
	a, err := s.patientAnswerBy(r.Context(), r.PathValue("id"), body.Answer, body.By)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, s.log, 0, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }
