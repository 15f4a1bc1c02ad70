package monitor

import (
	"log/slog"
	"math"
	"time"

	"golang.org/x/time/rate"

	"github.com/balance-pt/balance/internal/ratelog"
)

// DefaultReadBackPerS is the default Config.ReadBackPerS (samples/s): 200,000,
// above the ~150,000 samples/s a 2-core node's influxd was measured to
// sustain for writes, so that after a restart the catch-ups of a fleet
// (2,000 devices × up to catchUpMax = 60,000 samples at 100 Hz each) are
// spread over some ten minutes instead of being asked for at once, while
// a single device's catch-up (one bucket's burst holds three) and the
// read-backs of normal running (a late batch's 11 s, dropped batches now
// and then) are read at once. Lower it when the store also has to clear a
// backlog of writes on a smaller node.
const DefaultReadBackPerS = 200_000

// maxReadBackPerS bounds Config.ReadBackPerS (samples/s): beyond it the
// limit does not limit anything a store can serve.
const maxReadBackPerS = 1e9

// readBackMinBurst is the least burst of the read-back limit (samples): one
// catchUpMax interval at 100 Hz, so that one device's catch-up always fits
// in a full bucket.
const readBackMinBurst = int(catchUpMax/time.Second) * 100

// readLimiter is the Monitor-wide token bucket (samples/s) of the reads of
// missed samples: catch-ups (readCatchUp), a late batch's surroundings
// (readLate) and re-reads of holes (readRefill). It never blocks: a worker
// takes a read's estimated samples with AllowN before the read, and when
// the bucket is short it does not read but leaves the interval as a hole
// (deviceState.addHole), which refill re-reads under the same limit every
// Monitor.RefillEvery, so that falls in the batches that follow are never
// kept waiting behind the limit. Resume reads (worker.resume: 20 s to
// 2 min priming a taken-over device's fall detector) and session and gait
// reads (by design, on the slow goroutine) are not limited: they are small
// or keep no worker waiting.
type readLimiter struct {
	lim   *rate.Limiter
	burst int
	log   *ratelog.Logger // a line at most every readLimitLogEvery
}

// readLimitLogEvery paces the log line about deferred read-backs.
const readLimitLogEvery = time.Minute

// newReadLimiter returns the limit of perS samples/s (> 0, finite); its
// burst is the larger of readBackMinBurst and one second at the limit, and
// the bucket starts full. Deferrals are logged to log.
func newReadLimiter(perS float64, log *slog.Logger) *readLimiter {
	burst := max(readBackMinBurst, int(math.Ceil(perS)))
	return &readLimiter{lim: rate.NewLimiter(rate.Limit(perS), burst), burst: burst, log: ratelog.New(log, readLimitLogEvery)}
}

// estimate returns the samples a read of [from, to) (device ns) at fs Hz
// is expected to return: (to − from) × fs, at least 1 and at most the
// burst (a larger read, of a device faster than 100 Hz or of merged holes,
// takes the whole bucket rather than never being allowed).
func (l *readLimiter) estimate(from, to int64, fs float64) int {
	n := math.Ceil(float64(to-from) / 1e9 * fs)
	if !(n >= 1) { // also NaN
		return 1
	}
	return int(min(n, float64(l.burst)))
}

// allowRead reports whether a read of device d's missed samples in
// [from, to) (device ns) for reason why may run now, taking its estimated
// samples from the Monitor's bucket. When it may not, the deferral is
// counted (Stats.ReadBacksDeferred) and logged at most once a minute for
// the whole Monitor (with the count of the others), and the caller leaves the interval as a hole.
func (w *worker) allowRead(d *deviceState, why readReason, from, to int64) bool {
	l := w.m.readLimit
	n := l.estimate(from, to, d.rate)
	if l.lim.AllowN(time.Now(), n) {
		return true
	}
	w.m.stats.ReadBacksDeferred.Add(1)
	l.log.Warn(time.Now(), "read-back-deferred", "monitor: read-backs of missed samples deferred by monitoring.read_back_samples_per_s; the intervals are re-read as holes when the limit allows",
		"device", d.id, "reason", readReasonNames[why], "samples", n, "limit_per_s", float64(l.lim.Limit()), "burst", l.burst)
	return false
}
