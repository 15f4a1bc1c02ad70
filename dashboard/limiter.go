package dashboard

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// limiter pauses log-ins for a username or a client address after Max
// failures within Window, until the window has passed since the first
// failure counted (a fixed window per key).
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string]*failWindow{}}
}

func (l *limiter) keys(user, addr string) []string { return []string{"u:" + user, "a:" + addr} }

// allowed reports whether neither key is paused at now.
func (l *limiter) allowed(user, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.allowedLocked(user, addr, now)
}

func (l *limiter) allowedLocked(user, addr string, now time.Time) bool {
	for _, k := range l.keys(user, addr) {
		if f := l.fails[k]; f != nil {
			if now.Sub(f.start) >= l.window {
				delete(l.fails, k)
			} else if f.n >= l.max {
				return false
			}
		}
	}
	return true
}

func (l *limiter) fail(user, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failLocked(user, addr, now)
}

func (l *limiter) failLocked(user, addr string, now time.Time) {
	if len(l.fails) > 100000 { // bound memory under a spray of names
		for k, f := range l.fails {
			if now.Sub(f.start) >= l.window {
				delete(l.fails, k)
			}
		}
	}
	for _, k := range l.keys(user, addr) {
		f := l.fails[k]
		if f == nil || now.Sub(f.start) >= l.window {
			f = &failWindow{start: now}
			l.fails[k] = f
		}
		f.n++
	}
}

// clientAddr is the request's remote IP (proxies are not trusted).
func clientAddr(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// begin reserves an attempt for user from addr: it refuses while either key
// is paused, else counts the attempt as a failure at once (under the lock,
// so concurrent attempts cannot all pass while passwords are checked).
func (l *limiter) begin(user, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.allowedLocked(user, addr, now) {
		return false
	}
	l.failLocked(user, addr, now)
	return true
}

// succeeded gives back a successful attempt: the username's failures are
// cleared and the address's reservation is returned.
func (l *limiter) succeeded(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, "u:"+user)
	if f := l.fails["a:"+addr]; f != nil && f.n > 0 {
		f.n--
	}
}
