package alerts

import (
	"html/template"
	"net/http"

	"github.com/balance-pt/balance"
)

// ackPage is the page a one-click acknowledgement link opens: large type,
// high contrast, one big button, plain words (recipients are often
// relatives reading on a phone).
var ackPage = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;font-size:1.25rem;line-height:1.5;margin:0;padding:1rem;background:#fff;color:#111;max-width:40rem}
h1{font-size:1.75rem;margin:.5rem 0}
.what{border-left:.4rem solid #8a1c1c;padding:.5rem 1rem;background:#f6f6f6}
button{font-size:1.5rem;font-weight:bold;min-height:3.5rem;width:100%;margin-top:1rem;border:0;border-radius:.5rem;background:#0b4f9c;color:#fff;cursor:pointer}
button:focus{outline:.25rem solid #111;outline-offset:.2rem}
.ok{color:#0b5d1e;font-weight:bold}.err{color:#8a1c1c;font-weight:bold}
</style></head><body><main>
<h1>{{.Title}}</h1>
{{if .Alert.ID}}<div class="what"><p><strong>{{.Alert.Summary}}</strong></p>
<p>Patient: {{.Alert.PatientID}}<br>When: {{.When}}</p></div>{{end}}
{{if .Message}}<p class="{{.Class}}" role="status">{{.Message}}</p>{{end}}
{{if .Form}}<form method="post"><input type="hidden" name="r" value="{{.R}}"><input type="hidden" name="exp" value="{{.Exp}}"><input type="hidden" name="sig" value="{{.Sig}}">
<p>Press the button to say that you are dealing with it. Reminders to you and escalations stop.</p>
<button type="submit">I'm on it</button></form>{{end}}
</main></body></html>
`))

type ackView struct {
	Title, Message, Class, When string
	Alert                       balance.Alert
	Form                        bool
	R, Exp, Sig                 string
}

// ackLinkPage serves GET /ack/{id} (show, never acknowledge: mail scanners
// open links) and POST /ack/{id} (acknowledge as the link's recipient).
func (s *Service) ackLinkPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err == nil {
			q = r.PostForm
		}
	}
	v := ackView{Title: "Alert", R: q.Get("r"), Exp: q.Get("exp"), Sig: q.Get("sig")}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	recipient, err := s.links.Check(id, q, s.Now())
	if err != nil {
		w.WriteHeader(http.StatusForbidden)
		v.Title, v.Message, v.Class = "This link does not work", err.Error()+". Use the newest message, or call the clinic.", "err"
		ackPage.Execute(w, v)
		return
	}
	a, err := s.store.Alert(r.Context(), id)
	if err != nil {
		w.WriteHeader(http.StatusNotFound)
		v.Title, v.Message, v.Class = "Alert not found", "This alert is not known here.", "err"
		ackPage.Execute(w, v)
		return
	}
	v.Alert, v.When = a, a.OccurredAt.UTC().Format("2 January 2006, 15:04 UTC")
	switch {
	case r.Method == http.MethodPost && a.Status == balance.AlertOpen:
		by := recipient + " (link)"
		if a, err = s.Ack(r.Context(), id, by); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			v.Title, v.Message, v.Class = "Not acknowledged", "Something went wrong. Please try again, or call the clinic.", "err"
			ackPage.Execute(w, v)
			return
		}
		s.log.Info("alert acknowledged by link", "alert", id, "by", by)
		v.Title, v.Message, v.Class = "Thank you", "Acknowledged at "+a.AckedAt.UTC().Format("15:04 UTC")+". Reminders and escalations have stopped.", "ok"
	case a.Status == balance.AlertAcknowledged:
		v.Title, v.Message, v.Class = "Already acknowledged", "Acknowledged by "+a.AckedBy+" at "+a.AckedAt.UTC().Format("15:04 UTC")+".", "ok"
	case a.Status == balance.AlertResolved:
		v.Title, v.Message, v.Class = "Resolved", "No action is needed any more: "+a.ResolvedReason+".", "ok"
	default:
		v.Title, v.Form = "Are you dealing with this?", true
	}
	ackPage.Execute(w, v)
}
