package alerts

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	// Expected values are the closed form u·min(max, initial·2^(n−1)),
	// floored at Retry-After, with initial 1 s and max 8 s.
	const s = time.Second
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		u          float64
		want       time.Duration
	}{
		{"first retry, top of range", 1, 0, 0.5, s / 2},
		{"second doubles", 2, 0, 0.5, s},
		{"third doubles again", 3, 0, 0.25, s},
		{"capped at max", 10, 0, 0.5, 4 * s},
		{"huge n stays capped", 1000, 0, 0.5, 4 * s},
		{"zero jitter is zero", 3, 0, 0, 0},
		{"retry-after is a floor", 1, 3 * s, 0.5, 3 * s},
		{"jitter above retry-after wins", 4, s, 0.5, 4 * s},
		{"n below 1 treated as 1", 0, 0, 0.5, s / 2},
		{"u out of range treated as 0", 2, 0, 1.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Backoff(tt.n, s, 8*s, tt.retryAfter, tt.u)
			if got != tt.want {
				t.Errorf("Backoff(%d, 1s, 8s, %s, %v) = %s, want %s", tt.n, tt.retryAfter, tt.u, got, tt.want)
			}
		})
	}
}

// TestBackoffBounds checks, over the unit interval, that the delay never
// exceeds the cap and is never negative.
func TestBackoffBounds(t *testing.T) {
	for n := 1; n < 70; n++ {
		for u := 0.0; u < 1; u += 0.125 {
			d := Backoff(n, time.Second, 5*time.Minute, 0, u)
			if d < 0 || d > 5*time.Minute {
				t.Fatalf("Backoff(%d, u=%v) = %s outside [0, 5m]", n, u, d)
			}
		}
	}
}
