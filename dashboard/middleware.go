package dashboard

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// openPath reports paths served without log-in.
func openPath(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics", "/login", "/favicon.ico":
		return true
	}
	return strings.HasPrefix(path, "/static/")
}

// adminOnly reports requests only an admin may make: creating patients and
// devices, the quarantine, user management.
func adminOnly(method, path string) bool {
	switch {
	case method == http.MethodPost && (path == "/api/v1/patients" || path == "/api/v1/devices"):
		return true
	case path == "/api/v1/quarantine", strings.HasPrefix(path, "/api/v1/users"), path == "/admin" || strings.HasPrefix(path, "/admin/"):
		return true
	}
	return false
}

// listPaths are the API lists filtered for therapists, with the JSON field
// that names each element's patient.
var listPaths = map[string]string{
	"/api/v1/patients": "id",
	"/api/v1/alerts":   "patient_id",
	"/api/v1/devices":  "patient_id",
}

// Middleware guards every route of the HTTP server:
//
//   - /healthz, /readyz, /metrics, /login and /static/ are open;
//   - any other request needs a session cookie or HTTP Basic auth, else it
//     gets 401 (paths under /api/) or a redirect to /login (UI pages);
//   - a state-changing request from a session needs the CSRF token (403);
//   - a therapist gets 403 for a patient not assigned to them, whether the
//     patient is named in the path (/api/v1/patients/{id}/..., /patients/{id}),
//     in ?patient=, or reached through an alert or a device; for admin-only
//     routes; and for any API route not known to be safe (deny by default);
//   - the lists GET /api/v1/patients, /api/v1/alerts and /api/v1/devices are
//     filtered to the therapist's patients.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if openPath(path) {
			next.ServeHTTP(w, r)
			return
		}
		api := strings.HasPrefix(path, "/api/")
		p, err := s.identify(r)
		if err != nil && !isUnauthorized(err) {
			s.fail(w, r, err)
			return
		}
		if p == nil {
			if err == nil {
				err = balance.Errorf(balance.EUNAUTHORIZED, "log in first")
			}
			if api {
				// No WWW-Authenticate challenge: a browser would prompt and
				// then send the cached Basic credentials with cross-site
				// requests, which the CSRF check exempts. API clients send
				// Basic credentials without being asked.
				s.fail(w, r, err)
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !checkCSRF(r, p) {
			s.fail(w, r, balance.Errorf(balance.EFORBIDDEN, "missing or wrong CSRF token"))
			return
		}
		r = r.WithContext(contextWith(r.Context(), p))
		if err := stampBy(r, p.user); err != nil {
			s.fail(w, r, err)
			return
		}
		if p.user.Role == balance.RoleAdmin {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.authorize(r, p.user); err != nil {
			s.fail(w, r, err)
			return
		}
		// Lists are always filtered: some list handlers ignore ?patient=,
		// so an assigned patient in the query must not unlock the whole list.
		if field, ok := listPaths[path]; ok && r.Method == http.MethodGet {
			s.filterList(w, r, next, p.user, field)
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errForbidden = balance.Errorf(balance.EFORBIDDEN, "not allowed")

// authorize applies a therapist's access rules to a request.
func (s *Server) authorize(r *http.Request, u balance.User) error {
	ctx, path := r.Context(), r.URL.Path
	if u.Role != balance.RoleTherapist || adminOnly(r.Method, path) {
		return errForbidden
	}
	see := func(id string) error {
		ok, err := s.CanSeePatient(ctx, u, id)
		if err != nil {
			return err
		}
		if !ok {
			return balance.Errorf(balance.EFORBIDDEN, "patient %q is not assigned to you", id)
		}
		return nil
	}
	if q := r.URL.Query(); q.Has("patient") {
		if err := see(q.Get("patient")); err != nil {
			return err
		}
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(seg) >= 2 && seg[0] == "patients": // UI: /patients/{id}[/...]
		return see(seg[1])
	case len(seg) >= 4 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "patients":
		return see(seg[3])
	case len(seg) >= 4 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "alerts":
		if s.sources().alerts == nil {
			return errForbidden
		}
		a, err := s.sources().alerts.Alert(ctx, seg[3])
		if err != nil {
			return err
		}
		return see(a.PatientID)
	case len(seg) >= 4 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "devices":
		d, err := s.deps.Registry.Device(ctx, seg[3])
		if err != nil {
			return err
		}
		if d.PatientID != "" {
			if err := see(d.PatientID); err != nil {
				return err
			}
		}
		if len(seg) == 5 && seg[4] == "binding" && r.Method != http.MethodGet {
			return s.checkBindBody(r, see)
		}
		if d.PatientID == "" {
			return balance.Errorf(balance.EFORBIDDEN, "device %q is not bound to a patient of yours", d.ID)
		}
		return nil
	case path == "/" || path == "/logout" || path == "/api/v1/status" || path == "/api/v1/catalog" || path == "/api/v1/me":
		return nil
	case len(seg) == 3 && seg[0] == "api" && seg[1] == "v1" && listPaths[path] != "" && r.Method == http.MethodGet:
		return nil
	case len(seg) >= 3 && seg[0] == "api" && seg[1] == "v1" && seg[2] == "dashboard":
		return nil // the dashboard's own API checks each patient itself
	case !strings.HasPrefix(path, "/api/"):
		return nil // UI pages without a patient (they show only assigned ones)
	}
	return errForbidden
}

// checkBindBody lets a therapist bind a device only to a patient of theirs
// (or unbind one of their patient's devices); the body is read and restored.
func (s *Server) checkBindBody(r *http.Request, see func(string) error) error {
	body, err := readLimited(r, 1<<16)
	if err != nil {
		return err
	}
	var b struct {
		PatientID string `json:"patient_id"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return balance.Errorf(balance.EINVALID, "request body: %v", err)
	}
	if b.PatientID != "" {
		return see(b.PatientID)
	}
	return nil
}

// filterList serves a list through a buffer and keeps the elements whose
// field names a patient the user may see.
func (s *Server) filterList(w http.ResponseWriter, r *http.Request, next http.Handler, u balance.User, field string) {
	vis, err := s.visiblePatients(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	if rec.status != http.StatusOK {
		w.WriteHeader(rec.status)
		w.Write(rec.buf.Bytes())
		return
	}
	var items []json.RawMessage
	if err := json.Unmarshal(rec.buf.Bytes(), &items); err != nil {
		// Not a list: refuse rather than leak.
		s.fail(w, r, balance.Errorf(balance.EINTERNAL, "cannot filter %s: %v", r.URL.Path, err))
		return
	}
	kept := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		var m map[string]any
		if json.Unmarshal(it, &m) != nil {
			continue
		}
		if id, _ := m[field].(string); id != "" && vis[id] {
			kept = append(kept, it)
		}
	}
	out, _ := json.MarshalIndent(kept, "", "  ")
	out = append(out, '\n')
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// bufferedWriter keeps a handler's response for filtering.
type bufferedWriter struct {
	header http.Header
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(st int) {
	if !b.wrote {
		b.status, b.wrote = st, true
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.buf.Write(p)
}

// stampBy sets the "by" field of acknowledgements and plan decisions to
// the logged-in user, so that the record names who really acted.
func stampBy(r *http.Request, u balance.User) error {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return nil
	}
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	ack := len(seg) == 5 && seg[2] == "alerts" && seg[4] == "ack"
	plan := len(seg) >= 5 && seg[2] == "patients" && seg[4] == "plan"
	if len(seg) < 3 || seg[0] != "api" || seg[1] != "v1" || !(ack || plan) {
		return nil
	}
	body, err := readLimited(r, 1<<20)
	if err != nil {
		return err
	}
	m := map[string]any{}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			return balance.Errorf(balance.EINVALID, "request body: %v", err)
		}
	}
	m["by"] = u.Username
	out, err := json.Marshal(m)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(out))
	r.ContentLength = int64(len(out))
	r.Header.Set("Content-Length", strconv.Itoa(len(out)))
	return nil
}
