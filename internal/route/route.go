// Package route is the HTTP front door. Every route is registered with an
// access rule, and a route without one cannot be registered (deny by
// default, for pages as for the API). The Mux authenticates each request
// through a Guard, which puts the balance.Viewer in the request context, and
// applies the route's rule before the handler runs; handlers check any
// further patient they reach (through an alert, a device) themselves, with
// balance.CheckPatient, next to the data.
package route

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// Rule says who may call a route.
type Rule struct {
	kind  ruleKind
	param string // Patient: the path parameter naming the patient
}

type ruleKind int

const (
	kindNone ruleKind = iota
	kindOpen
	kindUser
	kindAdmin
	kindPatient
	kindOwn
	kindSelf
	kindUserOrPatient
)

var (
	// Open routes need no log-in: health, readiness, metrics, the log-in
	// page, static files.
	Open = Rule{kind: kindOpen}
	// User routes need logged-in staff (an administrator or a therapist;
	// never a patient); the handler filters what it lists by
	// balance.CanSeePatient and checks each patient it reaches with
	// balance.CheckPatient.
	User = Rule{kind: kindUser}
	// Admin routes need an administrator.
	Admin = Rule{kind: kindAdmin}
	// Self routes are the patient app's: they need a patient logged in on
	// their phone, and act on that patient only (balance.Viewer.Self);
	// staff are refused.
	Self = Rule{kind: kindSelf}
	// UserOrPatient routes need logged-in staff or a patient, for routes
	// that reach a patient through something else (an alert's id): the
	// handler must check that patient with balance.CheckPatient, and a
	// patient viewer sees only themself.
	UserOrPatient = Rule{kind: kindUserOrPatient}
)

// Patient returns the rule of staff routes about one patient: the path
// parameter param names the patient, whom the logged-in staff member must
// be allowed to see. Patients are refused, their own id included: what a
// patient may reach is said route by route with Own.
func Patient(param string) Rule { return Rule{kind: kindPatient, param: param} }

// Own returns the rule of routes about one patient that the patient may
// use too: staff who may see the patient named by param, or that patient
// logged in on their phone (and no other patient).
func Own(param string) Rule { return Rule{kind: kindOwn, param: param} }

// String names the rule as docs and tests show it.
func (r Rule) String() string {
	switch r.kind {
	case kindOpen:
		return "open"
	case kindUser:
		return "user"
	case kindAdmin:
		return "admin"
	case kindPatient:
		return "patient{" + r.param + "}"
	case kindOwn:
		return "own{" + r.param + "}"
	case kindSelf:
		return "self"
	case kindUserOrPatient:
		return "user-or-patient"
	}
	return "none"
}

// Guard authenticates requests for the Mux: the dashboard's log-in
// (sessions, Basic auth, CSRF), or NoLogin.
type Guard interface {
	// Authenticate returns r with the balance.Viewer in its context, or an
	// error: EUNAUTHORIZED when no valid credentials came, EFORBIDDEN for
	// a refused request (e.g. a missing CSRF token).
	Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error)
	// Refuse answers a request that may not proceed (for a page that
	// needs log-in, e.g. a redirect to the log-in page).
	Refuse(w http.ResponseWriter, r *http.Request, err error)
}

// Registered is one registered route.
type Registered struct {
	Pattern string
	Rule    Rule
}

// Mux routes requests (Go 1.22 patterns) and applies each route's rule.
type Mux struct {
	mux    *http.ServeMux
	guard  Guard
	routes []Registered
}

// New returns a Mux whose non-open routes are authenticated by guard.
func New(guard Guard) *Mux {
	if guard == nil {
		panic("route.New: nil Guard")
	}
	m := &Mux{mux: http.NewServeMux(), guard: guard}
	m.mux.Handle("/", http.HandlerFunc(m.unmatched))
	return m
}

// unmatched answers a request no route matches: it needs log-in like any
// other, and only administrators learn that the path does not exist (404);
// everyone else is refused (403), so that no one maps the routes of a
// system they may not use.
func (m *Mux) unmatched(w http.ResponseWriter, r *http.Request) {
	r, err := m.guard.Authenticate(w, r)
	if err == nil && !balance.ViewerFromContext(r.Context()).IsAdmin() {
		err = balance.Errorf(balance.EFORBIDDEN, "not allowed")
	}
	if err != nil {
		m.guard.Refuse(w, r, err)
		return
	}
	http.NotFound(w, r)
}

