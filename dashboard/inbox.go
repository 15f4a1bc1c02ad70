package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// The alert inbox: every alert the viewer may see, filtered by GET
// parameters of a plain form, and the actions on each alert (acknowledge,
// add a note, assign) as form posts that come back to the filtered inbox.
// Access is checked by the alerts service, next to the data.

// Inbox page sizes: the first page, and how many more "Show more" adds.
const (
	inboxPage = 50
	inboxMax  = 1000
)

// option is one choice of a <select>.
type option struct {
	Value, Label string
}

// severityLabels name the severities in plain words, most urgent first.
var severityLabels = []option{
	{balance.SeverityUrgent, "Urgent: act now"},
	{balance.SeverityHigh, "High: act today"},
	{balance.SeverityWarning, "Warning: review soon"},
	{balance.SeverityInfo, "Information"},
}

// stateLabels are the states the inbox filters by: the alert statuses, and
// silenced (raised while a silence covered it: stored, not sent).
var stateLabels = []option{
	{balance.AlertOpen, "Open"},
	{balance.AlertAcknowledged, "Acknowledged"},
	{balance.AlertResolved, "Resolved"},
	{"silenced", "Silenced (not sent)"},
}

// kindLabels name the alert kinds in plain words.
var kindLabels = []option{
	{balance.AlertFall, "Fall"},
	{balance.AlertNoMovement, "No movement after a fall"},
	{balance.AlertRiskRose, "Fall risk rose"},
	{balance.AlertTrend, "Worsening trend"},
	{balance.AlertSessionsMissed, "Exercise sessions missed"},
	{balance.AlertDeviceOffline, "Sensor offline"},
	{balance.AlertNotWorn, "Sensor not worn"},
	{balance.AlertProgressionReady, "Plan change waiting for a decision"},
}

