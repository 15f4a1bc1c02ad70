// Package ratelog logs at most one line per key and interval, so that a
// flood of bad input (a device sending garbage, a storm of refused
// log-ins, reads deferred under load) cannot flood the log; each line says
// how many of its key were suppressed since the previous one.
package ratelog

import (
	"log/slog"
	"sync"
	"time"
)

// Logger logs at most one line per key and interval, and says how many
// were suppressed in between. It is safe for concurrent use.
type Logger struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]*rateEntry
}

type rateEntry struct {
	at         time.Time
	suppressed int
}

// New returns a Logger writing to log at most one line per key and
// interval.
func New(log *slog.Logger, interval time.Duration) *Logger {
	return &Logger{log: log, interval: interval, last: map[string]*rateEntry{}}
}

// Warn logs msg for key unless one was logged less than interval ago.
// The line carries args, and "suppressed_since_last" with the lines of key
// suppressed since the previous one, if any.
func (r *Logger) Warn(now time.Time, key, msg string, args ...any) {
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
