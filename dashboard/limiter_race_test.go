package dashboard

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLimiterBeginIsAtomic: of many concurrent attempts, at most Max pass
// (the check and the count are one step), and a success gives the address
// its slot back.
func TestLimiterBeginIsAtomic(t *testing.T) {
	l := newLimiter(5, 15*time.Minute)
	now := time.Now()
	var passed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.begin("admin", "10.0.0.1", now) {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if passed.Load() != 5 {
		t.Fatalf("%d of 60 concurrent attempts passed, want 5", passed.Load())
	}
	l2 := newLimiter(2, time.Minute)
	for i := 0; i < 10; i++ { // ten successful log-ins in a row from one address
		if !l2.begin("therapist", "10.0.0.2", now) {
			t.Fatalf("successful log-in %d refused", i+1)
		}
		l2.succeeded("therapist", "10.0.0.2")
	}
}
