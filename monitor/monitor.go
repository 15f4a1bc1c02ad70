package monitor

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balance-pt/balance"
)

// Store is what monitoring needs of the time-series store: the raw samples
// of a session or a walk, and derived measurements in and out.
type Store interface {
	balance.SampleReader
	balance.MeasurementStore
}

// State is what monitoring needs of the state database (sqlite.StateDB).
type State interface {
	Patient(ctx context.Context, id string) (balance.Patient, error)
	Devices(ctx context.Context) ([]balance.Device, error)
	Statuses(ctx context.Context) ([]balance.DeviceStatus, error)
	Events(ctx context.Context, deviceID string, since time.Time) ([]balance.DeviceEvent, error)
	Watermarks(ctx context.Context) (map[string]int64, error)
	// Watermark is one device's saved watermark (0: none), read when a
	// device is taken over mid-stream (worker.resume).
	Watermark(ctx context.Context, deviceID string) (int64, error)
	SaveWatermarks(ctx context.Context, wm map[string]int64) error
	SaveExerciseSession(ctx context.Context, e balance.ExerciseSession) error
	ExerciseSession(ctx context.Context, id string) (balance.ExerciseSession, error)
	ExerciseSessions(ctx context.Context, patientID string, since time.Time) ([]balance.ExerciseSession, error)
	SaveRiskAssessment(ctx context.Context, r balance.RiskAssessment) error
	RiskAssessments(ctx context.Context, patientID string, since time.Time, limit int) ([]balance.RiskAssessment, error)
	// UprightAxes and SaveUprightAxis keep each device's upright axis
	// learned from walking across restarts (the fall detector's Up).
	UprightAxes(ctx context.Context) (map[string]balance.UprightAxis, error)
	UprightAxis(ctx context.Context, deviceID string) (balance.UprightAxis, error)
	SaveUprightAxis(ctx context.Context, deviceID string, a balance.UprightAxis) error
}

// Plans tells how many exercise sessions a week a patient's plan asks for;
// ok is false when the patient has no plan (Rules.SessionsPerWeek applies).
type Plans interface {
	SessionsPerWeek(ctx context.Context, patientID string) (perWeek float64, ok bool, err error)
}

// maxRetry bounds the alerts kept for retry while the sink refuses them.
const maxRetry = 10000

// Deps are the monitor's collaborators.
type Deps struct {
	Store Store
	State State
	// Sink receives alerts (nil: alerts are logged and retried until
	// one exists, which is never; only tests leave it out).
	Sink  balance.AlertSink
	Plans Plans // optional
	// Cutoffs are the cut-offs clinicians set per patient (optional:
	// the configuration's thresholds alone).
	Cutoffs balance.CutoffStore
	Log     *slog.Logger
	// Now is the wall clock (time.Now when nil).
	Now func() time.Time
	// CheckEvery is the period of the background checks (1 s when 0).
	CheckEvery time.Duration
}

