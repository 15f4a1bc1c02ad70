package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/progression"
)

// The plan forms of the patient page (#plan): assign a plan (starting
// level, sessions per week, mode), change it (sessions per week, mode), and
// change the level with a reason (progression's Override). Plain form posts
// through PlanSource; errors come back on the patient page in words, with
// what was typed kept; success comes back to /patients/{id}#plan.

// Sessions per week the forms accept.
const (
	minSessionsPerWeek = 1
	maxSessionsPerWeek = 14
)

// planModes name the plan modes in plain words.
var planModes = []option{
	{balance.PlanSuggest, "Suggest: the system suggests a harder level and waits for a therapist to approve it. It makes a step down for safety (after a fall or failed sessions) at once."},
	{balance.PlanAutomatic, "Automatic: the system moves the patient to a harder or easier level by itself. Every change is kept in the history below."},
}

// planForm is what the plan forms offer and, after a refused post, what
// was typed and why it was refused.
type planForm struct {
	// Available is false when this system keeps no plans.
	Available bool
	// Levels are the catalog's levels in ladder order.
	Levels []option
	Modes  []option
	// Min and Max bound the sessions per week.
	Min, Max int
	// LevelID, Sessions and Mode are the assign and change form's values.
	LevelID, Sessions, Mode string
	// NewLevel and Reason are the change-level form's values.
	NewLevel, Reason string
	// Error is why the assign or change form was refused; LevelError why
	// the change-level form was.
	Error, LevelError string
}

// fillPlanForm completes f for the patient page of v: the levels to
// choose from, and the current plan's values where nothing was typed.
func (s *Server) fillPlanForm(f planForm, v PatientView) planForm {
	plans := s.sources().plans
	if plans == nil {
		return f
	}
	f.Available, f.Modes, f.Min, f.Max = true, planModes, minSessionsPerWeek, maxSessionsPerWeek
	f.Levels = nil
	for i, l := range plans.Levels() {
		f.Levels = append(f.Levels, option{l.ID, strconv.Itoa(i+1) + ". " + l.Name})
	}
	if v.Plan != nil {
		if f.Sessions == "" {
			f.Sessions = strconv.Itoa(v.Plan.Plan.SessionsPerWeek)
		}
		if f.Mode == "" {
			f.Mode = v.Plan.Plan.Mode
		}
	}
	if f.Sessions == "" {
		f.Sessions = "3"
	}
	if f.Mode == "" {
		f.Mode = balance.PlanSuggest
	}
	return f
}

// planAccess checks the patient of the path next to the data and that
// plans are kept; it limits the form's size.
func (s *Server) planAccess(w http.ResponseWriter, r *http.Request) (string, PlanSource, bool) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return "", nil, false
	}
	plans := s.sources().plans
	if plans == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "exercise plans are not kept by this system"))
		return "", nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	return id, plans, true
}

// knownLevel reports whether id is one of the catalog's levels.
func knownLevel(plans PlanSource, id string) bool {
	for _, l := range plans.Levels() {
		if l.ID == id {
			return true
		}
	}
	return false
}

// planFailed shows the patient page with why a plan form was refused, or
// the error page when it is not the form's fault.
func (s *Server) planFailed(w http.ResponseWriter, r *http.Request, err error, f planForm, levelForm bool) {
	status := http.StatusBadRequest
	switch balance.ErrorCode(err) {
	case balance.EINVALID:
	case balance.ECONFLICT:
		status = http.StatusConflict
	default:
		s.pageError(w, r, err)
		return
	}
	if levelForm {
		f.LevelError = sentence(balance.ErrorMessage(err))
	} else {
		f.Error = sentence(balance.ErrorMessage(err))
	}
	s.renderPatient(w, r, status, f)
}

// postPlan assigns a plan, or changes the sessions per week and mode of
// the patient's plan (POST /patients/{id}/plan).
func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) {
	id, plans, ok := s.planAccess(w, r)
	if !ok {
		return
	}
	f := planForm{LevelID: strings.TrimSpace(r.PostFormValue("level_id")), Sessions: strings.TrimSpace(r.PostFormValue("sessions_per_week")),
		Mode: r.PostFormValue("mode")}
	_, err := plans.View(r.Context(), id)
	exists := err == nil
	if err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
		s.pageError(w, r, err)
		return
	}
	n, nerr := strconv.Atoi(f.Sessions)
	switch {
	case !exists && f.LevelID == "":
		err = balance.Errorf(balance.EINVALID, "choose the starting level")
	case !exists && !knownLevel(plans, f.LevelID):
		err = balance.Errorf(balance.EINVALID, "the level %q is not in the catalog; choose a level from the list", f.LevelID)
	case exists && f.LevelID != "":
		err = balance.Errorf(balance.EINVALID, "change the level with the form \"Change the level\", which asks for a reason")
	case nerr != nil || n < minSessionsPerWeek || n > maxSessionsPerWeek:
		err = balance.Errorf(balance.EINVALID, "sessions per week must be a whole number from %d to %d", minSessionsPerWeek, maxSessionsPerWeek)
	case f.Mode != balance.PlanSuggest && f.Mode != balance.PlanAutomatic:
		err = balance.Errorf(balance.EINVALID, "choose how level changes are made: suggest or automatic")
	default:
		_, err = plans.SetPlan(r.Context(), id, progression.PlanRequest{LevelID: f.LevelID, SessionsPerWeek: n, Mode: f.Mode})
	}
	if err != nil {
		s.planFailed(w, r, err, f, false)
		return
	}
	s.cfg.Log.Info("plan set", "patient", id, "new", !exists, "by", balance.Actor(r.Context(), ""))
	http.Redirect(w, r, "/patients/"+id+"#plan", http.StatusSeeOther)
}

// postPlanLevel moves the patient to the chosen level with the therapist's
// reason (POST /patients/{id}/plan/level), as progression's Override.
func (s *Server) postPlanLevel(w http.ResponseWriter, r *http.Request) {
	id, plans, ok := s.planAccess(w, r)
	if !ok {
		return
	}
	f := planForm{NewLevel: strings.TrimSpace(r.PostFormValue("level_id")), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	var err error
	switch {
	case f.NewLevel == "":
		err = balance.Errorf(balance.EINVALID, "choose the new level")
	case !knownLevel(plans, f.NewLevel):
		err = balance.Errorf(balance.EINVALID, "the level %q is not in the catalog; choose a level from the list", f.NewLevel)
	case f.Reason == "":
		err = balance.Errorf(balance.EINVALID, "give the reason for the change; it is kept in the history")
	case len(f.Reason) > 500:
		err = balance.Errorf(balance.EINVALID, "the reason is too long: keep it under 500 characters")
	default:
		_, err = plans.Override(r.Context(), id, progression.OverrideRequest{LevelID: f.NewLevel, Reason: f.Reason})
		if balance.ErrorCode(err) == balance.ENOTFOUND {
			err = balance.Errorf(balance.EINVALID, "this patient has no plan yet: assign a plan first")
		}
	}
	if err != nil {
		s.planFailed(w, r, err, f, true)
		return
	}
	s.cfg.Log.Info("plan level changed", "patient", id, "level", f.NewLevel, "by", balance.Actor(r.Context(), ""))
	http.Redirect(w, r, "/patients/"+id+"#plan", http.StatusSeeOther)
}
