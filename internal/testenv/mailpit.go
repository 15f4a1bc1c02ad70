package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mailpitPath finds mailpit: $BALANCE_MAILPIT, then PATH, then GOPATH/bin.
func mailpitPath() (string, error) {
	return findTool("mailpit", "BALANCE_MAILPIT", "go install github.com/axllent/mailpit@v1.33.1")
}

// MailpitOptions configure a test SMTP server.
type MailpitOptions struct {
	// TLSCert and TLSKey (PEM files) enable STARTTLS.
	TLSCert, TLSKey string
	// RequireSTARTTLS refuses mail from clients that do not upgrade.
	RequireSTARTTLS bool
	// RequireTLS makes the SMTP port speak TLS from the first byte (SMTPS).
	RequireTLS bool
	// Users maps user names to passwords; when set, SMTP AUTH is required.
	Users map[string]string
	// SMTPPort is the SMTP port to listen on (0: a free one).
	SMTPPort int
}

// Mailpit is a mailpit process (SMTP server with an HTTP API) owned by a test.
type Mailpit struct {
	// SMTPAddr is host:port of the SMTP server; APIURL the HTTP API's base.
	SMTPAddr string
	SMTPHost string
	SMTPPort int
	APIURL   string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	mu       sync.Mutex
}

// StartMailpit starts a private mailpit on free loopback ports with an
// in-memory store and stops it when the test ends.
func StartMailpit(t testing.TB, o MailpitOptions) *Mailpit {
	t.Helper()
	bin, err := mailpitPath()
	if err != nil {
		t.Fatal(err)
	}
	smtpPort, apiPort := o.SMTPPort, FreePort(t)
	if smtpPort == 0 {
		smtpPort = FreePort(t)
	}
	mp := &Mailpit{
		SMTPHost: "127.0.0.1", SMTPPort: smtpPort,
		SMTPAddr: fmt.Sprintf("127.0.0.1:%d", smtpPort),
		APIURL:   fmt.Sprintf("http://127.0.0.1:%d", apiPort),
		log:      new(bytes.Buffer),
	}
	args := []string{"--smtp", mp.SMTPAddr, "--listen", fmt.Sprintf("127.0.0.1:%d", apiPort),
		"--database", "", "--disable-version-check", "--smtp-disable-rdns", "--quiet"}
	if o.TLSCert != "" {
		args = append(args, "--smtp-tls-cert", o.TLSCert, "--smtp-tls-key", o.TLSKey)
	}
	if o.RequireSTARTTLS {
		args = append(args, "--smtp-require-starttls")
	}
	if o.RequireTLS {
		args = append(args, "--smtp-require-tls")
	}
	if len(o.Users) > 0 {
		var b strings.Builder
		for u, p := range o.Users {
			fmt.Fprintf(&b, "%s:%s\n", u, p)
		}
		path := filepath.Join(t.TempDir(), "smtp-auth")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", path)
		if o.TLSCert == "" {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	}
	mp.cmd = exec.Command(bin, args...)
	mp.cmd.Stdout, mp.cmd.Stderr = mp.log, mp.log
	mp.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := mp.cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(mp.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(mp.APIURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return mp
			}
		}
		if time.Now().After(deadline) {
			mp.stop()
			t.Fatalf("mailpit did not become ready within 20 s; its log:\n%s", mp.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (mp *Mailpit) stop() {
	mp.mu.Lock()
	defer mp.mu.Unlock()
	if mp.cmd == nil {
		return
	}
	mp.cmd.Process.Kill()
	mp.cmd.Wait()
	mp.cmd = nil
}

// MailAddress is an address as the mailpit API reports it.
type MailAddress struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// MailSummary is one message of the mailpit message list.
type MailSummary struct {
	ID        string        `json:"ID"`
	MessageID string        `json:"MessageID"`
	From      MailAddress   `json:"From"`
	To        []MailAddress `json:"To"`
	Subject   string        `json:"Subject"`
}

// MailMessage is one message with its bodies.
type MailMessage struct {
	MailSummary
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

// Messages returns the messages received so far, newest first.
func (mp *Mailpit) Messages(t testing.TB) []MailSummary {
	t.Helper()
	var out struct {
		Messages []MailSummary `json:"messages"`
	}
	mp.get(t, "/api/v1/messages?limit=1000", &out)
	return out.Messages
}

// Message returns one message with its text and HTML bodies.
func (mp *Mailpit) Message(t testing.TB, id string) MailMessage {
	t.Helper()
	var m MailMessage
	mp.get(t, "/api/v1/message/"+id, &m)
	return m
}

// Headers returns the headers of one message.
func (mp *Mailpit) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	var h map[string][]string
	mp.get(t, "/api/v1/message/"+id+"/headers", &h)
	return h
}

// WaitMessages waits until at least n messages arrived and returns them.
func (mp *Mailpit) WaitMessages(t testing.TB, n int, timeout time.Duration) []MailSummary {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ms := mp.Messages(t)
		if len(ms) >= n || time.Now().After(deadline) {
			return ms
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (mp *Mailpit) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(mp.APIURL + path)
	if err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API %s: status %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
}