func label(opts []option, v string) string {
	for _, o := range opts {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

// severityWord is a severity as one word, capitalised.
func severityWord(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// inboxFilter is what the inbox's form asks for.
type inboxFilter struct {
	Severity, Patient, State, Kind string
	Limit                          int
}

// query returns the filter as URL parameters (limit only when not the first page).
func (f inboxFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"severity": f.Severity, "patient": f.Patient, "state": f.State, "kind": f.Kind} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Limit != inboxPage {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// parseInboxFilter reads and checks the inbox's parameters.
func parseInboxFilter(q url.Values) (inboxFilter, error) {
	f := inboxFilter{Severity: q.Get("severity"), Patient: q.Get("patient"), State: q.Get("state"), Kind: q.Get("kind"), Limit: inboxPage}
	valid := func(opts []option, v string) bool {
		return v == "" || slices.ContainsFunc(opts, func(o option) bool { return o.Value == v })
	}
	switch {
	case !valid(severityLabels, f.Severity):
		return f, balance.Errorf(balance.EINVALID, "there is no severity %q; choose one from the list", f.Severity)
	case !valid(stateLabels, f.State):
		return f, balance.Errorf(balance.EINVALID, "there is no state %q; choose one from the list", f.State)
	case len(f.Kind) > 100:
		return f, balance.Errorf(balance.EINVALID, "the kind is too long")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > inboxMax {
			return f, balance.Errorf(balance.EINVALID, "the number of alerts to show must be 1 to %d", inboxMax)
		}
		f.Limit = n
	}
	return f, nil
}

// inboxRow is one alert of the inbox.
type inboxRow struct {
	Alert    balance.Alert
	Patient  string // name ("" = unknown)
	When     string // occurrence, in the clinic's time zone
	Severity string // as a word
	Kind     string // in plain words
	State    string // in plain words, with who and when
	AckedAt  string
	// Assignees are the clinicians who may see the patient (to assign to).
	Assignees []string
	// CSRF and Back are what the row's forms post: the session's token
	// and the page to come back to.
	CSRF, Back string
}

// inboxData is the data of the inbox template.
type inboxData struct {
	Filter     inboxFilter
	Severities []option
	States     []option
	Kinds      []option
	Patients   []option
	Rows       []inboxRow
	More       string // URL of the longer list; "" when everything is shown
	Back       string // this page's URL, for the forms to come back to
	Done       string // what the last action did, in words
	Error      string // what is wrong with the filter, in words
	ZoneNote   string // which time zone the times are in
}

// doneMessages are what ?done= after an action says (fixed texts: nothing
// from the URL is shown).
var doneMessages = map[string]string{
	"ack":    "Alert acknowledged.",
	"note":   "Note added.",
	"assign": "Assignee changed.",
}

// zone returns the clinic time zone of a patient, or nil for UTC.
func (s *Server) zone(patientID string) *time.Location {
	if s.cfg.Zone == nil {
		return nil
	}
	return s.cfg.Zone(patientID)
}

// localTime formats t in the patient's clinic time zone, naming the zone
// (UTC when none is configured).
func (s *Server) localTime(patientID string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if z := s.zone(patientID); z != nil {
		return t.In(z).Format("Mon 2 Jan 2006, 15:04 MST")
	}
	return t.UTC().Format("Mon 2 Jan 2006, 15:04") + " UTC"
}

func (s *Server) zoneNote() string {
	if s.cfg.Zone == nil {
		return "Times are in UTC: no clinic time zone is set."
	}
	return "Times are in the clinic's time zone of each patient."
}

// stateText says an alert's state in words.
func (s *Server) stateText(a balance.Alert) string {
	var b strings.Builder
	switch a.Status {
	case balance.AlertOpen:
		b.WriteString("Open")
	case balance.AlertAcknowledged:
		b.WriteString("Acknowledged by " + a.AckedBy + ", " + s.localTime(a.PatientID, a.AckedAt))
	case balance.AlertResolved:
		b.WriteString("Resolved " + s.localTime(a.PatientID, a.ResolvedAt))
		if a.ResolvedReason != "" {
			b.WriteString(": " + a.ResolvedReason)
		}
		if a.AckedBy != "" {
			b.WriteString(" (acknowledged by " + a.AckedBy + ")")
		}
	default:
		b.WriteString(a.Status)
	}
	if a.Silenced {
		b.WriteString(" · silenced: not sent")
	}
	return b.String()
}

// clinicians returns, for each patient, the usernames of the enabled users
// who may see them (admins see everyone), sorted.
func (s *Server) clinicians(ctx context.Context) (func(patientID string) []string, error) {
	us, err := s.deps.Users.Users(ctx)
	if err != nil {
		return nil, err
	}
	var admins []string
	byPatient := map[string][]string{}
	for _, u := range us {
		if u.Disabled {
			continue
		}
		all, ids, err := s.VisiblePatients(ctx, u)
		if err != nil {
			return nil, err
		}
		if all {
			admins = append(admins, u.Username)
			continue
		}
		for _, id := range ids {
			byPatient[id] = append(byPatient[id], u.Username)
		}
	}
	return func(patientID string) []string {
		out := append(slices.Clone(admins), byPatient[patientID]...)
		sort.Strings(out)
		return out
	}, nil
}

// patientNames returns the names of the patients the viewer may see, by id.
func (s *Server) patientNames(ctx context.Context) (map[string]string, []option, error) {
	ps, err := s.deps.Registry.Patients(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	var opts []option
	for _, p := range ps {
		if !balance.CanSeePatient(ctx, p.ID) {
			continue
		}
		names[p.ID] = p.Name
		l := p.ID
		if p.Name != "" {
			l = p.Name + " (" + p.ID + ")"
		}
		opts = append(opts, option{p.ID, l})
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	return names, opts, nil
}

func (s *Server) alertSource(w http.ResponseWriter, r *http.Request) (AlertSource, bool) {
	if s.deps.Alerts == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "alerts are not available"))
		return nil, false
	}
	return s.deps.Alerts, true
}

func (s *Server) pageInbox(w http.ResponseWriter, r *http.Request) {
	src, ok := s.alertSource(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	names, patients, err := s.patientNames(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := inboxData{Severities: severityLabels, States: stateLabels, Kinds: kindLabels, Patients: patients,
		Back: r.URL.RequestURI(), Done: doneMessages[r.URL.Query().Get("done")], ZoneNote: s.zoneNote()}
	f, err := parseInboxFilter(r.URL.Query())
	d.Filter = f
	if err != nil {
		d.Error = balance.ErrorMessage(err)
		s.renderStatus(w, r, http.StatusBadRequest, "inbox.html", "Alerts", d)
		return
	}
	af := alerts.AlertFilter{PatientID: f.Patient, Severity: f.Severity, Kind: f.Kind, Limit: f.Limit + 1}
	if f.State == "silenced" {
		af.Silenced = true
	} else {
		af.Status = f.State
	}
	as, err := src.Inbox(ctx, af)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if len(as) > f.Limit {
		as = as[:f.Limit]
		more := f
		more.Limit = min(f.Limit+inboxPage, inboxMax)
		if more.Limit > f.Limit {
			d.More = "/alerts?" + more.query().Encode()
		}
	}
	eligible, err := s.clinicians(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, a := range as {
		d.Rows = append(d.Rows, inboxRow{Alert: a, Patient: names[a.PatientID], When: s.localTime(a.PatientID, a.OccurredAt),
			Severity: severityWord(a.Severity), Kind: label(kindLabels, a.Kind), State: s.stateText(a), Assignees: eligible(a.PatientID),
			CSRF: csrfOf(r), Back: d.Back})
	}
	s.render(w, r, "inbox.html", "Alerts", d)
}

// csrfOf returns the CSRF token of the request's session.
func csrfOf(r *http.Request) string {
	if p := principalFrom(r.Context()); p != nil {
		return p.csrf
	}
	return ""
}

// timelineEntry is one line of an alert's timeline.
type timelineEntry struct {
	At   time.Time
	When string
	What string // what happened, in words
	Who  string
	Text string // a note's text, or the details
	Note bool   // a clinician's note (shown as a quote)
}

// alertData is the data of the alert template.
type alertData struct {
	Row      inboxRow
	Timeline []timelineEntry
	Back     string
	Done     string
	ZoneNote string
	MaxNote  int
}

func (s *Server) pageAlert(w http.ResponseWriter, r *http.Request) {
	src, ok := s.alertSource(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	v, err := src.Detail(ctx, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	a := v.Alert
	var name string
	if p, err := s.deps.Registry.Patient(ctx, a.PatientID); err == nil {
		name = p.Name
	}
	eligible, err := s.clinicians(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := alertData{Back: r.URL.Path, Done: doneMessages[r.URL.Query().Get("done")], ZoneNote: s.zoneNote(), MaxNote: alerts.MaxNote,
		Row: inboxRow{Alert: a, Patient: name, When: s.localTime(a.PatientID, a.OccurredAt), Severity: severityWord(a.Severity),
			Kind: label(kindLabels, a.Kind), State: s.stateText(a), Assignees: eligible(a.PatientID), CSRF: csrfOf(r), Back: r.URL.Path}}
	add := func(at time.Time, what, who, text string, note bool) {
		if !at.IsZero() {
			d.Timeline = append(d.Timeline, timelineEntry{At: at, When: s.localTime(a.PatientID, at), What: what, Who: who, Text: text, Note: note})
		}
	}
	add(a.OccurredAt, "Happened", "", a.Summary, false)
	raised := "Alert raised"
	if a.Silenced {
		raised += " during a silence: stored, not sent"
	}
	add(a.CreatedAt, raised, "", "", false)
	for _, dl := range v.Deliveries {
		what := deliveryWords(dl)
		at := dl.DeliveredAt
		if at.IsZero() {
			at = dl.NextAt
		}
		add(at, what, dl.Recipient, "", false)
	}
	add(a.AckedAt, "Acknowledged", a.AckedBy, "", false)
	add(a.ResolvedAt, "Resolved", "", a.ResolvedReason, false)
	for _, n := range v.Notes {
		switch {
		case n.Kind == balance.NoteAssigned && n.Text == "":
			add(n.CreatedAt, "Unassigned", n.Author, "", false)
		case n.Kind == balance.NoteAssigned:
			add(n.CreatedAt, "Assigned to "+n.Text, n.Author, "", false)
		default:
			add(n.CreatedAt, "Note", n.Author, n.Text, true)
		}
	}
	sort.SliceStable(d.Timeline, func(i, j int) bool { return d.Timeline[i].At.Before(d.Timeline[j].At) })
	s.render(w, r, "alert.html", "Alert: "+label(kindLabels, a.Kind), d)
}

// deliveryWords says what a notification did, in words.
func deliveryWords(d alerts.Delivery) string {
	what := "Notification"
	switch d.Reason {
	case alerts.ReasonRepeat:
		what = "Repeated notification"
	case alerts.ReasonEscalation:
		what = "Escalation"
	case alerts.ReasonResolved:
		what = "Resolved notice"
	}
	what += " by " + d.Channel + ": "
	switch d.State {
	case alerts.StateDelivered:
		what += "sent"
	case alerts.StatePending:
		what += "waiting to be sent"
	case alerts.StateDelivering:
		what += "being sent"
	case alerts.StateFailed:
		what += "failed"
		if d.LastError != "" {
			what += " (" + d.LastError + ")"
		}
	case alerts.StateCancelled:
		what += "not sent (no longer needed)"
	default:
		what += d.State
	}
	return what
}

// back returns where an inbox form comes back to: its "back" field when it
// is an inbox or alert page of this site, else the inbox; with done set.
func back(r *http.Request, done string) string {
	next := safeNext(r.PostFormValue("back"))
	if next != "/alerts" && !strings.HasPrefix(next, "/alerts?") && !strings.HasPrefix(next, "/alerts/") {
		next = "/alerts"
	}
	u, _ := url.Parse(next)
	q := u.Query()
	q.Del("done")
	if done != "" {
		q.Set("done", done)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// formError answers a form post that failed: the reason in words, with a
// way back; refusals are the usual error page.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, backTo string) {
	switch balance.ErrorCode(err) {
	case balance.EINVALID, balance.ECONFLICT:
	default:
		s.pageError(w, r, err)
		return
	}
	s.renderStatus(w, r, http.StatusBadRequest, "formerror.html", "That did not work", map[string]string{"Message": balance.ErrorMessage(err), "Back": backTo})
}

func (s *Server) alertForm(w http.ResponseWriter, r *http.Request) (AlertSource, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		s.pageError(w, r, balance.Errorf(balance.EINVALID, "the form could not be read"))
		return nil, false
	}
	return s.alertSource(w, r)
}

// postAlertAck acknowledges an alert through the same service call as the
// API (alerts.Service.Ack), after checking the viewer may see it.
func (s *Server) postAlertAck(w http.ResponseWriter, r *http.Request) {
	src, ok := s.alertForm(w, r)
	if !ok {
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	if _, err := src.VisibleAlert(ctx, id); err != nil {
		s.pageError(w, r, err)
		return
	}
	a, err := src.Ack(ctx, id, balance.Actor(ctx, ""))
	if err != nil {
		s.formError(w, r, err, back(r, ""))
		return
	}
	s.cfg.Log.Info("alert acknowledged", "alert", a.ID, "by", a.AckedBy)
	http.Redirect(w, r, back(r, "ack"), http.StatusSeeOther)
}

func (s *Server) postAlertNote(w http.ResponseWriter, r *http.Request) {
	src, ok := s.alertForm(w, r)
	if !ok {
		return
	}
	if _, err := src.AddNote(r.Context(), r.PathValue("id"), r.PostFormValue("text")); err != nil {
		s.formError(w, r, err, back(r, ""))
		return
	}
	http.Redirect(w, r, back(r, "note"), http.StatusSeeOther)
}

func (s *Server) postAlertAssign(w http.ResponseWriter, r *http.Request) {
	src, ok := s.alertForm(w, r)
	if !ok {
		return
	}
	ctx, id, who := r.Context(), r.PathValue("id"), r.PostFormValue("assignee")
	a, err := src.VisibleAlert(ctx, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if who != "" {
		eligible, err := s.clinicians(ctx)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		if !slices.Contains(eligible(a.PatientID), who) {
			s.formError(w, r, balance.Errorf(balance.EINVALID, "%q cannot see this patient, so cannot follow the alert up; choose someone from the list", who), back(r, ""))
			return
		}
	}
	if _, err := src.Assign(ctx, id, who); err != nil {
		s.formError(w, r, err, back(r, ""))
		return
	}
	http.Redirect(w, r, back(r, "assign"), http.StatusSeeOther)
}
