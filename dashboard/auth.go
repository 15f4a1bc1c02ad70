package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/balance-pt/balance"
)

// SessionCookie is the name of the log-in session cookie.
const SessionCookie = "balance_session"

// CSRFHeader carries the session's CSRF token on state-changing requests
// made by script; forms send it as the field "csrf".
const CSRFHeader = "X-CSRF-Token"

// HashPassword returns the bcrypt hash of a password (cost 0 = bcrypt's
// default, 10). Passwords must be 8 to 72 bytes (bcrypt's limit).
func HashPassword(password string, cost int) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", balance.Errorf(balance.EINVALID, "a password must be 8 to 72 bytes long")
	}
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", balance.Errorf(balance.EINVALID, "password: %v", err)
	}
	return string(h), nil
}

// checkPassword reports whether password matches the bcrypt hash.
func checkPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand panics on a broken source)
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomPassword returns a random password fit for a bootstrap account.
func RandomPassword() string { return randomToken(15) }

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// principal is who a request comes from.
type principal struct {
	user balance.User
	csrf string // "" when authenticated by Basic auth or a token (no CSRF needed)
	// viaToken: authenticated by an API token (which may not make others).
	viaToken bool
	// app is the phone session of a patient in the app (nil for staff).
	app *balance.AppSession
}

type ctxKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxKey{}).(*principal)
	return p
}

// errLocked is returned while log-ins for a name or address are paused.
var errLocked = balance.Errorf(balance.EUNAUTHORIZED, "too many failed log-ins; try again later")

// authenticate checks a username and password, counting failures against
// both the name and the client address.
func (s *Server) authenticate(ctx context.Context, username, password, addr string) (balance.User, error) {
	now := s.now()
	// The attempt is counted as a failure before the password is checked,
	// so that concurrent guesses cannot all pass the check while bcrypt
	// runs; a success gives the count back.
	if !s.limiter.begin(username, addr, now) {
		return balance.User{}, errLocked
	}
	u, err := s.deps.Users.UserByName(ctx, username)
	if err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
		return u, err
	}
	hash := u.PasswordHash
	if err != nil {
		hash = s.dummyHash // same work whether or not the user exists
	}
	if !checkPassword(hash, password) || err != nil {
		return balance.User{}, balance.Errorf(balance.EUNAUTHORIZED, "wrong username or password")
	}
	if u.Disabled { // told only to whoever knows the password
		return balance.User{}, balance.Errorf(balance.EUNAUTHORIZED, "this account is disabled; ask an administrator")
	}
	s.limiter.succeeded(username, addr)
	return u, nil
}

// startSession creates a session and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u balance.User) error {
	token, csrf := randomToken(32), randomToken(32)
	expires := s.now().Add(s.cfg.SessionTTL)
	if err := s.deps.Users.CreateUserSession(r.Context(), tokenHash(token), u.ID, csrf, expires); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(s.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// endSession deletes the request's session and clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.deps.Users.DeleteUserSession(r.Context(), tokenHash(c.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode})
}

// identify returns who sent the request: a session cookie, or HTTP Basic
// auth for programmatic access. It returns nil, nil when neither is given.
func (s *Server) identify(r *http.Request) (*principal, error) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		u, csrf, err := s.deps.Users.UserSession(r.Context(), tokenHash(c.Value), s.now())
		if err == nil {
			return &principal{user: u, csrf: csrf}, nil
		}
		if balance.ErrorCode(err) != balance.EUNAUTHORIZED {
			return nil, err
		}
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		u, err := s.deps.Users.APITokenUser(r.Context(), tokenHash(strings.TrimSpace(tok)))
		if err != nil {
			return nil, err
		}
		return &principal{user: u, viaToken: true}, nil // no ambient credential: no CSRF token needed
	}
	if name, pw, ok := r.BasicAuth(); ok {
		if u, ok := s.basic.get(name, pw, s.now()); ok {
			return &principal{user: u}, nil
		}
		u, err := s.authenticate(r.Context(), name, pw, s.clients.of(r))
		if err != nil {
			return nil, err
		}
		s.basic.put(name, pw, u, s.now())
		return &principal{user: u}, nil
	}
	return nil, nil
}

// checkCSRF accepts a state-changing request from a session only with the
// session's token in the X-CSRF-Token header or the form field "csrf".
func checkCSRF(r *http.Request, p *principal) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if p.csrf == "" { // Basic auth: no ambient credentials to forge
		return true
	}
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(p.csrf)) == 1
}

func isUnauthorized(err error) bool {
	var e *balance.Error
	return errors.As(err, &e) && e.Code == balance.EUNAUTHORIZED
}

// sessionExpiry is the default session lifetime.
const sessionExpiry = 12 * time.Hour
