package alerts

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAckLinks(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	l := AckLinks{Key: []byte("0123456789abcdef0123456789abcdef")}
	link := l.Link("fall-1", "family", t0)
	u, err := url.Parse(link)
	if err != nil || u.Path != "/ack/fall-1" {
		t.Fatalf("link %q (%v)", link, err)
	}
	q := u.Query()
	if who, err := l.Check("fall-1", q, t0.Add(23*time.Hour)); err != nil || who != "family" {
		t.Fatalf("Check of a fresh link = %q, %v", who, err)
	}
	tamper := func(k, v string) url.Values {
		c := url.Values{}
		for kk, vv := range q {
			c[kk] = append([]string(nil), vv...)
		}
		c.Set(k, v)
		return c
	}
	for _, tc := range []struct {
		name, alert string
		q           url.Values
		at          time.Duration
		want        string
	}{
		{"expired", "fall-1", q, 24*time.Hour + time.Second, "expired"},
		{"another alert", "fall-2", q, 0, "not valid"},
		{"another recipient", "fall-1", tamper("r", "stranger"), 0, "not valid"},
		{"a later expiry", "fall-1", tamper("exp", "99999999999"), 0, "not valid"},
		{"forged signature", "fall-1", tamper("sig", strings.Repeat("A", 43)), 0, "not valid"},
		{"no signature", "fall-1", tamper("sig", ""), 0, "incomplete"},
	} {
		if _, err := l.Check(tc.alert, tc.q, t0.Add(tc.at)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	other := AckLinks{Key: []byte("another key of thirty-two bytes!")}
	if _, err := other.Check("fall-1", q, t0); err == nil {
		t.Error("a link signed with another installation's key was accepted")
	}
	if (AckLinks{}).Link("fall-1", "family", t0) != "" {
		t.Error("a link made without a key")
	}
}
