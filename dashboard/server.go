package dashboard

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/internal/route"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the dashboard; zero values take the defaults in brackets.
type Config struct {
	// SecureCookies sets the Secure attribute on the session cookie even
	// over plain HTTP (behind a TLS-terminating proxy); it is always set
	// when the request itself came over TLS.
	SecureCookies bool
	// SessionTTL is how long a log-in lasts [12h].
	SessionTTL time.Duration
	// LoginFailures failed log-ins for a user from one address within
	// LoginWindow make further attempts from there wait, doubling from 1 s;
	// 10 times as many from one address (any names), or 20 times as many
	// for one name (all addresses), pause those for the window [5 in 15m].
	// A stranger cannot lock a user out from the user's own address.
	LoginFailures int
	LoginWindow   time.Duration
	// BcryptCost is the cost of new password hashes [10].
	BcryptCost int
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For names the client (for log-in limits and logs);
	// requests from elsewhere are taken at their peer address.
	TrustedProxies []netip.Prefix
	// Now is the clock [time.Now].
	Now func() time.Time
	Log *slog.Logger
	// Thresholds are the fall-risk cut-offs monitoring applies to a patient
	// (the configured ones); nil: the published defaults
	// (balance.NeuropathyThresholds for neuropathy, else
	// balance.StandardThresholds). The trend charts draw them.
	Thresholds func(ctx context.Context, patientID string, neuropathy bool) (balance.Thresholds, error)
	// Zone returns the time zone of a patient's clinic, as alert notices
	// use it (nil, or a nil result: times are shown in UTC, and say so).
	Zone func(patientID string) *time.Location
	// BaseURL is the system's external URL (alerts.base_url), which the
	// patient log-in links start with; "" takes the scheme and host of
	// the therapist's request.
	BaseURL string
	// AppInviteTTL is how long a patient's one-time log-in link and code
	// stay valid [24h]; AppSessionTTL how long a phone stays logged in
	// [180 days] unless revoked.
	AppInviteTTL  time.Duration
	AppSessionTTL time.Duration
}

// Server is the dashboard: pages, its JSON API and the log-in guard of the
// HTTP front door.
type Server struct {
	cfg     Config
	deps    Deps
	limiter *limiter
	// redeem slows guessing of patients' log-in codes (and links), by
	// client address; apart from limiter so that code guessing cannot
	// lock staff out.
	redeem    *limiter
	clients   clientAddrs
	basic     basicCache
	tmpl      *template.Template
	dummyHash string

	// reviewMu guards lastBeat: the time each user's credited review time
	// last reached, so that beats from several tabs or repeated posts never
	// credit more than the wall-clock time that passed.
	reviewMu sync.Mutex
	lastBeat map[int64]time.Time
}

// parts are the optional sources of the pages (nil: that part is shown as
// not available).
type parts struct {
	risk     RiskSource
	sessions SessionSource
	alerts   AlertSource
	plans    PlanSource
}

