// Package dashboard is the therapist dashboard: a web UI served by the
// binary itself (templates, script and style embedded), log-in with
// bcrypt-hashed passwords, session cookies with CSRF protection and log-in
// rate limiting, the roles admin and therapist, and the access rule that a
// therapist sees only the patients assigned to them — enforced by
// Middleware for every route of the HTTP server, the UI's and the JSON
// API's alike (CanSeePatient is the check).
//
// Pages: the patient list sorted by fall risk, one patient (risk with its
// reasons, trend charts drawn server-side as SVG with gonum/plot and the
// clinical cut-offs marked, sessions with their raw signals, alerts with
// acknowledgement, the exercise plan with approval and override, devices),
// and the monthly remote-therapeutic-monitoring report. The package keeps no
// SQL: it talks to storage through the small interfaces in deps.go.
package dashboard
