package dashboard

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// AppCookie is the name of the cookie of a patient's phone session (the
// patient app); it is separate from the staff's SessionCookie, and both
// may be in one browser.
const AppCookie = "balance_patient"

// Default lifetimes of patient access.
const (
	// appInviteExpiry is how long a one-time link and code stay valid.
	appInviteExpiry = 24 * time.Hour
	// appSessionExpiry is how long a phone stays logged in.
	appSessionExpiry = 180 * 24 * time.Hour
)

// AppAccessStore keeps patient log-in invitations and phone sessions by
// the hashes of their secrets (sqlite.StateDB implements it).
type AppAccessStore interface {
	CreateAppInvite(ctx context.Context, inv balance.AppInvite, tokenHash, codeHash string) (balance.AppInvite, error)
	AppInvite(ctx context.Context, k balance.InviteKey, now time.Time) (balance.AppInvite, error)
	RedeemAppInvite(ctx context.Context, k balance.InviteKey, sessionHash string, sess balance.AppSession) (balance.AppSession, error)
	AppSession(ctx context.Context, tokenHash string, now time.Time) (balance.AppSession, error)
	AppSessions(ctx context.Context, patientID string, now time.Time) ([]balance.AppSession, error)
	RevokeAppSession(ctx context.Context, patientID string, id int64, by string) error
	EndAppSession(ctx context.Context, tokenHash, by string) error
}

// appStore returns the store of patient access: Deps.AppAccess, else the
// user store when it keeps them too; nil when neither does (patient
// access is then not available).
func (s *Server) appStore() AppAccessStore {
	if s.deps.AppAccess != nil {
		return s.deps.AppAccess
	}
	a, _ := s.deps.Users.(AppAccessStore)
	return a
}

// isAppPath reports whether a path is the patient app's: there the
// patient's cookie is read first, elsewhere the staff's credentials.
func isAppPath(p string) bool { return p == "/app" || strings.HasPrefix(p, "/app/") }

// identifyApp returns the patient principal of the request's AppCookie:
// nil, nil without the cookie; EUNAUTHORIZED for a revoked, expired or
// unknown one (a revoked phone is refused at its next request).
func (s *Server) identifyApp(r *http.Request) (*principal, error) {
	c, err := r.Cookie(AppCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	st := s.appStore()
	if st == nil {
		return nil, balance.Errorf(balance.EUNAUTHORIZED, "patient access is not available")
	}
	a, err := st.AppSession(r.Context(), tokenHash(c.Value), s.now())
	if err != nil {
		return nil, err
	}
	v := balance.PatientViewer(a.PatientID)
	return &principal{user: v.User, csrf: a.CSRF, app: &a}, nil
}

// authenticateApp is Authenticate for a patient principal: the CSRF check,
// then the patient's viewer (who sees only themself) in the context.
func (s *Server) authenticateApp(r *http.Request, p *principal) (*http.Request, error) {
	if !checkCSRF(r, p) {
		return r, balance.Errorf(balance.EFORBIDDEN, "missing or wrong CSRF token")
	}
	ctx := contextWith(balance.NewContextWithViewer(r.Context(), balance.PatientViewer(p.app.PatientID)), p)
	return r.WithContext(ctx), nil
}

// setAppCookie sets the phone's session cookie for its whole life.
func (s *Server) setAppCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: AppCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(expires.Sub(s.now()).Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// clearAppCookie makes the browser forget the phone's session cookie.
func (s *Server) clearAppCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: AppCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}
