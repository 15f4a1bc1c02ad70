// Package dashboard is the therapist dashboard: a web UI served by the
// binary itself (templates, script and style embedded), log-in with
// bcrypt-hashed passwords, session cookies with CSRF protection and log-in
// rate limiting, the roles admin and therapist, and the rule that a
// therapist sees only the patients assigned to them. The Server is the
// front door's route.Guard: it logs the user in and puts the
// balance.Viewer in the request context; each route's access rule and each
// handler's check next to its data decide the rest (docs/architecture.md).
//
// Pages: the patient list sorted by fall risk, one patient (risk with its
// reasons, trend charts drawn server-side as SVG with gonum/plot and the
// clinical cut-offs marked, sessions with their raw signals, alerts with
// acknowledgement, the exercise plan with approval and override, devices),
// and the monthly remote-therapeutic-monitoring report. The package keeps no
// SQL: it talks to storage through the small interfaces in deps.go.
package dashboard
