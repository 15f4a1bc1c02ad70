// Package email delivers alert notifications by e-mail over SMTP with
// github.com/wneessen/go-mail: STARTTLS (mandatory, opportunistic or none)
// or implicit TLS, SMTP authentication, and a message with a plain-text and
// an HTML part rendered from text/template and html/template. The
// Message-ID is derived from the delivery's ID, so a message resent after a
// crash carries the same Message-ID.
package email
