package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/monitor"
)

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"ago": func(now, t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := now.Sub(t)
		switch {
		case d < time.Minute:
			return "just now"
		case d < time.Hour:
			return fmt.Sprintf("%d min ago", int(d.Minutes()))
		case d < 48*time.Hour:
			return fmt.Sprintf("%d h ago", int(d.Hours()))
		}
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	},
	"battery": func(p float64) string {
		if p < 0 {
			return "?"
		}
		return fmt.Sprintf("%.0f%%", p)
	},
	"f2":              func(v float64) string { return fmt.Sprintf("%.2f", v) },
	"f1":              func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"lower":           strings.ToLower,
	"text":            text,
	"categoryPicture": CategoryPictogram,
	"risk": func(l string) string {
		switch l {
		case "":
			return "not assessed"
		case balance.RiskNotEnoughData:
			return "not enough data"
		}
		return l
	},
}

// page is the data every page template gets.
type page struct {
	Title string
	User  balance.User
	CSRF  string
	Now   time.Time
	Data  any
}

// render executes a template into a buffer first, so that an error gives a
// clean 500 and not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name, title string, data any) {
	s.renderStatus(w, r, http.StatusOK, name, title, data)
}

// renderStatus is render with an HTTP status.
func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := page{Title: title, Now: s.now(), Data: data}
	if pr := principalFrom(r.Context()); pr != nil {
		p.User, p.CSRF = pr.user, pr.csrf
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.cfg.Log.Error("dashboard template", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8") // security headers: the front door's (route.SecurityHeaders)
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// pageError shows an error page with the error's status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	st := httpjson.Status(err)
	if st == http.StatusInternalServerError {
		s.cfg.Log.Error("dashboard page", "path", r.URL.Path, "err", err)
	}
	title := http.StatusText(st)
	switch st {
	case http.StatusForbidden:
		title = "Not allowed"
	case http.StatusNotFound:
		title = "Not found"
	}
	s.renderStatus(w, r, st, "error.html", title, map[string]any{"Status": st, "Message": balance.ErrorMessage(err)})
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login.html", "Log in", map[string]string{"Next": safeNext(r.URL.Query().Get("next")), "Error": ""})
}

// safeNext keeps redirects after log-in on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines and read a backslash as a slash, so
	// "/\t/evil.example" would leave the site: refuse any control character
	// or backslash, and anything with a scheme or a host.
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return u.RequestURI()
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	name, pw, next := r.PostFormValue("username"), r.PostFormValue("password"), safeNext(r.PostFormValue("next"))
	u, err := s.authenticate(r.Context(), name, pw, s.clients.of(r))
	if err != nil {
		st := http.StatusUnauthorized
		if err == errLocked {
			st = http.StatusTooManyRequests
		} else if !isUnauthorized(err) {
			s.pageError(w, r, err)
			return
		}
		s.cfg.Log.Warn("dashboard log-in refused", "username", name, "addr", s.clients.of(r), "err", err)
		s.renderStatus(w, r, st, "login.html", "Log in", map[string]string{"Next": next, "Error": balance.ErrorMessage(err)})
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.cfg.Log.Info("dashboard log-in", "username", u.Username, "role", u.Role)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	s.endSession(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) pageList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.user(w, r); !ok {
		return
	}
	ps, err := s.Overview(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "list.html", "Patients", ps)
}

// patientPage is the data of the patient template.
type patientPage struct {
	View   PatientView
	Charts []ChartSVG
	Month  string
	// Ranges are the offered chart ranges in days.
	Ranges []int
	// Sessions are the newest sessions, described in words.
	Sessions []SessionWords
	// Plan is what the plan forms offer (plan_form.go).
	Plan planForm
	// Access is the patient's app log-ins (patient_access.go).
	Access appAccessSection
}

// rangeDays reads the optional ?days= of a patient page or chart: one of
// TrendRanges, TrendDays when absent.
func rangeDays(r *http.Request) (int, error) {
	q := r.URL.Query().Get("days")
	if q == "" {
		return TrendDays, nil
	}
	for _, d := range TrendRanges {
		if q == strconv.Itoa(d) {
			return d, nil
		}
	}
	return 0, balance.Errorf(balance.EINVALID, "days=%q: the charts show 30, 90 or 365 days", q)
}

func (s *Server) pagePatient(w http.ResponseWriter, r *http.Request) {
	s.renderPatient(w, r, http.StatusOK, planForm{})
}

// renderPatient shows the patient page with status; f is what a refused
// plan form had.
func (s *Server) renderPatient(w http.ResponseWriter, r *http.Request, status int, f planForm) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	days, err := rangeDays(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.Patient(r.Context(), id, days)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	th, err := s.thresholds(r.Context(), v)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	charts, err := renderCharts(v, th)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderStatus(w, r, status, "patient.html", v.Summary.Patient.Name, patientPage{View: v, Charts: charts, Month: s.now().UTC().Format("2006-01"),
		Ranges: TrendRanges, Sessions: describeSessions(v.Sessions, 50), Plan: s.fillPlanForm(f, v),
		Access: s.appAccessSection(r.Context(), id)})
}

func (s *Server) chartSVG(w http.ResponseWriter, r *http.Request) {
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
	th, err := s.thresholds(r.Context(), v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, found := patientChart(strings.TrimSuffix(r.PathValue("chart"), ".svg"), v, th)
	if !found {
		s.fail(w, r, balance.Errorf(balance.ENOTFOUND, "no chart %q (charts: %s)", r.PathValue("chart"), strings.Join(ChartIDs, ", ")))
		return
	}
	b, err := c.SVG(chartW, chartH)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(b)
}

// session finds a session of the patient for the drill-down.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (balance.ExerciseSession, []balance.Sample, bool) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return balance.ExerciseSession{}, nil, false
	}
	src := s.sources()
	if src.sessions == nil || s.deps.Samples == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "sessions are not available"))
		return balance.ExerciseSession{}, nil, false
	}
	es, err := src.sessions.ExerciseSession(r.Context(), r.PathValue("sid"))
	if err == nil && es.PatientID != id {
		err = balance.Errorf(balance.ENOTFOUND, "session %q not found", r.PathValue("sid"))
	}
	if err != nil {
		s.pageError(w, r, err)
		return es, nil, false
	}
	end := es.End
	if end.Sub(es.Start) > 10*time.Minute {
		end = es.Start.Add(10 * time.Minute)
	}
	ss, err := s.deps.Samples.ReadSamples(r.Context(), balance.SampleQuery{DeviceID: es.DeviceID, From: es.Start, To: end})
	if err != nil {
		s.pageError(w, r, err)
		return es, nil, false
	}
	return es, ss, true
}

