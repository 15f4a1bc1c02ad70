package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// deviceCache resolves device ids to their registry entry with a short TTL,
// so that the message path does not query the state database per message.
type deviceCache struct {
	reg          balance.Registry
	ttl          time.Duration
	selfRegister bool
	now          func() time.Time

	mu      sync.Mutex
	entries map[string]cacheEntry
	// gens counts invalidations per id: a lookup that raced with a bind
	// or unbind does not cache what it read before.
	gens map[string]uint64
}

type cacheEntry struct {
	dev     balance.Device
	err     error
	expires time.Time
}

func newDeviceCache(reg balance.Registry, ttl time.Duration, selfRegister bool, now func() time.Time) *deviceCache {
	return &deviceCache{reg: reg, ttl: ttl, selfRegister: selfRegister, now: now, entries: map[string]cacheEntry{}, gens: map[string]uint64{}}
}

func (c *deviceCache) invalidate(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.gens[id]++
	c.mu.Unlock()
}

// lookup returns the device or an ENOTFOUND error (cached too, so that a
// flood from an unknown device costs one query per TTL).
func (c *deviceCache) lookup(ctx context.Context, id string) (balance.Device, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[id]
	gen := c.gens[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.dev, e.err
	}
	dev, err := c.reg.Device(ctx, id)
	if balance.ErrorCode(err) == balance.ENOTFOUND && c.selfRegister {
		dev, err = c.register(ctx, id)
	}
	if err != nil && balance.ErrorCode(err) != balance.ENOTFOUND {
		return dev, err // do not cache failures of the database itself
	}
	c.mu.Lock()
	if len(c.entries) > 100000 {
		c.entries = map[string]cacheEntry{}
	}
	if c.gens[id] == gen {
		c.entries[id] = cacheEntry{dev: dev, err: err, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return dev, err
}

// register creates a device and a patient of its own (embedded demo only).
func (c *deviceCache) register(ctx context.Context, id string) (balance.Device, error) {
	if err := balance.ValidateDeviceID(id); err != nil {
		return balance.Device{}, err
	}
	pid := "p-" + id
	if len(pid) > 64 {
		pid = pid[:64]
	}
	if err := c.reg.CreatePatient(ctx, balance.Patient{ID: pid, Name: "Demo patient (" + id + ")", Neuropathy: true}); err != nil {
		return balance.Device{}, err
	}
	if err := c.reg.RegisterDevice(ctx, balance.Device{ID: id, PatientID: pid, SelfRegistered: true}); err != nil {
		return balance.Device{}, err
	}
	return c.reg.Device(ctx, id)
}
