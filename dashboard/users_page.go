package dashboard

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// The users page (admins): list users with their patients, add a user,
// reset a password (the new one is shown once), disable or enable a user,
// assign and unassign patients. Every action is a form post.

// userRow is one user of the users page.
type userRow struct {
	User balance.User
	// Patients are those assigned (therapists); Others those that are not,
	// to choose from.
	Patients []option
	Others   []option
	Self     bool // the admin looking at the page
}

// shownPassword is a password shown once, right after it was set.
type shownPassword struct {
	Username, Password, What string
}

// usersData is the data of the users template.
type usersData struct {
	Users []userRow
	Roles []option
	Shown *shownPassword
	Done  string
	Error string
	// New is what the add-a-user form had, kept after an error.
	New struct{ Username, Role string }
}

var roleLabels = []option{{balance.RoleTherapist, "Therapist: sees assigned patients"}, {balance.RoleAdmin, "Administrator: sees every patient, manages users"}}

var userDone = map[string]string{
	"disabled":   "User disabled: they are logged out and cannot log in.",
	"enabled":    "User enabled: they can log in again.",
	"assigned":   "Patient assigned.",
	"unassigned": "Patient unassigned.",
}

// createUser checks and adds a user with a password (shared by the page
// and POST /api/v1/users).
func (s *Server) createUser(ctx context.Context, username, password, role string) (balance.User, error) {
	username = strings.TrimSpace(username)
	switch {
	case username == "" || len(username) > 100 || strings.ContainsAny(username, " \t\r\n"):
		return balance.User{}, balance.Errorf(balance.EINVALID, "a username must have 1 to 100 characters and no spaces")
	case role != balance.RoleAdmin && role != balance.RoleTherapist:
		return balance.User{}, balance.Errorf(balance.EINVALID, "choose a role: therapist or administrator")
	}
	h, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		return balance.User{}, err
	}
	return s.deps.Users.CreateUser(ctx, balance.User{Username: username, Role: role, PasswordHash: h})
}

// renderUsers shows the users page with status.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, d usersData) {
	ctx := r.Context()
	us, err := s.deps.Users.Users(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	ps, err := s.deps.Registry.Patients(ctx)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	me := balance.ViewerFromContext(ctx).User
	for _, u := range us {
		row := userRow{User: u, Self: u.ID == me.ID}
		if u.Role == balance.RoleTherapist {
			ids, err := s.deps.Users.AssignedPatients(ctx, u.ID)
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			for _, p := range ps {
				o := option{p.ID, p.ID}
				if p.Name != "" {
					o.Label = p.Name + " (" + p.ID + ")"
				}
				if slices.Contains(ids, p.ID) {
					row.Patients = append(row.Patients, o)
				} else {
					row.Others = append(row.Others, o)
				}
			}
		}
		d.Users = append(d.Users, row)
	}
	d.Roles = roleLabels
	if d.Shown != nil {
		w.Header().Set("Cache-Control", "no-store") // the password is shown once, never kept
	}
	s.renderStatus(w, r, status, "users.html", "Users", d)
}

func (s *Server) pageUsers(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPage(w, r) {
		return
	}
	s.renderUsers(w, r, http.StatusOK, usersData{Done: userDone[r.URL.Query().Get("done")]})
}

