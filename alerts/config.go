package alerts

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Recipient roles.
const (
	RoleTherapist = "therapist"
	RoleCaregiver = "caregiver"
	RoleOnCall    = "on_call"
)

// Channels a recipient can be reached on.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// STARTTLS policies of the SMTP client.
const (
	StartTLSMandatory     = "mandatory"
	StartTLSOpportunistic = "opportunistic"
	StartTLSNone          = "none"
)

var (
	roles      = []string{RoleTherapist, RoleCaregiver, RoleOnCall}
	severities = []string{balance.SeverityUrgent, balance.SeverityHigh, balance.SeverityWarning, balance.SeverityInfo}
	kinds      = []string{balance.AlertFall, balance.AlertNoMovement, balance.AlertRiskRose, balance.AlertTrend,
		balance.AlertDeviceOffline, balance.AlertNotWorn, balance.AlertSessionsMissed, balance.AlertProgressionReady}
)

// Config is the "alerts" section of the configuration: how to reach the
// SMTP server, who gets what, and the timing of grouping, retries, repeats
// and escalation.
type Config struct {
	// BaseURL is the system's external URL, used to make the links in
	// notifications absolute (evidence, acknowledgement). Optional.
	BaseURL string `yaml:"base_url"`
	// SMTP is required when any recipient has an e-mail address.
	SMTP SMTPConfig `yaml:"smtp"`
	// WebhookTimeout bounds one webhook request [15s].
	WebhookTimeout time.Duration `yaml:"webhook_timeout"`
	// GroupWait is how long a non-urgent alert waits for others of its
	// group (same recipient and Alert.GroupKey) before the group is sent
	// [30s]. Urgent alerts never wait.
	GroupWait time.Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two notifications of one
	// group to one recipient [5m].
	GroupInterval time.Duration `yaml:"group_interval"`
	// UrgentGroupInterval is the least time between two notices of one
	// urgent group (same recipient and Alert.GroupKey, e.g. a patient's
	// falls) to one recipient while an alert the recipient was told of is
	// not resolved [2m]. The first urgent alert of a group is always sent
	// at once; later ones are folded into one follow-up notice at most
	// this often.
	UrgentGroupInterval time.Duration `yaml:"urgent_group_interval"`
	// Retry governs redelivery of failed attempts.
	Retry RetryConfig `yaml:"retry"`
	// Workers bounds concurrent deliveries [8].
	Workers int `yaml:"workers"`
	// PerRecipient bounds concurrent deliveries to one recipient, so that
	// a hung receiver holds at most this many workers [2].
	PerRecipient int `yaml:"per_recipient"`
	// Recipients are the people and systems to notify.
	Recipients []Recipient `yaml:"recipients"`
	// Escalation lists the steps taken while an alert stays unacknowledged.
	Escalation []EscalationStep `yaml:"escalation"`
}

// RetryConfig is the retry policy: exponential backoff with full jitter
// (delay drawn uniformly from [0, min(MaxBackoff, InitialBackoff·2^(n−1))]
// after attempt n), a Retry-After answer honoured, until GiveUpAfter has
// passed since the delivery was due.
type RetryConfig struct {
	InitialBackoff time.Duration `yaml:"initial_backoff"` // [1s]
	MaxBackoff     time.Duration `yaml:"max_backoff"`     // [5m]
	GiveUpAfter    time.Duration `yaml:"give_up_after"`   // [24h]
}

// SMTPConfig is how e-mail is sent.
type SMTPConfig struct {
	Host string `yaml:"host"`
	// Port [587].
	Port int `yaml:"port"`
	// StartTLS is mandatory (default), opportunistic or none.
	StartTLS string `yaml:"starttls"`
	// ImplicitTLS connects with TLS from the first byte (SMTPS, port 465)
	// instead of upgrading with STARTTLS.
	ImplicitTLS bool   `yaml:"implicit_tls"`
	Username    string `yaml:"username"`
	Password    string `yaml:"password"`
	// From is the sender address, e.g. "Balance alerts <alerts@clinic.example>".
	From string `yaml:"from"`
	// Timeout bounds one send, connection included [15s].
	Timeout time.Duration `yaml:"timeout"`
	// CAFile is a PEM file of CAs to trust instead of the system's.
	CAFile string `yaml:"ca_file"`
	// HELO is the name given in EHLO [the host name].
	HELO string `yaml:"helo"`
}

