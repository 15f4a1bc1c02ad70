package wire

import "time"

// Limits bound what a Decoder accepts. A zero field means its default.
type Limits struct {
	// MaxPayloadBytes is the largest payload parsed at all (balance.ETOOLARGE).
	MaxPayloadBytes int
	// MaxPast and MaxFuture bound sample times relative to the receive time
	// (balance.ECLOCK).
	MaxPast, MaxFuture time.Duration
}

// Default limits: 1 MiB holds a full balance.MaxBatchSize batch in any
// encoding; 30 days of past lets a device upload what it buffered while
// offline; 5 minutes of future tolerates clock skew but not a wrong epoch.
const (
	DefaultMaxPayloadBytes = 1 << 20
	DefaultMaxPast         = 30 * 24 * time.Hour
	DefaultMaxFuture       = 5 * time.Minute
)

// DefaultLimits returns the limits used by the system: 1 MiB, 30 days, 5 min.
func DefaultLimits() Limits {
	return Limits{MaxPayloadBytes: DefaultMaxPayloadBytes, MaxPast: DefaultMaxPast, MaxFuture: DefaultMaxFuture}
}

// WithDefaults returns l with zero fields replaced by their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxPayloadBytes <= 0 {
		l.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if l.MaxPast <= 0 {
		l.MaxPast = DefaultMaxPast
	}
	if l.MaxFuture <= 0 {
		l.MaxFuture = DefaultMaxFuture
	}
	return l
}
