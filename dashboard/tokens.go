package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// tokenPrefix marks balance's API tokens (so that a leaked one is easy to
// recognise, e.g. by secret scanners).
const tokenPrefix = "bal_"

// NewAPIToken is a new token as it is shown, once.
type NewAPIToken struct {
	balance.APIToken
	Token string `json:"token"`
}

// apiCreateToken makes an API token for the logged-in user:
// POST /api/v1/me/tokens {"name": "..."} → 201 with the token, shown once.
func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	if p := principalFrom(r.Context()); p == nil || p.viaToken {
		// A leaked token must not be able to outlive its revocation.
		s.fail(w, r, balance.Errorf(balance.EFORBIDDEN, "log in with your password to make API tokens"))
		return
	}
	var body struct {
		Name string `json:"name"`
	}
	if err := readJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if body.Name = strings.TrimSpace(body.Name); body.Name == "" || len(body.Name) > 100 {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "name the token (1 to 100 characters): what will use it"))
		return
	}
	token := tokenPrefix + randomToken(32)
	t, err := s.deps.Users.CreateAPIToken(r.Context(), u.ID, body.Name, tokenHash(token))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("API token created", "user", u.Username, "token_id", t.ID, "name", t.Name)
	writeJSON(w, http.StatusCreated, NewAPIToken{APIToken: t, Token: token})
}

// apiTokens lists the logged-in user's tokens (never their secrets).
func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	ts, err := s.deps.Users.APITokens(r.Context(), u.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ts == nil {
		ts = []balance.APIToken{}
	}
	writeJSON(w, http.StatusOK, ts)
}

// apiRevokeToken revokes one of the logged-in user's tokens at once.
func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "token id %q must be a number", r.PathValue("id")))
		return
	}
	if err := s.deps.Users.RevokeAPIToken(r.Context(), u.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Log.Info("API token revoked", "user", u.Username, "token_id", id)
	w.WriteHeader(http.StatusNoContent)
}
