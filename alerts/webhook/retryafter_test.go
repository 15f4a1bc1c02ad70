package webhook

import (
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	// Expected values follow RFC 9110 §10.2.3: delay-seconds, or an
	// HTTP-date minus now; unusable values mean "not given".
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"Wed, 21 Oct 2015 07:30:30 GMT", 150 * time.Second},
		{"Wed, 21 Oct 2015 07:00:00 GMT", 0}, // in the past
		{"soon", 0},
		{"9999999", 24 * time.Hour}, // capped
	}
	for _, tt := range tests {
		if got := retryAfter(tt.in, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
