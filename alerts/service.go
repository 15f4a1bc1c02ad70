package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// Service is the alerting subsystem: the balance.AlertSink that monitoring
// raises alerts into, and the dispatcher that delivers them.
type Service struct {
	cfg       Config
	store     Store
	notifiers map[string]Notifier
	log       *slog.Logger
	metrics   *Metrics
	links     AckLinks
	contexts  Contexts

	// Now returns the current time; tests may replace it before Start.
	Now func() time.Time
	// Rand returns a uniform number in [0, 1) for the backoff jitter.
	Rand func() float64

	// Grace is how long Close lets running attempts finish before
	// interrupting them [5s].
	Grace time.Duration

	wake          chan struct{}
	freed         chan struct{}
	cancel        context.CancelFunc
	cancelAttempt context.CancelFunc
	done          chan struct{}
	workers       sync.WaitGroup
	mu            sync.Mutex
	busy          int
	busyFor       map[string]int // running deliveries by recipient
}

var _ balance.AlertSink = (*Service)(nil)

// Options are the Service's dependencies.
type Options struct {
	// Notifiers by channel (ChannelEmail, ChannelWebhook).
	Notifiers map[string]Notifier
	Logger    *slog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// AckLinks signs one-click acknowledgement links in notifications
	// (no key: none).
	AckLinks AckLinks
	// Contexts looks up the patient and the clinic's time zone for the
	// who / when / what-to-do of notifications.
	Contexts Contexts
}

// New returns a Service for a validated configuration. Every channel a
// recipient uses must have a notifier.
func New(cfg Config, store Store, opt Options) (*Service, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	for _, r := range cfg.Recipients {
		if opt.Notifiers[r.Channel()] == nil {
			return nil, fmt.Errorf("alerts: recipient %s uses channel %s, which has no notifier", r.Name, r.Channel())
		}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		cfg: cfg, store: store, notifiers: opt.Notifiers, log: opt.Logger, metrics: opt.Metrics, links: opt.AckLinks, contexts: opt.Contexts,
		Now: time.Now, Rand: rand.Float64, Grace: 5 * time.Second,
		wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), busyFor: map[string]int{},
	}, nil
}

// Config returns the configuration in use (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// Raise implements balance.AlertSink: it validates the alert, stores it and
// its deliveries in one transaction and wakes the dispatcher. Raising an ID
// again changes nothing. It returns once the alert is durable; it never
// waits for a delivery.
func (s *Service) Raise(ctx context.Context, a balance.Alert) error {
	if err := validateAlert(&a); err != nil {
		return err
	}
	now := s.Now()
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now
	}
	if a.Status == "" {
		a.Status = balance.AlertOpen
	}
	ds := s.cfg.Plan(&a, now)
	silenced, err := s.silenced(ctx, a, now)
	if err != nil {
		return fmt.Errorf("alerts: raise %s: %w", a.ID, err)
	}
	if silenced != nil {
		ds = nil // stored and shown, not sent
	}
	res, err := s.store.Enqueue(ctx, a, ds, now)
	if err != nil {
		return fmt.Errorf("alerts: raise %s: %w", a.ID, err)
	}
	if !res.Created {
		return nil
	}
	s.metrics.raised(&a)
	for _, g := range res.Grouped {
		s.metrics.groupedAlert(&a, g.Reason)
		if g.Reason == ReasonInitial {
			s.log.Info("alert folded into its group's follow-up notice", "alert", a.ID, "kind", a.Kind, "patient", a.PatientID, "group", a.GroupKey,
				"recipient", g.Recipient, "delivery", g.Into, "joined", g.Joined, "due", g.Due)
		} else {
			s.log.Debug("alert joined its group's pending delivery", "alert", a.ID, "group", a.GroupKey,
				"recipient", g.Recipient, "reason", g.Reason, "level", g.Level, "delivery", g.Into, "due", g.Due)
		}
	}
	if silenced != nil {
		s.log.Info("alert silenced: stored, not sent", "alert", a.ID, "kind", a.Kind, "patient", a.PatientID,
			"silence", silenced.ID, "until", silenced.EndsAt, "reason", silenced.Reason)
		return nil
	}
	if len(ds) == 0 {
		s.metrics.unroutedAlert(&a)
		s.log.Warn("alert matches no recipient; stored but not notified", "alert", a.ID, "kind", a.Kind, "severity", a.Severity, "patient", a.PatientID)
	}
	s.Wake()
	return nil
}

