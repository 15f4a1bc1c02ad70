package dashboard

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Staff side of patient access (the "Patient app access" section of the
// patient page): make a one-time log-in for the patient's phone, list the
// phones logged in, revoke one.

// appAccessSection is what the patient page's "Patient app access"
// section shows.
type appAccessSection struct {
	// Available is false when the system keeps no patient access.
	Available bool
	Phones    []appPhone
	// Error says why the phones could not be listed.
	Error string
}

// appPhone is one logged-in phone as the section lists it.
type appPhone struct {
	ID       int64
	Label    string
	LastSeen string
	Expires  string
}

// appAccessSection lists a patient's logged-in phones for the patient page.
func (s *Server) appAccessSection(ctx context.Context, patientID string) appAccessSection {
	st := s.appStore()
	if st == nil {
		return appAccessSection{}
	}
	ss, err := st.AppSessions(ctx, patientID, s.now())
	if err != nil {
		s.cfg.Log.Error("patient app phones", "patient", patientID, "err", err)
		return appAccessSection{Available: true, Error: "The phones could not be listed just now."}
	}
	sec := appAccessSection{Available: true}
	zone := s.zoneOf(patientID)
	for _, a := range ss {
		sec.Phones = append(sec.Phones, appPhone{ID: a.ID, Label: a.Label, LastSeen: s.agoWords(a.LastSeenAt), Expires: dayWords(a.ExpiresAt, zone)})
	}
	return sec
}

// zoneOf is the time zone of a patient's clinic (UTC when not known).
func (s *Server) zoneOf(patientID string) *time.Location {
	if s.cfg.Zone != nil {
		if z := s.cfg.Zone(patientID); z != nil {
			return z
		}
	}
	return time.UTC
}

// dayWords writes a time as "4 Dec 2026 10:02" in a zone, naming UTC.
func dayWords(t time.Time, zone *time.Location) string {
	s := t.In(zone).Format("2 Jan 2006 15:04")
	if zone == time.UTC {
		s += " UTC"
	}
	return s
}

// agoWords writes how long ago t was.
func (s *Server) agoWords(t time.Time) string {
	return funcs["ago"].(func(now, t time.Time) string)(s.now(), t)
}

// durationWords writes a lifetime in words: "24 hours", "3 days".
func durationWords(d time.Duration) string {
	switch h := int(d.Round(time.Hour).Hours()); {
	case h < 1:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	case h == 1:
		return "1 hour"
	case h <= 48:
		return fmt.Sprintf("%d hours", h)
	default:
		return fmt.Sprintf("%d days", h/24)
	}
}

// appInvitePage is what app_invite.html shows, once.
type appInvitePage struct {
	Patient balance.Patient
	Link    string
	CodeURL string
	QR      template.HTML
	Code    string
	// Expires is when the link and code stop working, and Valid for how
	// long, in words.
	Expires string
	Valid   string
}

// baseURL is where patients' links point: Config.BaseURL, else the scheme
// and host the therapist reached the dashboard at.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// postAppInvite makes a one-time log-in for the patient's phone and shows
// its link, QR code and code, once: POST /patients/{id}/app-access.
func (s *Server) postAppInvite(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	st := s.appStore()
	if st == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "patient access is not available in this system"))
		return
	}
	p, err := s.deps.Registry.Patient(r.Context(), id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	token, code := randomToken(32), newCode()
	by := balance.Actor(r.Context(), "")
	inv, err := st.CreateAppInvite(r.Context(), balance.AppInvite{PatientID: id, CreatedBy: by, ExpiresAt: s.now().Add(s.cfg.AppInviteTTL)}, tokenHash(token), codeHash(code))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	base := s.baseURL(r)
	link := base + "/app/join?t=" + url.QueryEscape(token)
	name := p.Name
	if name == "" {
		name = p.ID
	}
	svg, err := qrSVG(link, "QR code of the log-in link for "+name)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.cfg.Log.Info("patient app log-in created", "patient", id, "by", by, "invite_id", inv.ID, "expires", inv.ExpiresAt)
	w.Header().Set("Cache-Control", "no-store") // the page holds a credential
	s.render(w, r, "app_invite.html", "Log-in for "+name+"'s phone", appInvitePage{Patient: p, Link: link, CodeURL: base + "/app/code", QR: svg, Code: showCode(code),
		Expires: dayWords(inv.ExpiresAt, s.zoneOf(id)), Valid: durationWords(s.cfg.AppInviteTTL)})
}

// postAppRevoke logs a patient's phone out at once:
// POST /patients/{id}/app-access/{sid}/revoke.
func (s *Server) postAppRevoke(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	st := s.appStore()
	if st == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "patient access is not available in this system"))
		return
	}
	sid, err := strconv.ParseInt(r.PathValue("sid"), 10, 64)
	if err != nil {
		s.pageError(w, r, balance.Errorf(balance.EINVALID, "phone %q: not a number", r.PathValue("sid")))
		return
	}
	by := balance.Actor(r.Context(), "")
	if err := st.RevokeAppSession(r.Context(), id, sid, by); err != nil {
		s.pageError(w, r, err)
		return
	}
	s.cfg.Log.Info("patient app phone revoked", "patient", id, "session_id", sid, "by", by)
	http.Redirect(w, r, "/patients/"+url.PathEscape(id)+"#app-access", http.StatusSeeOther)
}
