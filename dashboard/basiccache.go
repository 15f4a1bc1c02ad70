package dashboard

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// basicTTL is how long a verified Basic-auth credential is trusted without
// bcrypt again. bcrypt at cost 10 takes 70-110 ms here: checked on every
// request it made each API call that slow and let anyone load the server by
// sending requests. A changed password or role takes effect after at most
// this long for clients already using the old one.
const basicTTL = time.Minute

// basicCache remembers credentials verified recently, keyed by a hash of
// user name and password (the password itself is not kept).
type basicCache struct {
	mu sync.Mutex
	m  map[[32]byte]basicEntry
}

type basicEntry struct {
	user  balance.User
	until time.Time
}

func basicKey(name, password string) [32]byte {
	return sha256.Sum256([]byte(name + "\x00" + password))
}

// get returns the user of a credential verified within basicTTL.
func (c *basicCache) get(name, password string, now time.Time) (balance.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[basicKey(name, password)]
	if !ok || now.After(e.until) {
		return balance.User{}, false
	}
	return e.user, true
}

// put remembers a verified credential.
func (c *basicCache) put(name, password string, u balance.User, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10000 { // bounded: start over rather than grow
		c.m = map[[32]byte]basicEntry{}
	}
	c.m[basicKey(name, password)] = basicEntry{user: u, until: now.Add(basicTTL)}
}

// forget drops every remembered credential of a user (disabled, or given a
// new password), so that it stops working at once.
func (c *basicCache) forget(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.user.Username == username {
			delete(c.m, k)
		}
	}
}
