package progression

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// Scheduler runs a Service's evaluations: after each exercise session stops
// (at SessionDelays, giving monitoring time to store the measured session)
// and a sweep of every plan every EvaluateEvery (falls, risk changes).
type Scheduler struct {
	svc           *Service
	evaluateEvery time.Duration
	sessionDelays []time.Duration
	log           *slog.Logger

	mu  sync.Mutex
	due map[string][]time.Time // patient -> evaluations due

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewScheduler returns a scheduler for svc; evaluateEvery must be positive.
func NewScheduler(svc *Service, evaluateEvery time.Duration, sessionDelays []time.Duration) *Scheduler {
	return &Scheduler{svc: svc, evaluateEvery: evaluateEvery, sessionDelays: sessionDelays, log: svc.log(), due: map[string][]time.Time{}}
}

// OnEvent schedules evaluations after an exercise session stops. It never
// blocks (ingest calls it for every device event).
func (c *Scheduler) OnEvent(e balance.DeviceEvent) {
	if e.Action != "stop" || e.PatientID == "" || (e.Kind != balance.SessionExercise && e.Kind != "") {
		return
	}
	now := time.Now()
	c.mu.Lock()
	for _, d := range c.sessionDelays {
		c.due[e.PatientID] = append(c.due[e.PatientID], now.Add(d))
	}
	c.mu.Unlock()
}

// Start starts the evaluation loop; Close stops it.
func (c *Scheduler) Start() {
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.run(c.stop, c.done)
}

// run evaluates patients whose evaluations are due (checked every second)
// and sweeps every plan every evaluateEvery.
func (c *Scheduler) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sweep := time.NewTicker(c.evaluateEvery)
	defer sweep.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	for {
		select {
		case <-stop:
			return
		case <-sweep.C:
			if _, err := c.svc.EvaluateAll(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("progression sweep", "err", err)
			}
		case now := <-tick.C:
			for _, id := range c.takeDue(now) {
				if _, _, err := c.svc.Evaluate(ctx, id); err != nil && balance.ErrorCode(err) != balance.ENOTFOUND && ctx.Err() == nil {
					c.log.Warn("progression evaluation", "patient", id, "err", err)
				}
			}
		}
	}
}

// takeDue removes and returns the patients with an evaluation due by now.
func (c *Scheduler) takeDue(now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for id, ts := range c.due {
		rest := ts[:0]
		fire := false
		for _, t := range ts {
			if !t.After(now) {
				fire = true
			} else {
				rest = append(rest, t)
			}
		}
		if fire {
			ids = append(ids, id)
		}
		if len(rest) == 0 {
			delete(c.due, id)
		} else {
			c.due[id] = rest
		}
	}
	return ids
}

// Pending returns how many patients have an evaluation due.
func (c *Scheduler) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.due)
}

// Close stops the evaluation loop and waits for it.
func (c *Scheduler) Close() error {
	c.closeOnce.Do(func() {
		if c.stop != nil {
			close(c.stop)
			<-c.done
		}
	})
	return nil
}