// requireAdminPage checks, next to the data, that the viewer is an admin
// (the route's rule has too).
func (s *Server) requireAdminPage(w http.ResponseWriter, r *http.Request) bool {
	if !balance.ViewerFromContext(r.Context()).IsAdmin() {
		s.pageError(w, r, balance.Errorf(balance.EFORBIDDEN, "only an administrator may manage users"))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	return true
}

// userFailed shows the users page with what went wrong, in words.
func (s *Server) userFailed(w http.ResponseWriter, r *http.Request, err error, d usersData) {
	switch balance.ErrorCode(err) {
	case balance.EINVALID, balance.ECONFLICT, balance.ENOTFOUND:
		d.Error = balance.ErrorMessage(err)
		s.renderUsers(w, r, http.StatusBadRequest, d)
	default:
		s.pageError(w, r, err)
	}
}

func (s *Server) postUser(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPage(w, r) {
		return
	}
	name, role, password := strings.TrimSpace(r.PostFormValue("username")), r.PostFormValue("role"), r.PostFormValue("password")
	shown := &shownPassword{Username: name, What: "Your chosen password is set; it is not shown again."}
	if password == "" {
		password = RandomPassword()
		shown.Password, shown.What = password, "Give this password to the user now; it is not shown again."
	}
	u, err := s.createUser(r.Context(), name, password, role)
	if err != nil {
		var d usersData
		d.New.Username, d.New.Role = name, role
		s.userFailed(w, r, err, d)
		return
	}
	s.cfg.Log.Info("user created", "username", u.Username, "role", u.Role, "by", balance.Actor(r.Context(), ""))
	s.renderUsers(w, r, http.StatusOK, usersData{Shown: shown, Done: "User " + u.Username + " added."})
}

// pathUser returns the user of the path's {id}.
func (s *Server) pathUser(r *http.Request) (balance.User, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return balance.User{}, balance.Errorf(balance.EINVALID, "user id %q must be a number", r.PathValue("id"))
	}
	return s.deps.Users.User(r.Context(), id)
}

func (s *Server) postUserPassword(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPage(w, r) {
		return
	}
	u, err := s.pathUser(r)
	if err != nil {
		s.userFailed(w, r, err, usersData{})
		return
	}
	password := RandomPassword()
	h, err := HashPassword(password, s.cfg.BcryptCost)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if err := s.deps.Users.SetUserPassword(r.Context(), u.ID, h); err != nil { // ends the user's sessions
		s.userFailed(w, r, err, usersData{})
		return
	}
	s.basic.forget(u.Username)
	s.cfg.Log.Info("password reset", "username", u.Username, "by", balance.Actor(r.Context(), ""))
	s.renderUsers(w, r, http.StatusOK, usersData{Done: "Password of " + u.Username + " reset; they are logged out.",
		Shown: &shownPassword{Username: u.Username, Password: password, What: "Give this password to the user now; it is not shown again."}})
}

func (s *Server) postUserDisabled(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPage(w, r) {
		return
	}
	u, err := s.pathUser(r)
	if err != nil {
		s.userFailed(w, r, err, usersData{})
		return
	}
	disable := r.PostFormValue("disabled") == "true"
	if disable && u.ID == balance.ViewerFromContext(r.Context()).User.ID {
		s.userFailed(w, r, balance.Errorf(balance.EINVALID, "you cannot disable your own account"), usersData{})
		return
	}
	if err := s.deps.Users.SetUserDisabled(r.Context(), u.ID, disable); err != nil {
		s.userFailed(w, r, err, usersData{})
		return
	}
	s.basic.forget(u.Username)
	done := "enabled"
	if disable {
		done = "disabled"
	}
	s.cfg.Log.Info("user "+done, "username", u.Username, "by", balance.Actor(r.Context(), ""))
	http.Redirect(w, r, "/admin/users?done="+done, http.StatusSeeOther)
}

func (s *Server) postUserAssign(w http.ResponseWriter, r *http.Request) {
	s.userAssignment(w, r, r.PostFormValue("patient"), true)
}

func (s *Server) postUserUnassign(w http.ResponseWriter, r *http.Request) {
	s.userAssignment(w, r, r.PathValue("pid"), false)
}

func (s *Server) userAssignment(w http.ResponseWriter, r *http.Request, patientID string, assign bool) {
	if !s.requireAdminPage(w, r) {
		return
	}
	u, err := s.pathUser(r)
	if err != nil {
		s.userFailed(w, r, err, usersData{})
		return
	}
	switch {
	case patientID == "":
		err = balance.Errorf(balance.EINVALID, "choose a patient")
	case u.Role != balance.RoleTherapist:
		err = balance.Errorf(balance.EINVALID, "%s is an administrator and sees every patient already", u.Username)
	case assign:
		err = s.deps.Users.AssignPatient(r.Context(), u.ID, patientID)
	default:
		err = s.deps.Users.UnassignPatient(r.Context(), u.ID, patientID)
	}
	if err != nil {
		s.userFailed(w, r, err, usersData{})
		return
	}
	done := "unassigned"
	if assign {
		done = "assigned"
	}
	http.Redirect(w, r, "/admin/users?done="+done, http.StatusSeeOther)
}