// Stats counts the monitor's work; safe to read concurrently.
type Stats struct {
	// Dropped counts batches and DroppedEvents device events that found
	// their queue full (both are read back from storage later).
	Batches, Samples, Dropped, CatchUpSamples atomic.Int64
	DroppedEvents                             atomic.Int64
	// DroppedStored counts store notifications (OnStored) that found the
	// queue full: sessions analysed without those samples keep their
	// "incomplete" quality until a later batch covers them.
	DroppedStored atomic.Int64
	// LeftAtStop counts queued jobs Close left when its grace ran out.
	LeftAtStop atomic.Int64
	// Holes counts catch-up reads that failed (the store down or slow):
	// those intervals are re-read until they are analysed, and the saved
	// watermark stays before them meanwhile.
	Holes atomic.Int64
	// HolesAbandoned counts those given up after a day of failed reads.
	HolesAbandoned atomic.Int64
	// ReadBacksDeferred counts reads of missed samples (catch-up, late,
	// refill) that Config.ReadBackPerS did not allow when they were due:
	// their intervals are holes re-read when it allows (a hole waiting
	// for the limit is counted at each refill it is denied, and is never
	// given up for waiting).
	ReadBacksDeferred atomic.Int64
	// Read counts the samples read back from the store, by reason (see
	// ReadBack).
	Read readCounts
	// Waits counts batches OnBatch had to wait for queue room for (the
	// monitor slowing ingest rather than dropping).
	Waits atomic.Int64
	// LateBatches counts batches that arrived behind their device's stream.
	LateBatches atomic.Int64
	// Resumed counts devices taken up mid-stream whose earlier stored
	// samples the fall detector ran over again (another instance had them).
	Resumed                              atomic.Int64
	Falls, Sessions, GaitWindows, Alerts atomic.Int64
	// Resolved counts alerts resolved because their condition ended.
	Resolved                    atomic.Int64
	AlertErrors, AnalysisErrors atomic.Int64
	// SlowPending counts session and walk analyses queued or running in
	// the slow lane.
	SlowPending atomic.Int64
	// GaitFromStream counts the activity spans whose free-living gait was
	// analysed on the samples the worker kept as they arrived;
	// GaitReadBack those read back from the store instead (reason
	// readGait: the stream missed some of their samples, the device went
	// silent with the span open, or the span passed the buffer budget:
	// GaitOverBudget of them).
	GaitFromStream, GaitReadBack, GaitOverBudget atomic.Int64
	// SessionsFromStream counts the exercise session analyses done on the
	// samples the worker kept as they arrived (sessionbuf.go);
	// SessionsReadBack those that read the session back from the store
	// (reason readSession: its buffer was incomplete or over the budget,
	// the session was analysed early or again, or its start was found in
	// the stored events; SessionsOverBudget counts the sessions whose
	// buffer passed the budget or sessionBufMaxS).
	SessionsFromStream, SessionsReadBack, SessionsOverBudget atomic.Int64
	// GaitBufferBytes is the memory of the samples kept from the stream
	// now (a gauge; capacity reserved): activity spans and exercise
	// sessions being collected, and those waiting for or in their
	// analysis; at most Config.GaitBufferMB.
	GaitBufferBytes atomic.Int64
}

// job is one unit of work for a worker.
type job struct {
	batch  *balance.Batch
	stored *balance.Batch // a batch seen before, now readable from the store
	event  *balance.DeviceEvent
	tick   time.Time
	forget func(deviceID string) bool // devices whose state to drop (Forget)
}

// Monitor runs the per-patient monitoring.
type Monitor struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	stats Stats

	// bufBudget bounds Stats.GaitBufferBytes (bytes; Config.GaitBufferMB):
	// the samples kept from the stream for gait spans and sessions.
	bufBudget int64
	// readLimit limits the reads of missed samples (Config.ReadBackPerS).
	readLimit *readLimiter

	queues []chan job
	ticks  []chan time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	// The slow lane runs session and walk analyses (which may read the
	// store and take a while) so that the workers, and the falls they
	// detect, never wait for them.
	slow     chan func(context.Context)
	slowStop chan struct{}
	slowWG   sync.WaitGroup

	// runCtx is cancelled when Close's grace has passed: store reads still
	// running then are abandoned (what they would have analysed is analysed
	// after the restart, from the saved watermarks).
	runCtx    context.Context
	runCancel context.CancelFunc
	// drainBy is when Close stops handling queued work (unix ns; 0 while
	// running).
	drainBy atomic.Int64
	// StopGrace bounds Close: queued batches and analyses are handled for
	// this long at most, then left (their samples are read back after the
	// restart) [4s].
	StopGrace time.Duration
	// RefillEvery paces the re-reads of intervals a failed catch-up left
	// unanalysed [10s].
	RefillEvery time.Duration
	// BatchWait bounds how long OnBatch waits for room in a full queue
	// before it drops the batch to be read back later [2s].
	BatchWait time.Duration

	assessMu sync.Mutex
	mu       sync.Mutex
	sink     balance.AlertSink
	retry    []balance.Alert      // alerts the sink refused, retried
	resolves []resolution         // resolutions the sink refused, retried
	offline  map[string]string    // device -> its open offline alert (this run)
	riskDue  map[string]time.Time // patients whose risk must be re-assessed
	wm       map[string]int64     // watermarks not yet persisted
	lastSeen map[string]time.Time // wall time of each device's last batch
	raised   map[string]bool      // alert IDs raised in this run (periodic rules)
	behind   map[string]bool      // devices whose batches were dropped
	evBehind map[string]time.Time // earliest dropped event per device
	started  time.Time
}

