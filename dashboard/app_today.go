package dashboard

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
)

// The patient app's pages after log-in (route.Self): today's exercises,
// the exercise with its countdown, the result, "how did it go", progress,
// and "Are you OK?" after a fall. Every sentence is in AppText.

// appToday is the data of the home page.
type appToday struct {
	PatientID string
	Name      string
	// Fall is an open fall alert of the last 12 hours to ask about.
	Fall *balance.Alert
	// FallAt is the fall's time in the clinic's zone, in words.
	FallAt string
	Plan   *progression.Today
	// Level is today's balance level, Picture its pictogram.
	Level   *progression.Level
	Picture template.HTML
}

// recentFallWindow is how long after a fall the app asks "Are you OK?".
const recentFallWindow = 12 * time.Hour

// pageAppHome is the patient's home page: GET /app/ (route.Self).
func (s *Server) pageAppHome(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	p, err := s.deps.Registry.Patient(r.Context(), id)
	if err != nil {
		s.appError(w, r, err)
		return
	}
	d := appToday{PatientID: id, Name: firstName(p)}
	if d.Name == "" {
		d.Name = p.ID
	}
	if d.Fall, err = s.openFall(r.Context(), id); err != nil {
		s.appError(w, r, err)
		return
	}
	if d.Fall != nil {
		d.FallAt = d.Fall.OccurredAt.In(s.zoneOf(id)).Format("15:04")
	}
	if s.deps.Exercises != nil {
		t, err := s.deps.Exercises.Today(r.Context(), id)
		switch {
		case err == nil:
			d.Plan = &t
			d.Level = s.level(t.Balance.ID)
			if d.Level != nil {
				d.Picture = Pictogram(d.Level.Attributes)
			}
		case balance.ErrorCode(err) == balance.ENOTFOUND:
		default:
			s.appError(w, r, err)
			return
		}
	}
	s.render(w, r, "app_home.html", text("today.title"), d)
}

// level finds a catalog level.
func (s *Server) level(id string) *progression.Level {
	if s.deps.Exercises == nil {
		return nil
	}
	for _, l := range s.deps.Exercises.Levels() {
		if l.ID == id {
			return &l
		}
	}
	return nil
}

// openFall is the patient's newest fall alert of the last
// recentFallWindow that is not resolved (nil: none).
func (s *Server) openFall(ctx context.Context, id string) (*balance.Alert, error) {
	src := s.sources()
	if src.alerts == nil || s.deps.Answers == nil {
		return nil, nil
	}
	as, err := src.alerts.PatientAlerts(ctx, id, "", 20)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if (a.Kind == balance.AlertFall || a.Kind == balance.AlertNoMovement) && a.Status != balance.AlertResolved &&
			s.now().Sub(a.OccurredAt) < recentFallWindow {
			return &a, nil
		}
	}
	return nil, nil
}