// New returns a dashboard server.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Users == nil || deps.Registry == nil || deps.Summaries == nil {
		return nil, errors.New("dashboard: Users, Registry and Summaries are required")
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = sessionExpiry
	}
	if cfg.AppInviteTTL <= 0 {
		cfg.AppInviteTTL = appInviteExpiry
	}
	if cfg.AppSessionTTL <= 0 {
		cfg.AppSessionTTL = appSessionExpiry
	}
	if cfg.LoginFailures <= 0 {
		cfg.LoginFailures = 5
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Thresholds == nil {
		cfg.Thresholds = defaultThresholds
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	dummy, err := HashPassword(RandomPassword(), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, deps: deps, limiter: newLimiter(cfg.LoginFailures, cfg.LoginWindow),
		redeem: newLimiter(cfg.LoginFailures, cfg.LoginWindow), clients: clientAddrs{trusted: cfg.TrustedProxies},
		tmpl: tmpl, dummyHash: dummy}, nil
}

func (s *Server) sources() parts {
	return parts{risk: s.deps.Risk, sessions: s.deps.Sessions, alerts: s.deps.Alerts, plans: s.deps.Plans}
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Routes registers the dashboard's pages and API on m, each with its
// access rule:
//
//	GET  /static/...                         script and style (open)
//	GET  /login, POST /login                 log-in (open)
//	POST /logout                             log-out
//	GET  /                                   patient list (UI)
//	GET  /patients/{id}                      one patient (UI)
//	GET  /patients/{id}/sessions/{sid}       a session's raw signals (UI)
//	GET  /patients/{id}/rtm[?month=&start=]  monthly RTM report (UI, printable)
//	GET  /patients/{id}/charts/{chart}.svg   a trend chart
//	GET  /patients/{id}/sessions/{sid}/signal.svg  raw signal chart
//	GET  /api/v1/me                          who is logged in, and the CSRF token
//	GET, POST /api/v1/me/tokens, DELETE .../{id}  the user's API tokens (Bearer)
//	GET  /api/v1/dashboard/patients          patients at a glance, by risk
//	GET  /api/v1/dashboard/patients/{id}     everything the patient page shows
//	GET  /api/v1/dashboard/patients/{id}/measurements.csv  CSV export
//	GET  /api/v1/dashboard/patients/{id}/rtm?month=YYYY-MM[&start=YYYY-MM-DD]  RTM report
//	POST /api/v1/dashboard/patients/{id}/review  {"seconds": n, "activity": ""}
//	GET  /api/v1/users, POST /api/v1/users   users (admin)
//	PUT/DELETE /api/v1/users/{id}/patients/{pid}  assignments (admin)
//	GET  /alerts                             alert inbox (UI): ?severity=&patient=&state=&kind=&limit=
//	GET  /alerts/{id}                        one alert and its timeline (UI)
//	POST /alerts/{id}/ack, .../notes, .../assignee   inbox actions (forms)
//	POST /patients/{id}/plan, .../plan/level  assign or change a plan, change its level (forms)
//	GET  /devices                            devices the viewer may see (UI)
//	POST /devices (admin), /devices/bind, /devices/{id}/unbind  register, bind, unbind (forms, through the device API)
//	GET, POST /admin/users                   users (UI, admin)
//	POST /admin/users/{id}/password, .../disabled, .../patients, .../patients/{pid}/remove
//	POST /patients/{id}/app-access           a one-time log-in for the patient's phone (shown once)
//	POST /patients/{id}/app-access/{sid}/revoke  log a patient's phone out at once
//	GET, POST /app/join?t=, GET, POST /app/code  a phone logs in as the patient (open)
//	GET  /app/, POST /app/logout             the patient app (patients only)
//	GET, POST /app/reminders                 the patient's exercise reminders (patients only)
func (s *Server) Routes(m *route.Mux) {
	static, _ := fs.Sub(staticFS, "static")
	patient := route.Patient("id")
	m.Handle("GET /static/", route.Open, http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /login", route.Open, s.pageLogin)
	m.HandleFunc("POST /login", route.Open, s.postLogin)
	m.HandleFunc("POST /logout", route.User, s.postLogout)
	m.HandleFunc("GET /{$}", route.User, s.pageList)
	m.HandleFunc("GET /patients/{id}", patient, s.pagePatient)
	m.HandleFunc("GET /patients/{id}/sessions/{sid}", patient, s.pageSession)
	m.HandleFunc("GET /patients/{id}/rtm", patient, s.pageRTM)
	m.HandleFunc("POST /patients/{id}/plan", patient, s.postPlan)
	m.HandleFunc("POST /patients/{id}/plan/level", patient, s.postPlanLevel)
	m.HandleFunc("GET /patients/{id}/cutoffs", patient, s.pageCutoffs)
	m.HandleFunc("POST /patients/{id}/cutoffs", patient, s.postCutoffs)
	m.HandleFunc("GET /patients/{id}/charts/{chart}", patient, s.chartSVG)
	m.HandleFunc("GET /patients/{id}/sessions/{sid}/signal.svg", patient, s.signalSVG)
	m.HandleFunc("GET /api/v1/me", route.User, s.apiMe)
	m.HandleFunc("GET /api/v1/me/tokens", route.User, s.apiTokens)
	m.HandleFunc("POST /api/v1/me/tokens", route.User, s.apiCreateToken)
	m.HandleFunc("DELETE /api/v1/me/tokens/{id}", route.User, s.apiRevokeToken)
	m.HandleFunc("GET /api/v1/dashboard/patients", route.User, s.apiOverview)
	m.HandleFunc("GET /api/v1/dashboard/patients/{id}", patient, s.apiPatient)
	m.HandleFunc("GET /api/v1/dashboard/patients/{id}/measurements.csv", patient, s.apiCSV)
	m.HandleFunc("GET /api/v1/dashboard/patients/{id}/rtm", patient, s.apiRTM)
	m.HandleFunc("POST /api/v1/dashboard/patients/{id}/review", patient, s.apiReview)
	m.HandleFunc("GET /api/v1/users", route.Admin, s.apiUsers)
	m.HandleFunc("POST /api/v1/users", route.Admin, s.apiCreateUser)
	m.HandleFunc("PUT /api/v1/users/{id}/patients/{pid}", route.Admin, s.apiAssign)
	m.HandleFunc("DELETE /api/v1/users/{id}/patients/{pid}", route.Admin, s.apiUnassign)
	m.HandleFunc("GET /alerts", route.User, s.pageInbox)
	m.HandleFunc("GET /alerts/{id}", route.User, s.pageAlert)
	m.HandleFunc("POST /alerts/{id}/ack", route.User, s.postAlertAck)
	m.HandleFunc("POST /alerts/{id}/notes", route.User, s.postAlertNote)
	m.HandleFunc("POST /alerts/{id}/assignee", route.User, s.postAlertAssign)
	m.HandleFunc("GET /devices", route.User, s.pageDevices)
	m.HandleFunc("POST /devices", route.Admin, s.postDeviceRegister(m))
	m.HandleFunc("POST /devices/bind", route.User, s.postDeviceBind(m))
	m.HandleFunc("POST /devices/{id}/unbind", route.User, s.postDeviceUnbind(m))
	m.HandleFunc("GET /admin/users", route.Admin, s.pageUsers)
	m.HandleFunc("GET /admin/patients/new", route.Admin, s.pagePatientNew)
	m.HandleFunc("POST /admin/patients", route.Admin, s.postPatient)
	m.HandleFunc("GET /admin/patients/{pid}", route.Admin, s.pagePatientEdit)
	m.HandleFunc("POST /admin/patients/{pid}", route.Admin, s.postPatient)
	m.HandleFunc("POST /admin/users", route.Admin, s.postUser)
	m.HandleFunc("POST /admin/users/{id}/password", route.Admin, s.postUserPassword)
	m.HandleFunc("POST /admin/users/{id}/disabled", route.Admin, s.postUserDisabled)
	m.HandleFunc("POST /admin/users/{id}/patients", route.Admin, s.postUserAssign)
	m.HandleFunc("POST /admin/users/{id}/patients/{pid}/remove", route.Admin, s.postUserUnassign)
	m.HandleFunc("POST /patients/{id}/app-access", patient, s.postAppInvite)
	m.HandleFunc("POST /patients/{id}/app-access/{sid}/revoke", patient, s.postAppRevoke)
	m.HandleFunc("GET /app/join", route.Open, s.pageAppJoin)
	m.HandleFunc("POST /app/join", route.Open, s.postAppJoin)
	m.HandleFunc("GET /app/code", route.Open, s.pageAppCode)
	m.HandleFunc("POST /app/code", route.Open, s.postAppCode)
	m.HandleFunc("GET /app/{$}", route.Self, s.pageAppHome)
	m.HandleFunc("POST /app/logout", route.Self, s.postAppLogout)
	m.HandleFunc("GET /app/reminders", route.Self, s.pageAppReminders)
	m.HandleFunc("GET /app/reminders.json", route.Self, s.appReminderTimes)
	m.HandleFunc("POST /app/reminders", route.Self, s.postAppReminders)
	m.HandleFunc("POST /app/alerts/{aid}/answer", route.Self, s.postAppAnswer)
	m.HandleFunc("GET /app/exercise", route.Self, s.pageAppExercise)
	m.HandleFunc("GET /app/sessions/{sid}/result", route.Self, s.appResult)
	m.HandleFunc("GET /app/sessions/{sid}/how", route.Self, s.pageAppHow)
	m.HandleFunc("POST /app/sessions/{sid}/how", route.Self, s.postAppHow)
	m.HandleFunc("GET /app/progress", route.Self, s.pageAppProgress)
}

// Handler returns the dashboard's routes, and those that each of more
// registers, on one front door with the dashboard's log-in (for tests and
// for running the dashboard alone).
func (s *Server) Handler(more ...func(*route.Mux)) http.Handler {
	m := route.New(s)
	s.Routes(m)
	for _, register := range more {
		register(m)
	}
	return m
}

// Bootstrap makes sure an admin exists: when there is no user named
// "admin" it creates one with adminPassword, or with a random password it
// returns (to be shown once). It also creates the therapist demoUser (when
// not "") assigned to demoPatients, with password demoPassword.
func (s *Server) Bootstrap(ctx context.Context, adminPassword, demoUser, demoPassword string, demoPatients []string) (generated string, err error) {
	if _, err := s.deps.Users.UserByName(ctx, "admin"); balance.ErrorCode(err) == balance.ENOTFOUND {
		pw := adminPassword
		if pw == "" {
			pw = RandomPassword()
			generated = pw
		}
		h, err := HashPassword(pw, s.cfg.BcryptCost)
		if err != nil {
			return "", fmt.Errorf("admin password: %w", err)
		}
		if _, err := s.deps.Users.CreateUser(ctx, balance.User{Username: "admin", Role: balance.RoleAdmin, PasswordHash: h}); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if demoUser == "" {
		return generated, nil
	}
	u, err := s.deps.Users.UserByName(ctx, demoUser)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		h, herr := HashPassword(demoPassword, s.cfg.BcryptCost)
		if herr != nil {
			return "", fmt.Errorf("demo password: %w", herr)
		}
		u, err = s.deps.Users.CreateUser(ctx, balance.User{Username: demoUser, Role: balance.RoleTherapist, PasswordHash: h})
	}
	if err != nil {
		return "", err
	}
	for _, p := range demoPatients {
		if err := s.deps.Users.AssignPatient(ctx, u.ID, p); err != nil {
			return "", fmt.Errorf("assign %s to %s: %w", p, demoUser, err)
		}
	}
	return generated, nil
}

// fail answers an error: a page for a page's request (a person reads it),
// JSON for the API and for charts.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if !strings.HasPrefix(r.URL.Path, "/api/") && !strings.HasSuffix(r.URL.Path, ".svg") && err != errLocked {
		s.pageError(w, r, err)
		return
	}
	status := 0
	if err == errLocked {
		status = http.StatusTooManyRequests
	}
	httpjson.Error(w, r, s.cfg.Log, status, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

func readJSON(r *http.Request, v any) error { return httpjson.Read(r, v) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func contextWith(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}