// New returns a monitor for a validated configuration. Hooks may be called
// at once; work queues until Start.
func New(cfg Config, deps Deps) (*Monitor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = 1024
	}
	if cfg.GaitBufferMB == 0 {
		cfg.GaitBufferMB = DefaultGaitBufferMB
	}
	if cfg.ReadBackPerS == 0 {
		cfg.ReadBackPerS = DefaultReadBackPerS
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.CheckEvery <= 0 {
		deps.CheckEvery = time.Second
	}
	if deps.Store == nil || deps.State == nil {
		return nil, balance.Errorf(balance.EINVALID, "monitor: a store and a state database are required")
	}
	m := &Monitor{cfg: cfg, deps: deps, log: deps.Log, stop: make(chan struct{}), sink: deps.Sink,
		riskDue: map[string]time.Time{}, wm: map[string]int64{}, offline: map[string]string{}, lastSeen: map[string]time.Time{},
		raised: map[string]bool{}, behind: map[string]bool{}, evBehind: map[string]time.Time{},
		slow: make(chan func(context.Context), cfg.QueueLen), slowStop: make(chan struct{}), StopGrace: 4 * time.Second, BatchWait: 2 * time.Second, RefillEvery: 10 * time.Second}
	m.bufBudget = int64(cfg.GaitBufferMB * (1 << 20))
	m.readLimit = newReadLimiter(cfg.ReadBackPerS, deps.Log)
	m.runCtx, m.runCancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		m.queues = append(m.queues, make(chan job, cfg.QueueLen))
		m.ticks = append(m.ticks, make(chan time.Time, 1))
	}
	return m, nil
}

// Stats returns the monitor's counters.
func (m *Monitor) Stats() *Stats { return &m.stats }

// Config returns the configuration in use.
func (m *Monitor) Config() Config { return m.cfg }

func (m *Monitor) queueFor(patientID string) chan job {
	h := fnv.New32a()
	h.Write([]byte(patientID))
	return m.queues[h.Sum32()%uint32(len(m.queues))]
}

// OnBatch takes a durable batch (PatientID set), in the store or still in
// ingest's spool: falls are detected on it as it arrives, whatever the
// store does. Ingest hands over each device's batches in order, so the
// monitor analyses what ingest decoded without reading it back. When the
// patient's queue is full OnBatch waits up to BatchWait for room: ingest's
// writer, which calls it, then slows, and with it the broker (monitoring
// keeps pace with ingest instead of falling behind it). Only when the wait
// runs out is the batch counted as dropped and the device marked behind,
// so that its worker reads the missing samples back from the store.
func (m *Monitor) OnBatch(b *balance.Batch) {
	if b == nil || b.PatientID == "" || len(b.Samples) == 0 {
		return
	}
	m.mu.Lock()
	m.lastSeen[b.DeviceID] = m.deps.Now()
	m.mu.Unlock()
	q := m.queueFor(b.PatientID)
	select {
	case q <- job{batch: b}:
		return
	default:
	}
	m.stats.Waits.Add(1)
	wait := time.NewTimer(m.BatchWait)
	defer wait.Stop()
	select {
	case q <- job{batch: b}:
		return
	case <-wait.C:
	case <-m.stop:
	}
	m.stats.Dropped.Add(1)
	m.mu.Lock()
	first := !m.behind[b.DeviceID]
	m.behind[b.DeviceID] = true
	m.mu.Unlock()
	if first {
		m.log.Warn("monitor queue full: batch dropped; its samples are stored and will be read back", "device", b.DeviceID, "patient", b.PatientID, "waited", m.BatchWait)
	}
}

// Forget drops the in-memory state of the devices match selects, so that
// each resumes at its next batch from the watermark and upright axis saved
// in the state database (and the fall detector runs again over what was
// stored before it; see worker.resume). Call it when this instance takes
// over devices another instance was analysing (their ingest partition
// moved here): its own state for them is missing or stale. It waits for
// room in each worker's queue, so that every later batch of those devices
// finds their state dropped.
func (m *Monitor) Forget(match func(deviceID string) bool) {
	for _, q := range m.queues {
		select {
		case q <- job{forget: match}:
		case <-m.stop:
			return
		}
	}
}

// OnStored takes a batch OnBatch already took, once its samples are in the
// store (ingest replayed it from its spool): sessions analysed while they
// were missing are analysed again. It never blocks: a full queue drops the
// notification with a count and a log line.
func (m *Monitor) OnStored(b *balance.Batch) {
	if b == nil || b.PatientID == "" || len(b.Samples) == 0 {
		return
	}
	select {
	case m.queueFor(b.PatientID) <- job{stored: b}:
	default:
		if m.stats.DroppedStored.Add(1) == 1 {
			m.log.Warn("monitor queue full: a stored-batch notification was dropped; sessions it covers keep their incomplete analysis", "device", b.DeviceID, "patient", b.PatientID)
		}
	}
}

