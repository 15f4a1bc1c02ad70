package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// secret24 is "whsec_" + base64 of 24 zero-to-23 bytes (python3 -c
// "import base64; print(base64.b64encode(bytes(range(24))).decode())").
const secret24 = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"

func validConfig() Config {
	c := Config{
		SMTP: SMTPConfig{Host: "smtp.example.org", From: "Balance <alerts@example.org>"},
		Recipients: []Recipient{
			{Name: "dr-a", Role: RoleTherapist, Email: "a@example.org", RepeatInterval: time.Hour},
			{Name: "family", Role: RoleCaregiver, Webhook: &WebhookTarget{URL: "https://hooks.example.org/x", Secrets: []string{secret24}}},
			{Name: "night", Role: RoleOnCall, Webhook: &WebhookTarget{URL: "http://127.0.0.1:9/y", Secrets: []string{secret24, secret24}}},
		},
		Escalation: []EscalationStep{{After: 10 * time.Minute, Notify: []string{RoleOnCall}, Severities: []string{balance.SeverityUrgent}}},
	}
	c.SetDefaults()
	return c
}

func TestConfigValid(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   string // a substring of the error
	}{
		{"unknown role", func(c *Config) { c.Recipients[0].Role = "doctor" }, `recipients[0] (dr-a).role "doctor" is unknown`},
		{"bad URL", func(c *Config) { c.Recipients[1].Webhook.URL = "hooks.example.org/x" }, "must be an absolute http or https URL"},
		{"secret without prefix", func(c *Config) { c.Recipients[1].Webhook.Secrets = []string{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX"} }, `must start with "whsec_"`},
		{"secret not base64", func(c *Config) { c.Recipients[1].Webhook.Secrets = []string{"whsec_!!!"} }, "not base64"},
		{"secret too short", func(c *Config) { c.Recipients[1].Webhook.Secrets = []string{"whsec_AAECAw=="} }, "holds 4 bytes"},
		{"no secret", func(c *Config) { c.Recipients[1].Webhook.Secrets = nil }, "at least one whsec_ secret"},
		{"missing SMTP host", func(c *Config) { c.SMTP.Host = "" }, "alerts.smtp: host is required (an e-mail recipient is configured)"},
		{"bad STARTTLS policy", func(c *Config) { c.SMTP.StartTLS = "maybe" }, `starttls "maybe"`},
		{"two channels", func(c *Config) { c.Recipients[0].Webhook = &WebhookTarget{URL: "https://x.example"} }, "has both email and webhook"},
		{"no channel", func(c *Config) { c.Recipients[0].Email = "" }, "has neither email nor webhook"},
		{"bad address", func(c *Config) { c.Recipients[0].Email = "Dr A <a@example.org>" }, "is not a bare e-mail address"},
		{"duplicate name", func(c *Config) { c.Recipients[1].Name = "dr-a" }, "name is used twice"},
		{"unknown kind", func(c *Config) { c.Recipients[0].Kinds = []string{"fell"} }, `unknown alert kind "fell"`},
		{"unknown severity", func(c *Config) { c.Recipients[0].MinSeverity = "critical" }, `min_severity "critical"`},
		{"escalation to absent role", func(c *Config) { c.Recipients[2].Role = RoleCaregiver }, `no recipient has role "on_call"`},
		{"escalation without delay", func(c *Config) { c.Escalation[0].After = 0 }, "escalation[0].after must be positive"},
		{"retry backwards", func(c *Config) { c.Retry.MaxBackoff = time.Millisecond }, "max_backoff"},
		{"negative urgent group interval", func(c *Config) { c.UrgentGroupInterval = -time.Second }, "alerts.urgent_group_interval -1s must be"},
		{"urgent group interval too long", func(c *Config) { c.UrgentGroupInterval = 2 * time.Hour }, "alerts.urgent_group_interval 2h0m0s must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.modify(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("config accepted; want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDecodeSecret(t *testing.T) {
	key, err := DecodeSecret(secret24)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range key {
		if int(b) != i {
			t.Fatalf("byte %d = %d, want %d (the secret encodes 0..23)", i, b, i)
		}
	}
	if len(key) != 24 {
		t.Errorf("len = %d, want 24", len(key))
	}
}

func TestTargetHidesTokens(t *testing.T) {
	r := Recipient{Webhook: &WebhookTarget{URL: "https://user:pw@hooks.example.org/in/abc?token=SECRET#x"}}
	if got, want := r.Target(), "https://hooks.example.org"; got != want { // the path may hold a token too
		t.Errorf("Target() = %q, want %q", got, want)
	}
	if got := (&Recipient{Email: "a@b.example"}).Target(); got != "a@b.example" {
		t.Errorf("e-mail target %q", got)
	}
}