// Handle registers h for pattern under rule. It panics (a programming error,
// found by the first test that wires the server) when the rule is missing or
// names a path parameter the pattern does not have.
func (m *Mux) Handle(pattern string, rule Rule, h http.Handler) {
	switch rule.kind {
	case kindNone:
		panic(fmt.Sprintf("route %q registered without an access rule (route.Open, User, Admin, Patient, Own, Self or UserOrPatient)", pattern))
	case kindPatient, kindOwn:
		if !strings.Contains(pattern, "{"+rule.param+"}") {
			panic(fmt.Sprintf("route %q: rule %s names a path parameter the pattern lacks", pattern, rule))
		}
	}
	m.routes = append(m.routes, Registered{pattern, rule})
	if rule.kind == kindOpen {
		m.mux.Handle(pattern, h)
		return
	}
	m.mux.Handle(pattern, m.guarded(rule, h))
}

// HandleFunc registers a handler function; see Handle.
func (m *Mux) HandleFunc(pattern string, rule Rule, f func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, rule, http.HandlerFunc(f))
}

// Routes returns the registered routes in registration order.
func (m *Mux) Routes() []Registered { return slices.Clone(m.routes) }

// SecurityHeaders are set on every response, open routes and refusals
// included; a page may narrow or widen its Content-Security-Policy itself.
var SecurityHeaders = map[string]string{
	"Content-Security-Policy":      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Referrer-Policy":              "same-origin",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// ServeHTTP implements http.Handler.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range SecurityHeaders {
		h.Set(k, v)
	}
	m.mux.ServeHTTP(w, r)
}

func (m *Mux) guarded(rule Rule, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := m.guard.Authenticate(w, r)
		if err == nil {
			err = rule.check(r)
		}
		if err != nil {
			m.guard.Refuse(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// check applies the rule to an authenticated request. Staff rules (User,
// Admin, Patient) refuse patients whatever the path names; Self refuses
// staff; Own lets staff through as Patient does, and a patient only to
// their own id.
func (r Rule) check(req *http.Request) error {
	v := balance.ViewerFromContext(req.Context())
	if v == nil {
		return balance.Errorf(balance.EUNAUTHORIZED, "log in first")
	}
	self := v.Self()
	switch r.kind {
	case kindUser:
		if !v.IsStaff() {
			return balance.Errorf(balance.EFORBIDDEN, "only clinic staff may do this")
		}
	case kindAdmin:
		if !v.IsAdmin() {
			return balance.Errorf(balance.EFORBIDDEN, "only an administrator may do this")
		}
	case kindPatient:
		if !v.IsStaff() {
			return balance.Errorf(balance.EFORBIDDEN, "only clinic staff may do this")
		}
		return balance.CheckPatient(req.Context(), req.PathValue(r.param))
	case kindOwn:
		if self != "" {
			if req.PathValue(r.param) != self {
				return balance.Errorf(balance.EFORBIDDEN, "you may see only your own records")
			}
			return nil
		}
		if !v.IsStaff() {
			return balance.Errorf(balance.EFORBIDDEN, "not allowed")
		}
		return balance.CheckPatient(req.Context(), req.PathValue(r.param))
	case kindUserOrPatient:
		if !v.IsStaff() && self == "" {
			return balance.Errorf(balance.EFORBIDDEN, "not allowed")
		}
	case kindSelf:
		if self == "" {
			return balance.Errorf(balance.EFORBIDDEN, "this page is for patients, on the phone their therapist set up")
		}
	default:
		return balance.Errorf(balance.EFORBIDDEN, "not allowed")
	}
	return nil
}

// NoLogin is the Guard of the API served without log-in (the dashboard
// turned off): every request acts as an administrator who sees every
// patient, and "who acted" is what the request says.
type NoLogin struct {
	Log *slog.Logger
}

// Authenticate implements Guard.
func (g NoLogin) Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	v := &balance.Viewer{User: balance.User{Role: balance.RoleAdmin}, AllPatients: true}
	return r.WithContext(balance.NewContextWithViewer(r.Context(), v)), nil
}

// Refuse implements Guard.
func (g NoLogin) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, g.Log, 0, err)
}