// OnEvent takes a stored device event (PatientID set). It never blocks: a
// full queue drops it with a log line, and the device's next analysed batch
// reads the dropped events back from the state database.
func (m *Monitor) OnEvent(e balance.DeviceEvent) {
	if e.PatientID == "" {
		return
	}
	select {
	case m.queueFor(e.PatientID) <- job{event: &e}:
	default:
		m.stats.DroppedEvents.Add(1)
		m.mu.Lock()
		if t, ok := m.evBehind[e.DeviceID]; !ok || e.Time.Before(t) {
			m.evBehind[e.DeviceID] = e.Time
		}
		m.mu.Unlock()
		m.log.Warn("monitor queue full: device event dropped; it is read back from the stored events", "device", e.DeviceID, "kind", e.Kind, "action", e.Action)
	}
}

// saveUp stores a device's upright axis in the slow lane (the worker never
// waits on the database for it).
func (m *Monitor) saveUp(device string, a balance.UprightAxis) {
	m.goSlow(func(ctx context.Context) { m.storeUp(ctx, device, a) })
}

// storeUp stores a device's upright axis; a failure is logged (the axis is
// then learned again at the next walk after a restart).
func (m *Monitor) storeUp(ctx context.Context, device string, a balance.UprightAxis) {
	if err := m.deps.State.SaveUprightAxis(ctx, device, a); err != nil {
		m.log.Warn("storing the learned upright axis failed; a restart forgets it until the next walk", "device", device, "err", err)
	}
}

// Start loads the watermarks and starts the workers and the checker.
func (m *Monitor) Start(ctx context.Context) error {
	wm, err := m.deps.State.Watermarks(ctx)
	if err != nil {
		return err
	}
	ups, err := m.deps.State.UprightAxes(ctx)
	if err != nil {
		return err
	}
	m.started = m.deps.Now()
	// Sessions whose events came while we were down (or whose analysis a
	// crash interrupted) are found again in the stored events of the last
	// day when each device's first batch arrives.
	if devs, err := m.deps.State.Devices(ctx); err == nil {
		m.mu.Lock()
		for _, d := range devs {
			if _, ok := m.evBehind[d.ID]; d.PatientID != "" && !ok {
				m.evBehind[d.ID] = m.started.Add(-24 * time.Hour)
			}
		}
		m.mu.Unlock()
	}
	for range m.cfg.Workers {
		m.slowWG.Add(1)
		go func() {
			defer m.slowWG.Done()
			m.slowLoop()
		}()
	}
	for i, q := range m.queues {
		w := newWorker(m, i, wm, ups)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			w.run(q, m.ticks[i])
		}()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.checkLoop()
	}()
	return nil
}