// postAppAnswer records the answer to "Are you OK?":
// POST /app/alerts/{aid}/answer with answer=ok|help (route.Self; the
// alerts service checks that the alert is the patient's).
func (s *Server) postAppAnswer(w http.ResponseWriter, r *http.Request) {
	if s.deps.Answers == nil {
		s.appError(w, r, balance.Errorf(balance.EUNAVAILABLE, "answers are not available in this system"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<12)
	answer := r.PostFormValue("answer")
	if _, err := s.deps.Answers.PatientAnswer(r.Context(), r.PathValue("aid"), answer); err != nil && balance.ErrorCode(err) != balance.ECONFLICT {
		s.appError(w, r, err)
		return
	}
	msg := text("ok.thanks_ok")
	if answer == "help" {
		msg = text("ok.thanks_help")
	}
	s.render(w, r, "app_message.html", text("ok.question"), map[string]string{"Message": msg, "ID": "answer-thanks"})
}

// appExercise is the data of the exercise page.
type appExercise struct {
	PatientID string
	Level     *progression.Level
	Picture   template.HTML
	// Kind and ExerciseID start the session; HoldS is the countdown.
	Kind, ExerciseID string
	HoldS            float64
}

// pageAppExercise is today's balance exercise with Start, the countdown
// and Stop: GET /app/exercise (route.Self). static/patient_app.js starts
// and stops the session on the worn sensor through the API.
func (s *Server) pageAppExercise(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	if s.deps.Exercises == nil {
		s.appError(w, r, balance.Errorf(balance.ENOTFOUND, "%s", text("today.no_plan")))
		return
	}
	t, err := s.deps.Exercises.Today(r.Context(), id)
	if err != nil {
		s.appError(w, r, err)
		return
	}
	d := appExercise{PatientID: id, Level: s.level(t.Balance.ID), Kind: balance.SessionExercise, ExerciseID: t.Balance.ID, HoldS: 30}
	if d.Level != nil {
		d.Picture = Pictogram(d.Level.Attributes)
		if d.Level.TargetHoldS > 0 {
			d.HoldS = d.Level.TargetHoldS
		}
	}
	s.render(w, r, "app_exercise.html", text("exercise.title"), d)
}

// AppResult is a session's result for the app, in words.
type AppResult struct {
	Ready bool     `json:"ready"`
	Lines []string `json:"lines"`
}

// appResult answers GET /app/sessions/{sid}/result (route.Self): not
// ready until monitoring has analysed the session, then the hold in
// seconds against the goal and the sway against last week's sessions of
// the same exercise.
func (s *Server) appResult(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	src := s.sources()
	if src.sessions == nil {
		writeJSON(w, http.StatusOK, AppResult{})
		return
	}
	ss, err := src.sessions.ExerciseSessions(r.Context(), id, s.now().AddDate(0, 0, -21))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sid := r.PathValue("sid")
	var cur *balance.ExerciseSession
	for i := range ss {
		if ss[i].ID == sid || ss[i].ID == ss[i].DeviceID+":"+sid {
			cur = &ss[i]
		}
	}
	if cur == nil {
		writeJSON(w, http.StatusOK, AppResult{})
		return
	}
	writeJSON(w, http.StatusOK, AppResult{Ready: true, Lines: resultLines(*cur, ss, s.level(cur.ExerciseID))})
}

// resultLines says a session's result: the hold against the level's goal,
// and its sway RMS against the mean of the same exercise's sessions 7–14
// days before it (steadier or less steady beyond 10 %, the day-to-day
// variation of accelerometric sway; Mancini 2012 report ICCs of 0.8-0.9).
func resultLines(es balance.ExerciseSession, all []balance.ExerciseSession, lvl *progression.Level) []string {
	target := 30.0
	if lvl != nil && lvl.TargetHoldS > 0 {
		target = lvl.TargetHoldS
	}
	lines := []string{text("result.held", math.Floor(es.HoldS))}
	if es.HoldS >= target {
		lines = append(lines, text("result.target", target))
	} else {
		lines = append(lines, text("result.short", target))
	}
	var sum float64
	var n int
	for _, o := range all {
		age := es.Start.Sub(o.Start)
		if o.ExerciseID == es.ExerciseID && o.ID != es.ID && age >= 7*24*time.Hour && age < 14*24*time.Hour && o.Sway["rms"] > 0 {
			sum += o.Sway["rms"]
			n++
		}
	}
	if cur := es.Sway["rms"]; n > 0 && cur > 0 {
		switch ratio := cur / (sum / float64(n)); {
		case ratio < 0.9:
			lines = append(lines, text("result.steadier"))
		case ratio > 1.1:
			lines = append(lines, text("result.less"))
		default:
			lines = append(lines, text("result.same"))
		}
	}
	return lines
}

// pageAppHow asks how the session went: GET /app/sessions/{sid}/how.
func (s *Server) pageAppHow(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "app_how.html", text("how.title"), map[string]any{"SessionID": r.PathValue("sid"), "Scale": []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}})
}

