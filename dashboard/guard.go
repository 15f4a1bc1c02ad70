package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/route"
)

// The Server is the front door's route.Guard: it does log-in (a session
// cookie, or HTTP Basic auth for programmatic access; a patient's phone
// cookie for the patient app), sessions and CSRF, and puts the
// balance.Viewer in the request context. What each route
// allows is its access rule (route.Open, User, Admin, Patient) and the
// checks its handler makes next to the data; nothing here knows any route.
var _ route.Guard = (*Server)(nil)

// Authenticate implements route.Guard:
//
//   - no or bad credentials: EUNAUTHORIZED (Refuse redirects pages to /login);
//   - a state-changing request from a session without its CSRF token:
//     EFORBIDDEN;
//   - else the request, with the viewer (the user and the patients they may
//     see) in its context.
//
// A staff member and a patient may both be logged in in one browser (two
// cookies). On the patient app's paths (/app/...) the patient's cookie
// counts first; everywhere else staff credentials do, and the patient's
// cookie only when there are none (so that the app can call the API
// routes a patient may use, route.Own). A patient viewer passes only the
// rules route.Own (their own id) and route.Self.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	app := isAppPath(r.URL.Path)
	if app {
		if p, err := s.identifyApp(r); p != nil || err != nil {
			if err != nil {
				return r, err
			}
			return s.authenticateApp(r, p)
		}
	}
	p, err := s.identify(r)
	if err != nil {
		return r, err
	}
	if p == nil && !app {
		if p, err := s.identifyApp(r); p != nil || err != nil {
			if err != nil {
				return r, err
			}
			return s.authenticateApp(r, p)
		}
	}
	if p == nil || p.user.Disabled {
		return r, balance.Errorf(balance.EUNAUTHORIZED, "log in first")
	}
	if !checkCSRF(r, p) {
		return r, balance.Errorf(balance.EFORBIDDEN, "missing or wrong CSRF token")
	}
	all, ids, err := s.VisiblePatients(r.Context(), p.user)
	if err != nil {
		return r, err
	}
	v := &balance.Viewer{User: p.user, AllPatients: all, Patients: make(map[string]bool, len(ids))}
	for _, id := range ids {
		v.Patients[id] = true
	}
	ctx := contextWith(balance.NewContextWithViewer(r.Context(), v), p)
	return r.WithContext(ctx), nil
}

// Refuse implements route.Guard. A page that needs log-in redirects to the
// log-in page (and back afterwards); other refusals of pages are shown as a
// page, those of the API as JSON. No WWW-Authenticate challenge is sent: a
// browser would prompt and then send the cached Basic credentials with
// cross-site requests, which the CSRF check exempts. API clients send Basic
// credentials without being asked.
//
// On the patient app's paths a request without a working phone log-in goes
// to the page that asks for the code (and a dead cookie is cleared); a
// patient refused elsewhere sees the app's plain error page.
func (s *Server) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	unauthorized := balance.ErrorCode(err) == balance.EUNAUTHORIZED
	switch {
	case api:
		s.fail(w, r, err)
	case isAppPath(r.URL.Path) && unauthorized:
		if _, cerr := r.Cookie(AppCookie); cerr == nil {
			s.clearAppCookie(w, r)
			http.Redirect(w, r, "/app/code?ended=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/app/code", http.StatusSeeOther)
	case balance.ViewerFromContext(r.Context()).Self() != "" || (isAppPath(r.URL.Path) && !unauthorized):
		s.appError(w, r, err)
	case unauthorized:
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	default:
		s.pageError(w, r, err)
	}
}

// VisiblePatients implements balance.PatientAccess: admins see every
// patient, therapists the patients assigned to them, anyone else none.
func (s *Server) VisiblePatients(ctx context.Context, u balance.User) (all bool, ids []string, err error) {
	switch u.Role {
	case balance.RoleAdmin:
		return true, nil, nil
	case balance.RoleTherapist:
		ids, err = s.deps.Users.AssignedPatients(ctx, u.ID)
		return false, ids, err
	}
	return false, nil, nil
}

// CanSeePatient reports whether u may see a patient.
func (s *Server) CanSeePatient(ctx context.Context, u balance.User, patientID string) (bool, error) {
	if patientID == "" {
		return false, nil
	}
	all, ids, err := s.VisiblePatients(ctx, u)
	return all || slices.Contains(ids, patientID), err
}
