package dashboard_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// bearer sends a request with an API token and no cookie.
func bearer(t *testing.T, base, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAPITokens: a therapist logged in with a password makes a token for a
// machine client; the token acts as the therapist (only assigned patients,
// no CSRF needed, acknowledgements in the therapist's name), cannot make
// further tokens, is listed without its secret, and stops working at once
// when revoked. Unknown tokens are refused.
func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	t1 := e.login("t1")
	st, body := t1.do("POST", "/api/v1/me/tokens", `{"name":"reporting script"}`)
	if st != 201 {
		t.Fatalf("create token: %d %s", st, body)
	}
	var made struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(body), &made); err != nil || !strings.HasPrefix(made.Token, "bal_") || len(made.Token) < 40 {
		t.Fatalf("token answer %s (%v)", body, err)
	}
	base := e.ts.URL
	// It acts as t1: p1 yes, p2 no; the patient list filtered.
	if st, b := bearer(t, base, "GET", "/api/v1/patients/p1", made.Token, ""); st != 200 {
		t.Errorf("token GET p1: %d %s", st, b)
	}
	if st, _ := bearer(t, base, "GET", "/api/v1/patients/p2", made.Token, ""); st != 403 {
		t.Errorf("token GET p2: %d, want 403", st)
	}
	if st, b := bearer(t, base, "GET", "/api/v1/patients", made.Token, ""); st != 200 || strings.Contains(b, `"p2"`) || !strings.Contains(b, `"p1"`) {
		t.Errorf("token patient list: %d %s, want p1 only", st, b)
	}
	// State changes need no CSRF token (no ambient credential), and the
	// acknowledgement is in t1's name.
	if st, b := bearer(t, base, "POST", "/api/v1/alerts/a1/ack", made.Token, `{"by":"someone else"}`); st != 200 || !strings.Contains(b, `"acked_by": "t1"`) {
		t.Errorf("token ack: %d %s, want 200 acknowledged by t1", st, b)
	}
	// A token cannot make tokens.
	if st, _ := bearer(t, base, "POST", "/api/v1/me/tokens", made.Token, `{"name":"another"}`); st != 403 {
		t.Errorf("token making a token: %d, want 403", st)
	}
	// Listed without the secret.
	st, list := t1.do("GET", "/api/v1/me/tokens", "")
	if st != 200 || !strings.Contains(list, "reporting script") || strings.Contains(list, made.Token) || strings.Contains(list, `"token"`) {
		t.Errorf("token list %d %s: want the name and never the token", st, list)
	}
	// Another user cannot revoke it; t1 can, and it stops at once.
	if st, _ := e.login("t2").do("DELETE", "/api/v1/me/tokens/"+itoa(made.ID), ""); st != 404 {
		t.Errorf("t2 revoking t1's token: %d, want 404", st)
	}
	if st, b := t1.do("DELETE", "/api/v1/me/tokens/"+itoa(made.ID), ""); st != 204 {
		t.Fatalf("revoke: %d %s", st, b)
	}
	if st, _ := bearer(t, base, "GET", "/api/v1/patients/p1", made.Token, ""); st != 401 {
		t.Errorf("revoked token: %d, want 401", st)
	}
	for _, bad := range []string{"bal_guess", "", made.Token + "x"} {
		if st, _ := bearer(t, base, "GET", "/api/v1/patients", bad, ""); st != 401 {
			t.Errorf("token %q: %d, want 401", bad, st)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
