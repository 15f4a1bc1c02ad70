package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestAtMostOneLinePerKeyAndInterval(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Minute)
	t0 := time.Now()
	l.Warn(t0, "a", "first a")
	l.Warn(t0.Add(time.Second), "a", "suppressed a")
	l.Warn(t0.Add(2*time.Second), "a", "suppressed a")
	l.Warn(t0.Add(2*time.Second), "b", "first b") // another key: its own line
	l.Warn(t0.Add(time.Minute+time.Second), "a", "second a")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{"first a", "first b", "second a"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %q, want %q", i, lines[i], want)
		}
	}
	if strings.Contains(lines[0], "suppressed_since_last") || !strings.Contains(lines[2], "suppressed_since_last=2") {
		t.Errorf("suppressed counts: %q, %q; want none, then 2", lines[0], lines[2])
	}
}