// Recipient is one person or system to notify, on exactly one channel.
type Recipient struct {
	// Name identifies the recipient in the delivery log; letters, digits,
	// '_', '-', '.'.
	Name string `yaml:"name"`
	// Role is therapist, caregiver or on_call.
	Role string `yaml:"role"`
	// Email is a bare address (e-mail channel).
	Email string `yaml:"email"`
	// Webhook is an endpoint (webhook channel).
	Webhook *WebhookTarget `yaml:"webhook"`
	// Patients restricts the recipient to these patient IDs (empty: all).
	Patients []string `yaml:"patients"`
	// Kinds restricts the recipient to these alert kinds (empty: all).
	Kinds []string `yaml:"kinds"`
	// MinSeverity is the least severe alert sent (default: info, i.e. all).
	MinSeverity string `yaml:"min_severity"`
	// RepeatInterval resends an alert still unacknowledged this long after
	// its last notification to this recipient (0: never).
	RepeatInterval time.Duration `yaml:"repeat_interval"`
}

// WebhookTarget is a webhook endpoint and its signing secrets.
type WebhookTarget struct {
	URL string `yaml:"url"`
	// Secrets are Standard Webhooks secrets ("whsec_" + base64 of 24 to 64
	// random bytes). Every request is signed with each, so a new secret can
	// be added before the old one is removed (rotation without downtime).
	Secrets []string `yaml:"secrets"`
}

// EscalationStep notifies more people when an alert is still
// unacknowledged After its creation.
type EscalationStep struct {
	After time.Duration `yaml:"after"`
	// Notify lists the roles to notify.
	Notify []string `yaml:"notify"`
	// Severities restricts the step to these severities (empty: all).
	Severities []string `yaml:"severities"`
}

// Channel returns the recipient's channel.
func (r *Recipient) Channel() string {
	if r.Webhook != nil {
		return ChannelWebhook
	}
	return ChannelEmail
}

// Target returns the address or URL the recipient is reached at, as the
// delivery log shows it: a URL without user info, query or fragment, which
// may hold tokens.
func (r *Recipient) Target() string {
	if r.Webhook != nil {
		u, err := url.Parse(r.Webhook.URL)
		if err != nil {
			return "(unparsable URL)"
		}
		// Scheme and host only: hooks often carry their secret in the path.
		return u.Scheme + "://" + u.Host
	}
	return r.Email
}

// Matches reports whether the recipient's filters accept the alert.
func (r *Recipient) Matches(a *balance.Alert) bool {
	if len(r.Patients) > 0 && !slices.Contains(r.Patients, a.PatientID) {
		return false
	}
	if len(r.Kinds) > 0 && !slices.Contains(r.Kinds, a.Kind) {
		return false
	}
	return severityRank(a.Severity) <= severityRank(r.minSeverity())
}

func (r *Recipient) minSeverity() string {
	if r.MinSeverity == "" {
		return balance.SeverityInfo
	}
	return r.MinSeverity
}

// severityRank orders severities, 0 the most urgent; unknown ones rank last.
func severityRank(s string) int {
	if i := slices.Index(severities, s); i >= 0 {
		return i
	}
	return len(severities)
}

// SetDefaults fills unset durations and counts with their defaults.
func (c *Config) SetDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.WebhookTimeout, 15*time.Second)
	def(&c.GroupWait, 30*time.Second)
	def(&c.GroupInterval, 5*time.Minute)
	def(&c.UrgentGroupInterval, 2*time.Minute)
	def(&c.Retry.InitialBackoff, time.Second)
	def(&c.Retry.MaxBackoff, 5*time.Minute)
	def(&c.Retry.GiveUpAfter, 24*time.Hour)
	def(&c.SMTP.Timeout, 15*time.Second)
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.PerRecipient == 0 {
		c.PerRecipient = 2
	}
	if c.SMTP.Port == 0 {
		c.SMTP.Port = 587
	}
	if c.SMTP.StartTLS == "" {
		c.SMTP.StartTLS = StartTLSMandatory
	}
}

