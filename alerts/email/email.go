package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// Notifier sends notifications by e-mail.
type Notifier struct {
	cfg  alerts.SMTPConfig
	opts []mail.Option
}

var _ alerts.Notifier = (*Notifier)(nil)

// New returns a Notifier for a validated SMTP configuration. It reads
// cfg.CAFile now, so that a bad file is an error at start.
func New(cfg alerts.SMTPConfig) (*Notifier, error) {
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("email: smtp.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email: smtp.ca_file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	opts := []mail.Option{mail.WithPort(cfg.Port), mail.WithTimeout(cfg.Timeout), mail.WithTLSConfig(tc)}
	switch {
	case cfg.ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case cfg.StartTLS == alerts.StartTLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case cfg.StartTLS == alerts.StartTLSOpportunistic:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if cfg.Username != "" {
		// PLAIN over TLS is what submission servers expect; go-mail refuses
		// to send PLAIN credentials unencrypted (except to localhost).
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	if cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(cfg.HELO))
	}
	if _, err := mail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return &Notifier{cfg: cfg, opts: opts}, nil
}

// view is what the templates see.
type view struct {
	ID     string
	Reason string
	Level  int
	Alerts []alertView
	// FollowUp is set on a follow-up notice of an urgent group.
	FollowUp *alerts.FollowUp
	// Update says what an update notice is about (the patient asked for
	// help in the app).
	Update string
}

type alertView struct {
	balance.Alert
	URL     string
	AckLink string // one click, no log-in ("" when off or not open)
	Ctx     alerts.AlertContext
	Who     string // the patient's name and id
	// Answer is the patient's answer to "Are you OK?" (nil: none).
	Answer *alerts.PatientAnswer
}

// Message builds the e-mail of a notification.
func (e *Notifier) Message(n *alerts.Notification) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(e.cfg.From); err != nil {
		return nil, fmt.Errorf("email: from: %w", err)
	}
	if err := m.To(n.Recipient.Email); err != nil {
		return nil, fmt.Errorf("email: to: %w", err)
	}
	// Same Message-ID on every attempt: receivers and mail stores can
	// recognise a resend.
	m.SetMessageIDWithValue(n.ID + "@balance.alerts")
	m.SetDate()
	m.SetGenHeader("X-Balance-Delivery", n.ID)
	if n.Message != nil {
		// A reminder: its own subject and plain words, no alert prefix.
		m.Subject(n.Message.Subject)
		m.SetBodyString(mail.TypeTextPlain, n.Message.Text)
		return m, nil
	}
	m.Subject(subject(n))
	v := view{ID: n.ID, Reason: n.Reason, Level: n.Level, FollowUp: n.FollowUp}
	base := strings.TrimSuffix(n.BaseURL, "/")
	for _, a := range n.Alerts {
		for i := range a.Evidence {
			if strings.HasPrefix(a.Evidence[i].URL, "/") {
				a.Evidence[i].URL = base + a.Evidence[i].URL
			}
		}
		c := n.Contexts[a.ID]
		who := a.PatientID
		if c.Patient.Name != "" {
			who = c.Patient.Name + " (" + a.PatientID + ")"
		}
		av := alertView{Alert: a, URL: base + "/api/v1/alerts/" + url.PathEscape(a.ID), AckLink: n.AckLinks[a.ID], Ctx: c, Who: who}
		if p, ok := n.Answers[a.ID]; ok {
			av.Answer = &p
			if n.Reason == alerts.ReasonUpdate && v.Update == "" {
				v.Update = p.Summary
			}
		}
		v.Alerts = append(v.Alerts, av)
	}
	if err := m.SetBodyTextTemplate(textTmpl, v); err != nil {
		return nil, fmt.Errorf("email: text body: %w", err)
	}
	if err := m.AddAlternativeHTMLTemplate(htmlTmpl, v); err != nil {
		return nil, fmt.Errorf("email: html body: %w", err)
	}
	return m, nil
}

func subject(n *alerts.Notification) string {
	var b strings.Builder
	switch n.Reason {
	case alerts.ReasonEscalation:
		b.WriteString("[ESCALATED] ")
	case alerts.ReasonRepeat:
		b.WriteString("[REMINDER] ")
	case alerts.ReasonResolved:
		b.WriteString("[RESOLVED] ")
	case alerts.ReasonUpdate:
		b.WriteString("[UPDATE] ")
	}
	if len(n.Alerts) == 0 {
		b.WriteString("balance alert")
		return b.String()
	}
	a := n.Alerts[0]
	if p, ok := n.Answers[a.ID]; ok && n.Reason == alerts.ReasonUpdate {
		// "[UPDATE] [URGENT] Ada asked for help in the app at 14:05 — send help now"
		fmt.Fprintf(&b, "[%s] %s", strings.ToUpper(a.Severity), p.Summary)
		return b.String()
	}
	if n.FollowUp != nil {
		// "[URGENT] Ada Lovelace (p1): 2 more falls since 14:02: 14:09, 14:05"
		who := a.PatientID
		if name := n.Contexts[a.ID].Patient.Name; name != "" {
			who = name + " (" + a.PatientID + ")"
		}
		fmt.Fprintf(&b, "[%s] %s: %s", strings.ToUpper(a.Severity), who, n.FollowUp.Summary)
		return b.String()
	}
	fmt.Fprintf(&b, "[%s] %s", strings.ToUpper(a.Severity), a.Summary)
	if len(n.Alerts) > 1 {
		fmt.Fprintf(&b, " (+%d more)", len(n.Alerts)-1)
	}
	return b.String()
}

// Notify implements alerts.Notifier. Connection failures, timeouts and 4xx
// SMTP replies (temporary) are retried; 5xx replies (e.g. an unknown
// mailbox or refused credentials) are not.
func (e *Notifier) Notify(ctx context.Context, n *alerts.Notification) (bool, error) {
	m, err := e.Message(n)
	if err != nil {
		return false, err
	}
	c, err := mail.NewClient(e.cfg.Host, e.opts...)
	if err != nil {
		return false, fmt.Errorf("email: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(e.cfg.Host, fmt.Sprint(e.cfg.Port))
	err = c.DialAndSendWithContext(ctx, m)
	if err == nil {
		return false, nil
	}
	code, temp := classify(err)
	if ctx.Err() != nil {
		return true, &alerts.DeliveryError{Err: fmt.Errorf("smtp %s: no answer within %s: %w", addr, e.cfg.Timeout, err)}
	}
	return temp, &alerts.DeliveryError{StatusCode: code, Err: fmt.Errorf("smtp %s: %w", addr, err)}
}

// classify returns the SMTP reply code of err (0 if none) and whether a
// retry can succeed.
func classify(err error) (code int, temporary bool) {
	var se *mail.SendError
	if errors.As(err, &se) {
		code = se.ErrorCode()
		if code >= 500 {
			return code, false
		}
		if code >= 400 || se.IsTemp() {
			return code, true
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code, te.Code < 500
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return code, true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return code, true
	}
	// Unknown failures (dial, TLS, protocol): retrying is the safe side;
	// the deadline bounds it.
	return code, code == 0 || code < 500
}
