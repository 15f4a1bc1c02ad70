package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/reminders"
)

// The patient app's reminders page: GET and POST /app/reminders (route.Self).
// The patient chooses a time, the days and an e-mail address; the reminder
// scheduler (package reminders) sends the e-mail. reminders.js can also
// show a notification on the phone while the page stays open.

// ReminderStore keeps patients' reminder settings (sqlite.StateDB
// implements it).
type ReminderStore interface {
	// ReminderSettings returns a patient's settings, or ENOTFOUND when they
	// have chosen none.
	ReminderSettings(ctx context.Context, patientID string) (reminders.Settings, error)
	// SetReminderSettings validates and stores a patient's settings.
	SetReminderSettings(ctx context.Context, r reminders.Settings) error
}

// reminderStore returns the user store when it keeps reminder settings
// too (as sqlite.StateDB does); nil when it does not (the page then says
// reminders are not available).
func (s *Server) reminderStore() ReminderStore {
	r, _ := s.deps.Users.(ReminderStore)
	return r
}

// reminderDay is one day's checkbox.
type reminderDay struct {
	Value   int // time.Weekday
	Name    string
	Checked bool
}

// appReminders is the data of the reminders page.
type appReminders struct {
	Time, Email string
	On          bool
	Days        []reminderDay
	// DayList is the chosen days as "1,2,3" (time.Weekday numbers) for
	// reminders.js.
	DayList string
	// Zone names the clinic's time zone the time is in.
	Zone string
	// Saved says the settings were just saved; Error why they were not.
	Saved bool
	Error string
}

// weekOrder is the order the days are shown in: Monday first.
var weekOrder = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func remindersPage(r reminders.Settings, zone *time.Location) appReminders {
	p := appReminders{Time: r.Time, Email: r.Email, On: r.On, Zone: zone.String()}
	for _, d := range weekOrder {
		p.Days = append(p.Days, reminderDay{Value: int(d), Name: d.String(), Checked: r.Days.Has(d)})
		if r.Days.Has(d) {
			if p.DayList != "" {
				p.DayList += ","
			}
			p.DayList += strconv.Itoa(int(d))
		}
	}
	return p
}

// pageAppReminders shows the patient's reminder settings: GET /app/reminders.
func (s *Server) pageAppReminders(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	st := s.reminderStore()
	if st == nil {
		s.appError(w, r, balance.Errorf(balance.EUNAVAILABLE, "reminders are not available in this system"))
		return
	}
	set, err := st.ReminderSettings(r.Context(), id)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		set, err = reminders.Defaults(id), nil
	}
	if err != nil {
		s.appError(w, r, err)
		return
	}
	p := remindersPage(set, s.zoneOf(id))
	p.Saved = r.URL.Query().Has("saved")
	s.render(w, r, "app_reminders.html", "Reminders", p)
}

// postAppReminders saves the patient's reminder settings: POST
// /app/reminders (form: time, day (repeated, 0 = Sunday … 6), email, on).
func (s *Server) postAppReminders(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	st := s.reminderStore()
	if st == nil {
		s.appError(w, r, balance.Errorf(balance.EUNAVAILABLE, "reminders are not available in this system"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<12)
	if err := r.ParseForm(); err != nil {
		s.appError(w, r, balance.Errorf(balance.EINVALID, "the form could not be read"))
		return
	}
	set := reminders.Settings{PatientID: id, Time: r.PostForm.Get("time"), Email: r.PostForm.Get("email"), On: r.PostForm.Get("on") == "1", UpdatedAt: s.now()}
	for _, v := range r.PostForm["day"] {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 || d > 6 {
			s.appError(w, r, balance.Errorf(balance.EINVALID, "unknown day %q", v))
			return
		}
		set.Days |= reminders.DaysOf(time.Weekday(d))
	}
	if err := st.SetReminderSettings(r.Context(), set); err != nil {
		if httpjson.Status(err) != http.StatusBadRequest {
			s.appError(w, r, err)
			return
		}
		p := remindersPage(set, s.zoneOf(id))
		p.Error = sentence(balance.ErrorMessage(err))
		s.renderStatus(w, r, http.StatusBadRequest, "app_reminders.html", "Reminders", p)
		return
	}
	s.cfg.Log.Info("patient reminder settings saved", "patient", id, "on", set.On, "time", set.Time, "days", int(set.Days))
	http.Redirect(w, r, "/app/reminders?saved=1", http.StatusSeeOther)
}

// appReminderTimes answers GET /app/reminders.json (route.Self): when the
// phone may also remind the patient while any app page is open
// (static/reminders.js): on, "HH:MM" and the days (0 = Sunday).
func (s *Server) appReminderTimes(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	out := struct {
		On   bool   `json:"on"`
		Time string `json:"time"`
		Days []int  `json:"days"`
	}{Days: []int{}}
	if st := s.reminderStore(); st != nil {
		set, err := st.ReminderSettings(r.Context(), id)
		if err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
			s.fail(w, r, err)
			return
		}
		if err == nil {
			out.On, out.Time = set.On, set.Time
			for _, d := range weekOrder {
				if set.Days.Has(d) {
					out.Days = append(out.Days, int(d))
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
}
