package balance

import (
	"context"
	"strings"
)

// Viewer is who a request acts for: the logged-in user and the patients they
// may see. The HTTP front door puts it in the request context once per
// request; each service checks access next to the data it protects with
// CheckPatient or CanSeePatient.
type Viewer struct {
	User User
	// AllPatients is true for users who see every patient (admins, and the
	// API served without log-in).
	AllPatients bool
	// Patients are the ids the user may see when AllPatients is false.
	Patients map[string]bool
}

// CanSee reports whether the viewer may see a patient.
func (v *Viewer) CanSee(patientID string) bool {
	if v == nil || patientID == "" {
		return false
	}
	return v.AllPatients || v.Patients[patientID]
}

// SeesAll reports whether the viewer sees every patient (and unbound devices).
func (v *Viewer) SeesAll() bool { return v != nil && v.AllPatients }

// IsAdmin reports whether the viewer is an administrator.
func (v *Viewer) IsAdmin() bool { return v != nil && v.User.Role == RoleAdmin }

// patientUserPrefix starts the username of a patient viewer.
const patientUserPrefix = "patient:"

// PatientViewer returns the viewer of a patient logged in to the app on
// their phone: the patient sees only themself.
func PatientViewer(patientID string) *Viewer {
	return &Viewer{User: User{Username: patientUserPrefix + patientID, Role: RolePatient}, Patients: map[string]bool{patientID: true}}
}

// IsStaff reports whether the viewer is clinic staff (an administrator or
// a therapist), not a patient.
func (v *Viewer) IsStaff() bool {
	return v != nil && (v.User.Role == RoleAdmin || v.User.Role == RoleTherapist)
}

// Self returns the id of the patient a patient viewer is, and "" for
// anyone else.
func (v *Viewer) Self() string {
	if v == nil || v.User.Role != RolePatient || v.AllPatients {
		return ""
	}
	id, ok := strings.CutPrefix(v.User.Username, patientUserPrefix)
	if !ok || !v.Patients[id] {
		return ""
	}
	return id
}

// PatientAccess answers which patients a user may see; the dashboard builds
// each request's Viewer from it (the state database keeps assignments).
type PatientAccess interface {
	// VisiblePatients returns all = true when u sees every patient, else
	// the ids of the patients assigned to u.
	VisiblePatients(ctx context.Context, u User) (all bool, ids []string, err error)
}

type viewerKey struct{}

// NewContextWithViewer returns a copy of ctx that carries v.
func NewContextWithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFromContext returns the viewer of ctx, or nil when no one is logged in.
func ViewerFromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}

// CanSeePatient reports whether the viewer in ctx may see a patient; without
// a viewer no patient is visible.
func CanSeePatient(ctx context.Context, patientID string) bool {
	return ViewerFromContext(ctx).CanSee(patientID)
}

// CheckPatient returns nil when the viewer in ctx may see a patient, an
// EUNAUTHORIZED error without a viewer, and EFORBIDDEN otherwise.
func CheckPatient(ctx context.Context, patientID string) error {
	v := ViewerFromContext(ctx)
	switch {
	case v == nil:
		return Errorf(EUNAUTHORIZED, "log in first")
	case !v.CanSee(patientID):
		return Errorf(EFORBIDDEN, "patient %q is not assigned to you", patientID)
	}
	return nil
}

// Actor returns the name to record as the person who acted: the logged-in
// user's ("patient p1" for a patient in the app), or claimed when the
// request comes from no logged-in user (the API served without log-in, or
// an internal caller).
func Actor(ctx context.Context, claimed string) string {
	v := ViewerFromContext(ctx)
	if id := v.Self(); id != "" {
		return "patient " + id
	}
	if v != nil && v.User.Username != "" {
		return v.User.Username
	}
	return claimed
}
