package dashboard

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	type op struct {
		user, addr string
		at         time.Duration // after t0
		fail       bool          // record a failure; else check allowed
		want       bool          // for checks
	}
	three := func(user, addr string) []op { // the threshold (3) of failures at 0, 1 s, 2 s
		return []op{{user, addr, 0, true, false}, {user, addr, time.Second, true, false}, {user, addr, 2 * time.Second, true, false}}
	}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"three failures from one address make that address wait", append(three("ann", "x"),
			op{"ann", "x", 2500 * time.Millisecond, false, false}, // 0.5 s after the 3rd: wait 1 s
			op{"ann", "y", 2500 * time.Millisecond, false, true},  // the user from another address: not affected
			op{"bob", "x", 2500 * time.Millisecond, false, true},  // another user from that address: not affected
			op{"ann", "x", 3 * time.Second, false, true},          // 1 s after the 3rd failure
		)},
		{"the wait doubles", append(three("ann", "x"),
			op{"ann", "x", 3 * time.Second, true, false},          // 4th failure: next wait 2 s
			op{"ann", "x", 4500 * time.Millisecond, false, false}, // 1.5 s later
			op{"ann", "x", 5 * time.Second, false, true},          // 2 s later
			op{"ann", "x", 5 * time.Second, true, false},          // 5th: 4 s
			op{"ann", "x", 8 * time.Second, false, false},
			op{"ann", "x", 9 * time.Second, false, true},
		)},
		{"failures spread over addresses do not lock the name", []op{
			{"ann", "a1", 0, true, false}, {"ann", "a2", time.Second, true, false}, {"ann", "a3", 2 * time.Second, true, false},
			{"ann", "a4", 3 * time.Second, false, true},
		}},
		{"the window passes", append(three("ann", "a"),
			op{"ann", "a", 10 * time.Minute, false, true},
		)},
		{"two failures do not slow", []op{
			{"ann", "a", 0, true, false}, {"ann", "a", 0, true, false}, {"ann", "a", 0, false, true},
		}},
	} {
		l := newLimiter(3, 10*time.Minute)
		for i, o := range tc.ops {
			if o.fail {
				l.fail(o.user, o.addr, t0.Add(o.at))
				continue
			}
			if got := l.allowed(o.user, o.addr, t0.Add(o.at)); got != o.want {
				t.Errorf("%s: op %d allowed(%s, %s) at %v = %v, want %v", tc.name, i, o.user, o.addr, o.at, got, o.want)
			}
		}
	}
}

// TestLimiterCapsSprayAndSwarm: one address trying many names is paused at
// 10·max failures; one name tried from many addresses at 20·max.
func TestLimiterCapsSprayAndSwarm(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	l := newLimiter(3, 10*time.Minute)
	for i := range 30 { // 30 names, one failure each, from x
		l.fail(fmt.Sprint("user", i), "x", t0)
	}
	if l.allowed("user99", "x", t0.Add(time.Minute)) {
		t.Error("address x tried 30 names and may go on; want it paused at 30 (10·3)")
	}
	if !l.allowed("user99", "y", t0.Add(time.Minute)) {
		t.Error("address y is paused by x's spray")
	}
	for i := range 60 { // 60 addresses, one failure each, on ann
		l.fail("ann", fmt.Sprint("10.0.0.", i), t0)
	}
	if l.allowed("ann", "10.0.1.1", t0.Add(time.Minute)) {
		t.Error("ann was tried from 60 addresses and may be tried again; want her paused at 60 (20·3)")
	}
}

// TestClientAddressBehindTrustedProxies: X-Forwarded-For counts only when
// the peer is a trusted proxy, and then its right-most untrusted entry (the
// client cannot choose it by prepending addresses).
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	c := clientAddrs{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, tc := range []struct{ peer, xff, want string }{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"203.0.113.7:5000", "1.2.3.4", "203.0.113.7"},              // untrusted peer: header ignored
		{"10.1.2.3:5000", "198.51.100.9", "198.51.100.9"},           // one trusted proxy
		{"10.1.2.3:5000", "6.6.6.6, 198.51.100.9", "198.51.100.9"},  // the client prepended a lie
		{"10.1.2.3:5000", "198.51.100.9, 10.9.9.9", "198.51.100.9"}, // two proxies
		{"10.1.2.3:5000", "", "10.1.2.3"},
		{"[::1]:5000", "2001:db8::5", "2001:db8::5"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := c.of(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