// Close stops the goroutines after they finish their current job and
// persists the watermarks.
func (m *Monitor) Close() error {
	m.once.Do(func() {
		m.drainBy.Store(time.Now().Add(m.StopGrace).UnixNano())
		abandon := time.AfterFunc(m.StopGrace, m.runCancel)
		defer abandon.Stop()
		close(m.stop)
		m.wg.Wait() // workers drain their queues until the grace has passed
		close(m.slowStop)
		m.slowWG.Wait()
		m.runCancel()
		// The workers freed their devices' buffers; analyses left in the
		// slow lane (LeftAtStop) never ran to release theirs. Nothing
		// holds a buffer any more.
		m.stats.GaitBufferBytes.Store(0)
		if n := m.stats.LeftAtStop.Load(); n > 0 {
			m.log.Warn("monitor stopped with work left; it is redone from the saved watermarks after the restart", "left", n, "grace", m.StopGrace)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return m.flushWatermarks(ctx)
}

// draining reports whether Close's grace still allows handling queued work.
func (m *Monitor) draining() bool {
	by := m.drainBy.Load()
	return by == 0 || time.Now().UnixNano() < by
}

func (m *Monitor) setWatermark(device string, t int64) {
	m.mu.Lock()
	if t > m.wm[device] {
		m.wm[device] = t
	}
	m.mu.Unlock()
}

func (m *Monitor) flushWatermarks(ctx context.Context) error {
	m.mu.Lock()
	wm := m.wm
	m.wm = map[string]int64{}
	m.mu.Unlock()
	if err := m.deps.State.SaveWatermarks(ctx, wm); err != nil {
		m.mu.Lock()
		for k, v := range wm {
			if v > m.wm[k] {
				m.wm[k] = v
			}
		}
		m.mu.Unlock()
		return err
	}
	return nil
}

// takeEventsBehind returns and clears the time of the device's earliest
// dropped event.
func (m *Monitor) takeEventsBehind(device string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.evBehind[device]
	delete(m.evBehind, device)
	return t, ok
}

// takeBehind reports and clears whether the device had batches dropped.
func (m *Monitor) takeBehind(device string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.behind[device]
	delete(m.behind, device)
	return b
}

// markRisk asks for the patient's risk to be re-assessed soon.
func (m *Monitor) markRisk(patientID string) {
	m.mu.Lock()
	if _, ok := m.riskDue[patientID]; !ok {
		m.riskDue[patientID] = m.deps.Now()
	}
	m.mu.Unlock()
}

// raise hands an alert to the sink; on failure it is kept and retried by
// the checker, so an alert is never lost while the process runs (and the
// evidence stays in the store for a re-analysis after a crash).
func (m *Monitor) raise(ctx context.Context, a balance.Alert) {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = m.deps.Now().UTC()
	}
	if a.Status == "" {
		a.Status = balance.AlertOpen
	}
	m.mu.Lock()
	sink := m.sink
	m.mu.Unlock()
	var err error
	if sink == nil {
		err = balance.Errorf(balance.EUNAVAILABLE, "no alert sink")
	} else {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = sink.Raise(rctx, a)
		cancel()
	}
	if err != nil {
		m.stats.AlertErrors.Add(1)
		m.log.Error("raising alert failed; will retry", "kind", a.Kind, "patient", a.PatientID, "id", a.ID, "err", err)
		m.mu.Lock()
		if len(m.retry) >= maxRetry {
			// Bounded: the oldest goes (its evidence stays in the store).
			m.log.Error("alert retry list full; dropping the oldest", "kind", m.retry[0].Kind, "patient", m.retry[0].PatientID, "id", m.retry[0].ID)
			m.retry = m.retry[1:]
		}
		m.retry = append(m.retry, a)
		m.mu.Unlock()
		return
	}
	m.stats.Alerts.Add(1)
	m.log.Info("alert raised", "kind", a.Kind, "severity", a.Severity, "patient", a.PatientID, "id", a.ID)
}

func (m *Monitor) retryAlerts(ctx context.Context) {
	m.mu.Lock()
	pending, resolves := m.retry, m.resolves
	m.retry, m.resolves = nil, nil
	m.mu.Unlock()
	for _, a := range pending {
		m.raise(ctx, a)
	}
	for _, r := range resolves { // after the raises they may follow
		m.resolve(ctx, r.id, r.reason)
	}
}

// resolution is an alert to resolve and why.
type resolution struct{ id, reason string }

// resolve tells the sink that an alert's condition ended; a failure is
// retried with the alerts.
func (m *Monitor) resolve(ctx context.Context, id, reason string) {
	m.mu.Lock()
	sink := m.sink
	m.mu.Unlock()
	var err error = balance.Errorf(balance.EUNAVAILABLE, "no alert sink")
	if sink != nil {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = sink.Resolve(rctx, id, reason)
		cancel()
	}
	if err != nil {
		m.stats.AlertErrors.Add(1)
		m.log.Error("resolving alert failed; will retry", "id", id, "err", err)
		m.mu.Lock()
		if len(m.resolves) < maxRetry {
			m.resolves = append(m.resolves, resolution{id, reason})
		}
		m.mu.Unlock()
		return
	}
	m.stats.Resolved.Add(1)
}

// goSlow queues an analysis in the slow lane; when the lane is full (or not
// started) the caller runs it itself, which slows only its own patients.
func (m *Monitor) goSlow(f func(context.Context)) {
	m.stats.SlowPending.Add(1)
	select {
	case m.slow <- f:
	default:
		f(m.runCtx)
		m.stats.SlowPending.Add(-1)
	}
}

func (m *Monitor) slowLoop() {
	ctx := m.runCtx
	for {
		select {
		case f := <-m.slow:
			f(ctx)
			m.stats.SlowPending.Add(-1)
		case <-m.slowStop:
			for {
				select {
				case f := <-m.slow:
					if m.draining() {
						f(ctx)
					} else {
						// Sessions are found again in the stored events
						// after the restart.
						m.stats.LeftAtStop.Add(1)
					}
					m.stats.SlowPending.Add(-1)
				default:
					return
				}
			}
		}
	}
}
