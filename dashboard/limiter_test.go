package dashboard

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	type op struct {
		user, addr string
		at         time.Duration // after t0
		fail       bool          // record a failure; else check allowed
		want       bool          // for checks
	}
	for _, tc := range []struct {
		name string
		ops  []op
	}{
		{"three failures pause the name", []op{
			{"ann", "a1", 0, true, false}, {"ann", "a2", time.Second, true, false}, {"ann", "a3", 2 * time.Second, true, false},
			{"ann", "a4", 3 * time.Second, false, false}, // name paused from any address
			{"bob", "a4", 3 * time.Second, false, true},  // others are not
		}},
		{"three failures pause the address", []op{
			{"u1", "x", 0, true, false}, {"u2", "x", 0, true, false}, {"u3", "x", 0, true, false},
			{"u4", "x", time.Second, false, false},
			{"u4", "y", time.Second, false, true},
		}},
		{"the window passes", []op{
			{"ann", "a", 0, true, false}, {"ann", "a", time.Minute, true, false}, {"ann", "a", 2 * time.Minute, true, false},
			{"ann", "a", 9 * time.Minute, false, false},
			{"ann", "a", 10 * time.Minute, false, true}, // 10 min after the first failure
		}},
		{"two failures do not pause", []op{
			{"ann", "a", 0, true, false}, {"ann", "a", 0, true, false}, {"ann", "a", time.Second, false, true},
		}},
	} {
		l := newLimiter(3, 10*time.Minute)
		for i, o := range tc.ops {
			if o.fail {
				l.fail(o.user, o.addr, t0.Add(o.at))
				continue
			}
			if got := l.allowed(o.user, o.addr, t0.Add(o.at)); got != o.want {
				t.Errorf("%s: op %d allowed(%s, %s) = %v, want %v", tc.name, i, o.user, o.addr, got, o.want)
			}
		}
	}
}
