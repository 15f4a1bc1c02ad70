package dashboard

import (
	"encoding/csv"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
)

// user returns the request's user (the front door has put the viewer in
// the context).
func (s *Server) user(w http.ResponseWriter, r *http.Request) (balance.User, bool) {
	v := balance.ViewerFromContext(r.Context())
	if v == nil {
		s.fail(w, r, balance.Errorf(balance.EUNAUTHORIZED, "log in first"))
		return balance.User{}, false
	}
	return v.User, true
}

// patientAccess checks the {id} of the path against the viewer, next to
// the data (the route's rule has checked it too).
func (s *Server) patientAccess(w http.ResponseWriter, r *http.Request) (balance.User, string, bool) {
	u, ok := s.user(w, r)
	if !ok {
		return u, "", false
	}
	id := r.PathValue("id")
	if err := balance.CheckPatient(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return u, id, false
	}
	return u, id, true
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	ids, err := s.deps.Users.AssignedPatients(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ids == nil {
		ids = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "csrf_token": principalFrom(r.Context()).csrf, "patients": ids})
}

func (s *Server) apiOverview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.user(w, r); !ok {
		return
	}
	ps, err := s.Overview(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) apiPatient(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	days, err := rangeDays(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.Patient(r.Context(), id, days)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// apiCSV exports a patient's measurements (every name monitoring writes)
// of the last 90 days, or of ?from=&to= (RFC 3339), as CSV: one row per
// field value.
func (s *Server) apiCSV(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	if s.deps.Measurements == nil {
		s.fail(w, r, balance.Errorf(balance.EUNAVAILABLE, "no measurement store"))
		return
	}
	to, from := s.now(), s.now().AddDate(0, 0, -TrendDays)
	for k, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		if v := r.URL.Query().Get(k); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				s.fail(w, r, balance.Errorf(balance.EINVALID, "%s %q must be RFC 3339", k, v))
				return
			}
			*dst = t
		}
	}
	var all []balance.Measurement
	for _, name := range []string{"gait_bout", "sway", "tug", "sts5", "four_stage", "exercise", "fall", "risk"} {
		ms, err := s.deps.Measurements.ReadMeasurements(r.Context(), balance.MeasurementQuery{Name: name, PatientID: id, From: from, To: to})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all = append(all, ms...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`-measurements.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "patient_id", "measurement", "tags", "field", "value"})
	for _, m := range all {
		keys := make([]string, 0, len(m.Fields))
		for k := range m.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			cw.Write([]string{m.Time.UTC().Format(time.RFC3339Nano), m.PatientID, m.Name, m.TagsKey(), k, strconv.FormatFloat(m.Fields[k], 'g', -1, 64)})
		}
	}
	cw.Flush()
}

func (s *Server) apiRTM(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rep, err := s.RTMFrom(r.Context(), id, q.Get("month"), q.Get("start"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// maxReviewSeconds caps one review heartbeat.
const maxReviewSeconds = 120

func (s *Server) apiReview(w http.ResponseWriter, r *http.Request) {
	u, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	var body struct {
		Seconds  float64 `json:"seconds"`
		Activity string  `json:"activity"`
	}
	if err := readJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if !(body.Seconds > 0 && body.Seconds <= maxReviewSeconds) {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "seconds %v must be in (0, %d]", body.Seconds, maxReviewSeconds))
		return
	}
	if body.Activity == "" {
		body.Activity = "review"
	}
	// Credit at most the wall-clock time since this user's last credited
	// beat (any patient): two tabs, or a client posting beats in a burst,
	// cannot add up to more review time than has passed.
	now := s.now()
	s.reviewMu.Lock()
	if s.lastBeat == nil {
		s.lastBeat = map[int64]time.Time{}
	}
	if last, ok := s.lastBeat[u.ID]; ok {
		if since := now.Sub(last).Seconds(); since < body.Seconds {
			body.Seconds = math.Max(0, since)
		}
	}
	if body.Seconds > 0 {
		s.lastBeat[u.ID] = now
	}
	s.reviewMu.Unlock()
	e := balance.ReviewEntry{UserID: u.ID, PatientID: id, Start: now.Add(-time.Duration(body.Seconds * float64(time.Second))), Seconds: body.Seconds, Activity: body.Activity}
	if e.Seconds == 0 {
		writeJSON(w, http.StatusOK, e) // nothing new to credit
		return
	}
	if err := s.deps.Users.LogReview(r.Context(), e); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if !balance.ViewerFromContext(r.Context()).IsAdmin() {
		s.fail(w, r, balance.Errorf(balance.EFORBIDDEN, "admins only"))
		return false
	}
	return true
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	us, err := s.deps.Users.Users(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if us == nil {
		us = []balance.User{}
	}
	writeJSON(w, http.StatusOK, us)
}

func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := readJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.createUser(r.Context(), body.Username, body.Password, body.Role)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) assignment(w http.ResponseWriter, r *http.Request, assign bool) {
	if !s.requireAdmin(w, r) {
		return
	}
	uid, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "user id %q must be a number", r.PathValue("id")))
		return
	}
	if assign {
		err = s.deps.Users.AssignPatient(r.Context(), uid, r.PathValue("pid"))
	} else {
		err = s.deps.Users.UnassignPatient(r.Context(), uid, r.PathValue("pid"))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request)   { s.assignment(w, r, true) }
func (s *Server) apiUnassign(w http.ResponseWriter, r *http.Request) { s.assignment(w, r, false) }
