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
// cookie, or HTTP Basic auth for programmatic access), sessions and CSRF,
// and puts the balance.Viewer in the request context. What each route
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
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, error) {
	p, err := s.identify(r)
	if err != nil {
		return r, err
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
func (s *Server) Refuse(w http.ResponseWriter, r *http.Request, err error) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	switch {
	case api:
		s.fail(w, r, err)
	case balance.ErrorCode(err) == balance.EUNAUTHORIZED:
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
