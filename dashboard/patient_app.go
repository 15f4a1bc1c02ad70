package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// The patient app's entry: a phone logs in with the one-time link or code
// its therapist made (no password), and then shows the patient's home
// page. The pages use app_layout.html: large type, strong contrast, big
// targets, plain words.

// appPage is the data of the patient app's entry pages.
type appPage struct {
	// Token is the link's token, for the form that redeems it.
	Token string
	// FirstName greets the patient.
	FirstName string
	// Error says in plain words why the link or code did not work.
	Error string
	// Notice says something that happened before (e.g. the phone was
	// logged out).
	Notice string
}

// firstName is the first word of a patient's name ("" when none).
func firstName(p balance.Patient) string {
	f, _, _ := strings.Cut(strings.TrimSpace(p.Name), " ")
	return f
}

// crossSite reports whether a form post came from another site (browsers
// say so in Sec-Fetch-Site): a page elsewhere must not log a phone in to
// someone else's account.
func crossSite(r *http.Request) bool { return r.Header.Get("Sec-Fetch-Site") == "cross-site" }

// pageAppJoin asks the patient to use this phone: GET /app/join?t=<token>.
func (s *Server) pageAppJoin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL holds the token
	token := r.URL.Query().Get("t")
	st := s.appStore()
	if st == nil || token == "" {
		s.renderStatus(w, r, http.StatusNotFound, "app_join.html", "Log in", appPage{Error: "This link is not complete. Ask your therapist for a new one, or type your code."})
		return
	}
	inv, err := st.AppInvite(r.Context(), balance.InviteKey{TokenHash: tokenHash(token)}, s.now())
	if err != nil {
		s.appFail(w, r, "app_join.html", appPage{}, err)
		return
	}
	name := ""
	if p, err := s.deps.Registry.Patient(r.Context(), inv.PatientID); err == nil {
		name = firstName(p)
	}
	s.render(w, r, "app_join.html", "Welcome", appPage{Token: token, FirstName: name})
}

// postAppJoin redeems the link's token and logs the phone in: POST /app/join.
func (s *Server) postAppJoin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<12)
	s.redeemInvite(w, r, "link", "app_join.html", balance.InviteKey{TokenHash: tokenHash(r.PostFormValue("t"))}, r.PostFormValue("t") == "")
}

// pageAppCode asks for the code: GET /app/code.
func (s *Server) pageAppCode(w http.ResponseWriter, r *http.Request) {
	p := appPage{}
	switch {
	case r.URL.Query().Has("ended"):
		p.Notice = "This phone is no longer logged in. To use it again, type the code your therapist gives you."
	case r.URL.Query().Has("bye"):
		p.Notice = "This phone has forgotten you. To use it again, type the code your therapist gives you."
	}
	s.render(w, r, "app_code.html", "Type your code", p)
}

// postAppCode redeems a typed code and logs the phone in: POST /app/code.
func (s *Server) postAppCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<12)
	code := normalizeCode(r.PostFormValue("code"))
	s.redeemInvite(w, r, "code", "app_code.html", balance.InviteKey{CodeHash: codeHash(code)}, code == "")
}

// redeemInvite redeems an invitation by link or code against the rate
// limit of the client's address, starts the phone's session and sets its
// cookie; a refusal is shown on page in plain words.
func (s *Server) redeemInvite(w http.ResponseWriter, r *http.Request, kind, page string, k balance.InviteKey, empty bool) {
	if crossSite(r) {
		s.appError(w, r, balance.Errorf(balance.EFORBIDDEN, "this form must be sent from this site"))
		return
	}
	st := s.appStore()
	if st == nil {
		s.appError(w, r, balance.Errorf(balance.EUNAVAILABLE, "patient access is not available in this system"))
		return
	}
	if empty {
		s.renderStatus(w, r, http.StatusBadRequest, page, "Log in", appPage{Error: "Please type the 8 letters and numbers of your code."})
		return
	}
	addr := s.clients.of(r)
	// Counted as a failure before the check, as for passwords, so that
	// concurrent guesses cannot all pass; a success gives it back.
	if !s.redeem.begin(kind, addr, s.now()) {
		s.cfg.Log.Warn("patient app log-in paused", "kind", kind, "addr", addr)
		s.renderStatus(w, r, http.StatusTooManyRequests, page, "Log in", appPage{Error: "Too many tries. Please wait a few minutes, then try again, or ask your therapist for help."})
		return
	}
	now := s.now()
	inv, err := st.AppInvite(r.Context(), k, now) // whose it is, for the label in the clinic's time
	if err != nil {
		s.cfg.Log.Warn("patient app log-in refused", "kind", kind, "addr", addr, "err", err)
		s.appFail(w, r, page, appPage{}, err)
		return
	}
	token, csrf := randomToken(32), randomToken(32)
	sess, err := st.RedeemAppInvite(r.Context(), k, tokenHash(token), balance.AppSession{
		Label: "Phone added " + dayLabel(now, s.zoneOf(inv.PatientID)), CSRF: csrf, ExpiresAt: now.Add(s.cfg.AppSessionTTL)})
	if err != nil {
		s.cfg.Log.Warn("patient app log-in refused", "kind", kind, "addr", addr, "err", err)
		s.appFail(w, r, page, appPage{}, err)
		return
	}
	s.redeem.succeeded(kind, addr)
	s.setAppCookie(w, r, token, sess.ExpiresAt)
	s.cfg.Log.Info("patient app log-in", "patient", sess.PatientID, "kind", kind, "session_id", sess.ID, "addr", addr)
	http.Redirect(w, r, "/app/", http.StatusSeeOther)
}

// dayLabel writes a time as "4 Dec 10:02" in a zone, naming UTC.
func dayLabel(t time.Time, zone *time.Location) string {
	s := t.In(zone).Format("2 Jan 15:04")
	if zone == time.UTC {
		s += " UTC"
	}
	return s
}

// appFail shows an entry page with why the link or code did not work.
func (s *Server) appFail(w http.ResponseWriter, r *http.Request, page string, p appPage, err error) {
	st := httpjson.Status(err)
	if st == http.StatusInternalServerError {
		s.appError(w, r, err)
		return
	}
	p.Error = sentence(balance.ErrorMessage(err))
	s.renderStatus(w, r, st, page, "Log in", p)
}

// appError shows the patient app's plain error page.
func (s *Server) appError(w http.ResponseWriter, r *http.Request, err error) {
	st := httpjson.Status(err)
	msg := sentence(balance.ErrorMessage(err))
	switch st {
	case http.StatusInternalServerError:
		s.cfg.Log.Error("patient app page", "path", r.URL.Path, "err", err)
		msg = "Something went wrong on our side. Please try again later."
	case http.StatusForbidden:
		msg = "This page is not for you. " + msg
	}
	s.renderStatus(w, r, st, "app_error.html", "Sorry", map[string]any{"Status": st, "Message": msg})
}

// postAppLogout forgets this phone: its session ends at once and its
// cookie is cleared; POST /app/logout (route.Self).
func (s *Server) postAppLogout(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	if c, err := r.Cookie(AppCookie); err == nil {
		if st := s.appStore(); st != nil {
			if err := st.EndAppSession(r.Context(), tokenHash(c.Value), balance.Actor(r.Context(), "")); err != nil {
				s.appError(w, r, err)
				return
			}
		}
	}
	s.clearAppCookie(w, r)
	s.cfg.Log.Info("patient app log-out", "patient", id)
	http.Redirect(w, r, "/app/code?bye=1", http.StatusSeeOther)
}