func (s *Server) pageSession(w http.ResponseWriter, r *http.Request) {
	es, ss, ok := s.session(w, r)
	if !ok {
		return
	}
	b, err := signalChart(es, ss).SVG(chartW*2, chartH*1.3)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	fs := analysis.EstimateRate(ss)
	heading, err := monitor.SessionHeading(r.Context(), s.deps.Samples, &es, fs)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sway, ellipse, hasSway, err := swayPathSVG(es, ss, fs, heading.Forward, vg.Points(420))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "session.html", "Session "+es.ID, map[string]any{"Session": es, "Words": describeSession(es), "Samples": len(ss),
		"Chart": template.HTML(b), "Sway": template.HTML(sway), "HasSway": hasSway, "Ellipse": ellipse})
}

func (s *Server) signalSVG(w http.ResponseWriter, r *http.Request) {
	es, ss, ok := s.session(w, r)
	if !ok {
		return
	}
	b, err := signalChart(es, ss).SVG(chartW*2, chartH*1.3)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(b)
}

func (s *Server) pageRTM(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rep, err := s.RTMFrom(r.Context(), id, q.Get("month"), q.Get("start"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	title := "Remote monitoring report " + rep.Month + " " + rep.PatientID
	if rep.PatientName != "" {
		title = "Remote monitoring report " + rep.Month + " " + rep.PatientName
	}
	s.render(w, r, "rtm.html", title, rep)
}