// Validate reports every unusable setting at once, each named by its key
// under "alerts". Call SetDefaults first.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("alerts."+format, args...)) }
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("base_url %q must be an absolute http or https URL", c.BaseURL)
		}
	}
	if c.WebhookTimeout < 0 || c.GroupWait < 0 || c.GroupInterval < 0 {
		bad("webhook_timeout, group_wait and group_interval must not be negative")
	}
	if c.UrgentGroupInterval < 0 || c.UrgentGroupInterval > time.Hour {
		bad("urgent_group_interval %s must be 0 (default 2m) to 1h: later falls of a group wait up to that long", c.UrgentGroupInterval)
	}
	if c.Retry.InitialBackoff <= 0 || c.Retry.MaxBackoff < c.Retry.InitialBackoff {
		bad("retry: initial_backoff (%s) must be positive and max_backoff (%s) at least as long", c.Retry.InitialBackoff, c.Retry.MaxBackoff)
	}
	if c.Retry.GiveUpAfter <= 0 {
		bad("retry.give_up_after must be positive")
	}
	if c.Workers < 1 || c.Workers > 256 {
		bad("workers %d must be 1..256", c.Workers)
	}
	if c.PerRecipient < 1 {
		bad("per_recipient %d must be at least 1", c.PerRecipient)
	}
	names := map[string]bool{}
	haveRole := map[string]bool{}
	needSMTP := false
	for i, r := range c.Recipients {
		key := fmt.Sprintf("recipients[%d]", i)
		if r.Name != "" {
			key = fmt.Sprintf("recipients[%d] (%s)", i, r.Name)
		}
		if err := balance.ValidateDeviceID(r.Name); err != nil {
			bad("%s.name %q: 1 to 64 letters, digits, '_', '-' or '.'", key, r.Name)
		} else if names[r.Name] {
			bad("%s.name is used twice", key)
		}
		names[r.Name] = true
		if !slices.Contains(roles, r.Role) {
			bad("%s.role %q is unknown: use therapist, caregiver or on_call", key, r.Role)
		}
		haveRole[r.Role] = true
		switch {
		case r.Email != "" && r.Webhook != nil:
			bad("%s has both email and webhook: give one channel per recipient", key)
		case r.Email == "" && r.Webhook == nil:
			bad("%s has neither email nor webhook", key)
		case r.Email != "":
			needSMTP = true
			if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
				bad("%s.email %q is not a bare e-mail address", key, r.Email)
			}
		default:
			if err := r.Webhook.validate(); err != nil {
				bad("%s.webhook: %v", key, err)
			}
		}
		for _, k := range r.Kinds {
			if !slices.Contains(kinds, k) {
				bad("%s.kinds: unknown alert kind %q (known: %s)", key, k, strings.Join(kinds, ", "))
			}
		}
		if r.MinSeverity != "" && !slices.Contains(severities, r.MinSeverity) {
			bad("%s.min_severity %q: use one of %s", key, r.MinSeverity, strings.Join(severities, ", "))
		}
		for _, p := range r.Patients {
			if balance.ValidateDeviceID(p) != nil {
				bad("%s.patients: %q is not a patient id", key, p)
			}
		}
		if r.RepeatInterval < 0 {
			bad("%s.repeat_interval must not be negative", key)
		}
	}
	if needSMTP {
		if err := c.SMTP.validate(); err != nil {
			bad("smtp: %v (an e-mail recipient is configured)", err)
		}
	}
	for i, s := range c.Escalation {
		if s.After <= 0 {
			bad("escalation[%d].after must be positive", i)
		}
		if len(s.Notify) == 0 {
			bad("escalation[%d].notify names no role", i)
		}
		for _, role := range s.Notify {
			if !slices.Contains(roles, role) {
				bad("escalation[%d].notify: unknown role %q", i, role)
			} else if !haveRole[role] {
				bad("escalation[%d].notify: no recipient has role %q", i, role)
			}
		}
		for _, sev := range s.Severities {
			if !slices.Contains(severities, sev) {
				bad("escalation[%d].severities: unknown severity %q", i, sev)
			}
		}
	}
	return errors.Join(errs...)
}

func (w *WebhookTarget) validate() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q must be an absolute http or https URL", w.URL)
	}
	if len(w.Secrets) == 0 {
		return errors.New("secrets: give at least one whsec_ secret")
	}
	for i, s := range w.Secrets {
		if _, err := DecodeSecret(s); err != nil {
			return fmt.Errorf("secrets[%d]: %w", i, err)
		}
	}
	return nil
}

// DecodeSecret returns the key bytes of a Standard Webhooks secret:
// "whsec_" followed by the standard base64 of 24 to 64 bytes.
func DecodeSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, errors.New(`secret must start with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("secret is not base64 after whsec_: %v", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("secret holds %d bytes; Standard Webhooks asks for 24 to 64", len(key))
	}
	return key, nil
}

func (s *SMTPConfig) validate() error {
	var errs []error
	if s.Host == "" {
		errs = append(errs, errors.New("host is required"))
	}
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("port %d must be 1..65535", s.Port))
	}
	switch s.StartTLS {
	case StartTLSMandatory, StartTLSOpportunistic, StartTLSNone:
	default:
		errs = append(errs, fmt.Errorf("starttls %q must be mandatory, opportunistic or none", s.StartTLS))
	}
	if s.From == "" {
		errs = append(errs, errors.New("from is required"))
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q: %v", s.From, err))
	}
	if (s.Username == "") != (s.Password == "") {
		errs = append(errs, errors.New("username and password go together"))
	}
	if s.Timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	return errors.Join(errs...)
}
