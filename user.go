package balance

import "time"

// User roles of the dashboard.
const (
	// RoleAdmin sees every patient and manages users and devices.
	RoleAdmin = "admin"
	// RoleTherapist sees only the patients assigned to them.
	RoleTherapist = "therapist"
	// RolePatient is a patient using the app on their own phone, logged in
	// by a link or code from their therapist (no password, no users row):
	// they see only their own data, and only on routes open to patients.
	RolePatient = "patient"
)

// User is a person who logs in to the dashboard: a therapist or the
// clinic's admin.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	// PasswordHash is the bcrypt hash of the password; never shown.
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
	// Disabled users cannot log in, and their sessions and API tokens no
	// longer work.
	Disabled bool `json:"disabled"`
}

// ReviewEntry is time a user spent working on one patient's record (the
// dashboard logs it for the remote-monitoring report).
type ReviewEntry struct {
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username,omitempty"`
	PatientID string    `json:"patient_id"`
	Start     time.Time `json:"start"`
	Seconds   float64   `json:"seconds"`
	Activity  string    `json:"activity"`
}

// DeviceLine is one wearable of a patient as the dashboard lists it.
type DeviceLine struct {
	DeviceID   string  `json:"device_id"`
	Online     bool    `json:"online"`
	BatteryPct float64 `json:"battery_pct"` // -1 = unknown
	// LastStatus is when the device last reported its status; LastData the
	// device time of the newest analysed sample (zero = never).
	LastStatus time.Time `json:"last_status,omitzero"`
	LastData   time.Time `json:"last_data,omitzero"`
}

// PatientSummary is one patient at a glance: fall risk, devices, last fall,
// open alerts and adherence.
type PatientSummary struct {
	Patient     Patient      `json:"patient"`
	RiskLevel   string       `json:"risk_level"` // "" = not assessed yet
	RiskTime    time.Time    `json:"risk_time,omitzero"`
	RiskReasons []RiskReason `json:"risk_reasons,omitempty"`
	Devices     []DeviceLine `json:"devices"`
	LastFall    time.Time    `json:"last_fall,omitzero"`
	OpenAlerts  int          `json:"open_alerts"`
	// SessionsLast7d counts exercise sessions in the last 7 days;
	// PlannedPerWeek is the plan's frequency (0 = no plan).
	SessionsLast7d int `json:"sessions_last_7d"`
	PlannedPerWeek int `json:"planned_per_week"`
}

// APIToken is a user's long-lived credential for the API (machine clients:
// `Authorization: Bearer <token>`). The token itself is shown once, when it
// is made; only its hash is kept.
type APIToken struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}
