package dashboard

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// limiter slows password guessing without letting a stranger lock a user
// out. Failures are counted per (user, address), per address and per user
// within a window:
//
//   - (user, address): after PairMax failures, each further attempt waits
//     2^(n-PairMax) s after the last failure (1 s, 2 s, 4 s ... up to the
//     window): someone guessing from one address is slowed exponentially,
//     while the user, from any other address, is not affected;
//   - address: AddrMax failures in the window (any user names) pause the
//     address: one address spraying many names;
//   - user: UserMax failures in the window from all addresses pause the
//     name: guessing spread over many addresses. UserMax is high (10 times
//     PairMax) so that reaching it takes a distributed attack.
type limiter struct {
	mu      sync.Mutex
	pairMax int
	addrMax int
	userMax int
	window  time.Duration
	fails   map[string]*failWindow
}

type failWindow struct {
	start, last time.Time
	n           int
}

// newLimiter returns a limiter whose per-(user, address) threshold is max;
// the address's is 10·max and the user's 20·max.
func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{pairMax: max, addrMax: 10 * max, userMax: 20 * max, window: window, fails: map[string]*failWindow{}}
}

func pairKey(user, addr string) string { return "p:" + user + "\x00" + addr }

// allowed reports whether an attempt for user from addr may go ahead at now.
func (l *limiter) allowed(user, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.allowedLocked(user, addr, now)
}

// get returns the key's failures in the current window (nil if none).
func (l *limiter) get(k string, now time.Time) *failWindow {
	f := l.fails[k]
	if f != nil && now.Sub(f.start) >= l.window {
		delete(l.fails, k)
		return nil
	}
	return f
}

func (l *limiter) allowedLocked(user, addr string, now time.Time) bool {
	if f := l.get(pairKey(user, addr), now); f != nil && f.n >= l.pairMax {
		wait := l.window
		if k := f.n - l.pairMax; k < 30 {
			wait = min(wait, time.Duration(1<<k)*time.Second)
		}
		if now.Sub(f.last) < wait {
			return false
		}
	}
	if f := l.get("a:"+addr, now); f != nil && f.n >= l.addrMax {
		return false
	}
	if f := l.get("u:"+user, now); f != nil && f.n >= l.userMax {
		return false
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
		for k := range l.fails {
			l.get(k, now)
		}
	}
	for _, k := range []string{pairKey(user, addr), "a:" + addr, "u:" + user} {
		f := l.get(k, now)
		if f == nil {
			f = &failWindow{start: now}
			l.fails[k] = f
		}
		f.n++
		f.last = now
	}
}

// begin reserves an attempt for user from addr: it refuses while the
// attempt must wait, else counts the attempt as a failure at once (under
// the lock, so concurrent attempts cannot all pass while passwords are
// checked).
func (l *limiter) begin(user, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.allowedLocked(user, addr, now) {
		return false
	}
	l.failLocked(user, addr, now)
	return true
}

// succeeded gives back a successful attempt: the pair's failures are
// cleared and the address's and user's reservations returned.
func (l *limiter) succeeded(user, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, pairKey(user, addr))
	for _, k := range []string{"a:" + addr, "u:" + user} {
		if f := l.fails[k]; f != nil && f.n > 0 {
			f.n--
		}
	}
}

// clientAddrs finds a request's client address: the connection's peer,
// unless that peer is a trusted proxy, in which case the right-most address
// of X-Forwarded-For that is not a trusted proxy (the left-most entries are
// whatever the client claimed).
type clientAddrs struct {
	trusted []netip.Prefix
}

func (c clientAddrs) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// of returns the client address of r.
func (c clientAddrs) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !c.isTrusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // malformed: stop at what the proxies vouch for
		}
		if !c.isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return host
}
