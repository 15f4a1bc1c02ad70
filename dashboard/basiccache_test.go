package dashboard

import (
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// TestBasicCache: a verified credential is trusted for basicTTL, only with
// the same password, and the cache stays bounded.
func TestBasicCache(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	var c basicCache
	u := balance.User{ID: 1, Username: "ann", Role: balance.RoleTherapist}
	c.put("ann", "right password", u, t0)
	for _, tc := range []struct {
		name, pw string
		at       time.Duration
		want     bool
	}{
		{"ann", "right password", 0, true},
		{"ann", "right password", basicTTL, true},
		{"ann", "right password", basicTTL + time.Second, false},
		{"ann", "wrong password", 0, false},
		{"bob", "right password", 0, false},
		{"ann\x00right", " password", 0, false},
	} {
		got, ok := c.get(tc.name, tc.pw, t0.Add(tc.at))
		if ok != tc.want || (ok && got != u) {
			t.Errorf("get(%q, %q) at +%v = %v %v, want %v", tc.name, tc.pw, tc.at, got, ok, tc.want)
		}
	}
	for i := range 20000 {
		c.put(string(rune('a'+i%26))+time.Duration(i).String(), "pw", u, t0)
	}
	if n := len(c.m); n > 10000 {
		t.Errorf("cache holds %d entries, want at most 10000", n)
	}
}
