package balance

import "time"

// AppInvite is a one-time log-in to the patient app that a therapist makes
// on the dashboard: a link (with a random token) and a short code to type,
// either of which logs one phone in as the patient, once, before it
// expires. Only hashes of the token and code are kept.
type AppInvite struct {
	ID        int64     `json:"id"`
	PatientID string    `json:"patient_id"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// UsedAt is when a phone redeemed it (zero = not yet).
	UsedAt time.Time `json:"used_at,omitzero"`
}

// AppSession is a patient's log-in to the app on one phone: long-lived,
// and revocable from the dashboard at once. Only the hash of its cookie's
// token is kept.
type AppSession struct {
	ID        int64  `json:"id"`
	PatientID string `json:"patient_id"`
	// Label names the phone for the therapist, e.g. "Phone added 4 Dec 10:02".
	Label string `json:"label"`
	// CSRF is the session's token for state-changing requests; never shown
	// but to the session itself.
	CSRF       string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	RevokedBy  string    `json:"revoked_by,omitempty"`
}

// InviteKey names an invitation by the hash of its link token or of its
// code (exactly one of them).
type InviteKey struct {
	TokenHash string
	CodeHash  string
}
