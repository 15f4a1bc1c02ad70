package alerts

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// AlertView is an alert with its deliveries and their attempt logs, as
// GET /api/v1/alerts/{id} shows it.
type AlertView struct {
	balance.Alert
	Deliveries []Delivery `json:"deliveries"`
}

// Routes registers the acknowledgement API with handle (e.g. App.Handle):
//
//	GET  /api/v1/alerts?patient=&status=&limit=   alerts, newest first
//	GET  /api/v1/alerts/{id}                      one alert, its deliveries and attempts
//	POST /api/v1/alerts/{id}/ack  {"by": "..."}   acknowledge
func (s *Service) Routes(handle func(pattern string, h http.Handler)) {
	handle("GET /api/v1/alerts", http.HandlerFunc(s.list))
	handle("GET /api/v1/alerts/{id}", http.HandlerFunc(s.get))
	handle("POST /api/v1/alerts/{id}/ack", http.HandlerFunc(s.ack))
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := AlertFilter{PatientID: q.Get("patient"), Status: q.Get("status"), Limit: 100}
	if f.Status != "" && !slices.Contains([]string{balance.AlertOpen, balance.AlertAcknowledged, balance.AlertResolved}, f.Status) {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "status %q must be open, acknowledged or resolved", f.Status))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.fail(w, r, balance.Errorf(balance.EINVALID, "limit %q must be 1..1000", v))
			return
		}
		f.Limit = n
	}
	as, err := s.store.Alerts(r.Context(), f)
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
	id := r.PathValue("id")
	a, err := s.store.Alert(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ds, err := s.store.Deliveries(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ds == nil {
		ds = []Delivery{}
	}
	writeJSON(w, http.StatusOK, AlertView{Alert: a, Deliveries: ds})
}

func (s *Service) ack(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "request body: %v", err))
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

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, s.log, 0, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }
