package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
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
	// LoginFailures failed log-ins within LoginWindow pause log-ins for the
	// username and for the client address [5 in 15m].
	LoginFailures int
	LoginWindow   time.Duration
	// BcryptCost is the cost of new password hashes [10].
	BcryptCost int
	// Now is the clock [time.Now].
	Now func() time.Time
	Log *slog.Logger
}

// Server is the dashboard: pages, its JSON API and the access middleware.
type Server struct {
	cfg       Config
	deps      Deps
	limiter   *limiter
	tmpl      *template.Template
	dummyHash string

	mu   sync.RWMutex
	late lateSources

	// reviewMu guards lastBeat: the time each user's credited review time
	// last reached, so that beats from several tabs or repeated posts never
	// credit more than the wall-clock time that passed.
	reviewMu sync.Mutex
	lastBeat map[int64]time.Time
}

// lateSources are the parts of other components that may be wired after
// the server is created.
type lateSources struct {
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
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard: templates: %w", err)
	}
	dummy, err := HashPassword(RandomPassword(), cfg.BcryptCost)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: deps, limiter: newLimiter(cfg.LoginFailures, cfg.LoginWindow), tmpl: tmpl, dummyHash: dummy}
	s.SetSources(deps.Risk, deps.Sessions, deps.Alerts, deps.Plans)
	return s, nil
}

// SetSources sets (or replaces) the monitoring, alerts and progression
// sources; nil leaves that part out. Safe while serving.
func (s *Server) SetSources(risk RiskSource, sessions SessionSource, alerts AlertSource, plans PlanSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.late = lateSources{risk: risk, sessions: sessions, alerts: alerts, plans: plans}
}

func (s *Server) sources() lateSources {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.late
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// Routes registers the dashboard's pages and API with handle (App.Handle):
//
//	GET  /                                   patient list (UI)
//	GET  /login, POST /login, POST /logout   log-in and log-out
//	GET  /patients/{id}                      one patient (UI)
//	GET  /patients/{id}/sessions/{sid}       a session's raw signals (UI)
//	GET  /patients/{id}/rtm                  monthly RTM report (UI)
//	GET  /patients/{id}/charts/{chart}.svg   a trend chart
//	GET  /patients/{id}/sessions/{sid}/signal.svg  raw signal chart
//	GET  /static/...                         script and style
//	GET  /api/v1/me                          who is logged in, and the CSRF token
//	GET  /api/v1/dashboard/patients          patients at a glance, by risk
//	GET  /api/v1/dashboard/patients/{id}     everything the patient page shows
//	GET  /api/v1/dashboard/patients/{id}/measurements.csv  CSV export
//	GET  /api/v1/dashboard/patients/{id}/rtm?month=YYYY-MM  RTM report
//	POST /api/v1/dashboard/patients/{id}/review  {"seconds": n, "activity": ""}
//	GET  /api/v1/users, POST /api/v1/users   users (admin)
//	PUT/DELETE /api/v1/users/{id}/patients/{pid}  assignments (admin)
func (s *Server) Routes(handle func(pattern string, h http.Handler)) {
	static, _ := fs.Sub(staticFS, "static")
	handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	handle("GET /{$}", http.HandlerFunc(s.pageList))
	handle("GET /login", http.HandlerFunc(s.pageLogin))
	handle("POST /login", http.HandlerFunc(s.postLogin))
	handle("POST /logout", http.HandlerFunc(s.postLogout))
	handle("GET /patients/{id}", http.HandlerFunc(s.pagePatient))
	handle("GET /patients/{id}/sessions/{sid}", http.HandlerFunc(s.pageSession))
	handle("GET /patients/{id}/rtm", http.HandlerFunc(s.pageRTM))
	handle("GET /patients/{id}/charts/{chart}", http.HandlerFunc(s.chartSVG))
	handle("GET /patients/{id}/sessions/{sid}/signal.svg", http.HandlerFunc(s.signalSVG))
	handle("GET /api/v1/me", http.HandlerFunc(s.apiMe))
	handle("GET /api/v1/dashboard/patients", http.HandlerFunc(s.apiOverview))
	handle("GET /api/v1/dashboard/patients/{id}", http.HandlerFunc(s.apiPatient))
	handle("GET /api/v1/dashboard/patients/{id}/measurements.csv", http.HandlerFunc(s.apiCSV))
	handle("GET /api/v1/dashboard/patients/{id}/rtm", http.HandlerFunc(s.apiRTM))
	handle("POST /api/v1/dashboard/patients/{id}/review", http.HandlerFunc(s.apiReview))
	handle("GET /api/v1/users", http.HandlerFunc(s.apiUsers))
	handle("POST /api/v1/users", http.HandlerFunc(s.apiCreateUser))
	handle("PUT /api/v1/users/{id}/patients/{pid}", http.HandlerFunc(s.apiAssign))
	handle("DELETE /api/v1/users/{id}/patients/{pid}", http.HandlerFunc(s.apiUnassign))
}

// Handler returns the dashboard's routes on their own mux behind the
// middleware (for tests and for running the dashboard alone).
func (s *Server) Handler(fallback http.Handler) http.Handler {
	mux := http.NewServeMux()
	if fallback != nil {
		mux.Handle("/", fallback)
	}
	s.Routes(func(p string, h http.Handler) { mux.Handle(p, h) })
	return s.Middleware(mux)
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

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := 0
	if err == errLocked {
		status = http.StatusTooManyRequests
	}
	httpjson.Error(w, r, s.cfg.Log, status, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

func readJSON(r *http.Request, v any) error { return httpjson.Read(r, v) }

// readLimited reads the body (up to n bytes) and puts it back for the next handler.
func readLimited(r *http.Request, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, n))
	if err != nil {
		return nil, balance.Errorf(balance.EINVALID, "request body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func contextWith(ctx context.Context, p *principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}
