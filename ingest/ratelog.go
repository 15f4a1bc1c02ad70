package ingest

import (
	"log/slog"
	"sync"
	"time"
)

// rateLog logs at most one line per key and interval, and says how many
// were suppressed in between, so that a device flooding bad input cannot
// flood the log.
type rateLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]*rateEntry
}

type rateEntry struct {
	at         time.Time
	suppressed int
}

func newRateLog(log *slog.Logger, interval time.Duration) *rateLog {
	return &rateLog{log: log, interval: interval, last: map[string]*rateEntry{}}
}

// Warn logs msg for key unless one was logged less than interval ago.
func (r *rateLog) Warn(now time.Time, key, msg string, args ...any) {
	r.mu.Lock()
	e := r.last[key]
	if e != nil && now.Sub(e.at) < r.interval {
		e.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := 0
	if e == nil {
		if len(r.last) > 10000 { // bound the memory a storm of distinct keys can take
			r.last = map[string]*rateEntry{}
		}
		e = &rateEntry{}
		r.last[key] = e
	} else {
		suppressed = e.suppressed
	}
	e.at, e.suppressed = now, 0
	r.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed_since_last", suppressed)
	}
	r.log.Warn(msg, args...)
}