// Resolve implements balance.AlertSink: the alert's condition ended (reason
// says how). Its repeats and escalations stop, and every recipient who was
// told gets a resolved notice.
func (s *Service) Resolve(ctx context.Context, id, reason string) error {
	a, changed, err := s.store.Resolve(ctx, id, reason, s.Now(), s.cfg.Retry.GiveUpAfter)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		return nil // never raised (e.g. below the alerting threshold): nothing to resolve
	}
	if err != nil {
		return fmt.Errorf("alerts: resolve %s: %w", id, err)
	}
	if changed {
		s.log.Info("alert resolved", "alert", a.ID, "kind", a.Kind, "patient", a.PatientID, "reason", reason)
		s.Wake()
	}
	return nil
}

// silenced returns the silence covering a at now, if any.
func (s *Service) silenced(ctx context.Context, a balance.Alert, now time.Time) (*balance.Silence, error) {
	sls, err := s.store.Silences(ctx, a.PatientID, now)
	if err != nil {
		return nil, err
	}
	for i := range sls {
		if sls[i].Silences(a, now) {
			return &sls[i], nil
		}
	}
	return nil, nil
}

func validateAlert(a *balance.Alert) error {
	switch {
	case a.ID == "" || len(a.ID) > 200:
		return balance.Errorf(balance.EINVALID, "alert id must have 1 to 200 characters")
	case a.Kind == "":
		return balance.Errorf(balance.EINVALID, "alert %s has no kind", a.ID)
	case !slices.Contains(severities, a.Severity):
		return balance.Errorf(balance.EINVALID, "alert %s: unknown severity %q", a.ID, a.Severity)
	case a.PatientID == "":
		return balance.Errorf(balance.EINVALID, "alert %s has no patient", a.ID)
	case a.Status != "" && a.Status != balance.AlertOpen:
		return balance.Errorf(balance.EINVALID, "alert %s: a new alert must be open, not %q", a.ID, a.Status)
	}
	return nil
}

// Ack acknowledges an alert: it stops its repeats and escalations. Acking an
// acknowledged alert returns it unchanged.
func (s *Service) Ack(ctx context.Context, id, by string) (balance.Alert, error) {
	by = balance.Actor(ctx, by) // the logged-in user, whatever the request claims
	if by == "" || len(by) > 200 {
		return balance.Alert{}, balance.Errorf(balance.EINVALID, `"by" must name who acknowledges (1 to 200 characters)`)
	}
	return s.store.Ack(ctx, id, by, s.Now())
}

// Wake makes the dispatcher look for due deliveries now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start recovers deliveries interrupted by an earlier stop or crash and
// starts the dispatcher.
func (s *Service) Start(ctx context.Context) error {
	n, err := s.store.Recover(ctx, s.Now())
	if err != nil {
		return fmt.Errorf("alerts: recover interrupted deliveries: %w", err)
	}
	if n > 0 {
		s.log.Info("resuming deliveries interrupted by the last stop", "deliveries", n)
	}
	base := context.WithoutCancel(ctx)
	var loop, attempts context.Context
	loop, s.cancel = context.WithCancel(base)
	attempts, s.cancelAttempt = context.WithCancel(base)
	s.done = make(chan struct{})
	go s.run(loop, attempts)
	return nil
}

// Close stops claiming deliveries, lets running attempts finish for up to
// Grace, then interrupts the rest; those are logged as interrupted and run
// again after the next Start.
func (s *Service) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	<-s.done
	idle := make(chan struct{})
	go func() { s.workers.Wait(); close(idle) }()
	t := time.NewTimer(s.Grace)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		s.log.Warn("interrupting deliveries still running at shutdown", "grace", s.Grace)
	}
	s.cancelAttempt()
	<-idle
	return nil
}