// postAppHow stores the answers: POST /app/sessions/{sid}/how.
func (s *Server) postAppHow(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	if s.deps.Exercises == nil {
		s.appError(w, r, balance.Errorf(balance.EUNAVAILABLE, "answers are not kept in this system"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	var req progression.FeedbackRequest
	if v := r.PostFormValue("difficulty"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil {
			s.appError(w, r, balance.Errorf(balance.EINVALID, "please choose how hard it was, from 0 to 10"))
			return
		}
		req.Difficulty = &d
	}
	req.Pain = r.PostFormValue("pain") == "yes"
	req.Dizziness = r.PostFormValue("dizzy") == "yes"
	req.Confidence, _ = strconv.Atoi(r.PostFormValue("confidence"))
	sid := r.PathValue("sid")
	if _, err := s.deps.Exercises.SubmitFeedback(r.Context(), id, s.sessionIDFor(r.Context(), id, sid), req); err != nil {
		s.appError(w, r, err)
		return
	}
	msg := text("how.thanks")
	if req.Pain || req.Dizziness {
		msg += " " + text("how.stop_if")
	}
	s.render(w, r, "app_message.html", text("how.title"), map[string]string{"Message": msg, "ID": "how-thanks"})
}

// sessionIDFor maps the app's session id to the stored one
// ("<device>:<app id>"), or gives sid back.
func (s *Server) sessionIDFor(ctx context.Context, patientID, sid string) string {
	src := s.sources()
	if src.sessions == nil {
		return sid
	}
	ss, err := src.sessions.ExerciseSessions(ctx, patientID, s.now().AddDate(0, 0, -2))
	if err != nil {
		return sid
	}
	for _, es := range ss {
		if es.ID == es.DeviceID+":"+sid {
			return es.ID
		}
	}
	return sid
}

// appProgress is the data of the progress page.
type appProgress struct {
	Plan   *progression.Today
	Ladder []progression.Level
	Trend  string
}

// pageAppProgress shows the week against the plan, the ladder with the
// patient's level, and the sway trend in words: GET /app/progress.
func (s *Server) pageAppProgress(w http.ResponseWriter, r *http.Request) {
	id := balance.ViewerFromContext(r.Context()).Self()
	d := appProgress{Trend: text("progress.sway_none")}
	if s.deps.Exercises != nil {
		if t, err := s.deps.Exercises.Today(r.Context(), id); err == nil {
			d.Plan = &t
			if cur := s.level(t.Balance.ID); cur != nil {
				for _, l := range s.deps.Exercises.Levels() {
					if l.Kind == cur.Kind && l.Attributes["vision"] == cur.Attributes["vision"] && l.Attributes["surface"] == cur.Attributes["surface"] {
						d.Ladder = append(d.Ladder, l)
					}
				}
			}
		} else if balance.ErrorCode(err) != balance.ENOTFOUND {
			s.appError(w, r, err)
			return
		}
	}
	if src := s.sources(); src.sessions != nil {
		ss, err := src.sessions.ExerciseSessions(r.Context(), id, s.now().AddDate(0, 0, -28))
		if err != nil {
			s.appError(w, r, err)
			return
		}
		d.Trend = swayTrend(ss, s.now())
	}
	s.render(w, r, "app_progress.html", text("progress.title"), d)
}

// swayTrend compares the mean sway RMS of the last 14 days' sessions with
// the 14 days before, in words (±10 %; at least 3 sessions in each half).
func swayTrend(ss []balance.ExerciseSession, now time.Time) string {
	sort.Slice(ss, func(i, j int) bool { return ss[i].Start.Before(ss[j].Start) })
	var recent, before []float64
	for _, es := range ss {
		v := es.Sway["rms"]
		if v <= 0 {
			continue
		}
		switch age := now.Sub(es.Start); {
		case age < 14*24*time.Hour:
			recent = append(recent, v)
		case age < 28*24*time.Hour:
			before = append(before, v)
		}
	}
	if len(recent) < 3 || len(before) < 3 {
		return text("progress.sway_none")
	}
	mean := func(xs []float64) float64 {
		var t float64
		for _, x := range xs {
			t += x
		}
		return t / float64(len(xs))
	}
	switch ratio := mean(recent) / mean(before); {
	case ratio < 0.9:
		return text("progress.sway_better")
	case ratio > 1.1:
		return text("progress.sway_worse")
	}
	return text("progress.sway_same")
}
