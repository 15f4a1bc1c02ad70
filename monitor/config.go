package monitor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balance-pt/balance"
)

// Config is the monitoring configuration: the clinic's rules, with
// per-patient overrides.
type Config struct {
	// Clinic holds the rules every patient gets.
	Clinic Rules
	// Patients overrides the clinic's rules for some patients (the whole
	// Rules value, usually the clinic's with a few fields changed).
	Patients map[string]Rules
	// QueueLen bounds each worker's queue of batches and events (1024 when 0).
	QueueLen int
	// Workers is the number of analysis goroutines (2 when 0).
	Workers int
	// GaitBufferMB is the monitor's sample buffer budget (MiB, fractions
	// allowed; YAML monitoring.gait_buffer_mb, its name from when only
	// gait used it): the memory of the samples the monitor keeps as they
	// arrive instead of reading them back from the store, for free-living
	// gait (each open activity span's samples, with 2 s of context on each
	// side) and for exercise sessions (each open or stopped session's
	// samples), until their analysis is done. Counted by the capacity
	// reserved (56 bytes a sample, up to 1.5 times the samples held:
	// 3.2-4.8 MiB for a span of gaitMaxS = 10 min at 100 Hz, about 0.2 MiB
	// for a 30-s walk or sway test). One budget for both: they are the
	// same memory, sized by the same operator question (how many devices
	// walk or exercise at once). A span or session that would pass it is
	// read back from the store when it ends, as are those whose samples
	// the stream missed (balance_monitor_gait_spans_total and
	// balance_monitor_sessions_total{source="read_back"}). Besides it each
	// device keeps its last 3 s (about 19 KB at 100 Hz).
	// DefaultGaitBufferMB when 0; 0..65536.
	GaitBufferMB float64
	// ReadBackPerS limits the reads of missed samples back from the store
	// (catch-ups after dropped batches or a restart, a late batch's
	// surroundings, re-reads of holes), in samples/s over the whole
	// Monitor, with a burst of max(60,000, ReadBackPerS) samples (one
	// catchUpMax interval at 100 Hz, or one second at the limit). A read
	// the limit does not allow now is not waited for: its interval is left
	// as a hole and re-read when the limit allows
	// (balance_monitor_read_backs_deferred_total), so live fall detection
	// never waits on it. Resume, session and gait reads are not limited
	// (readLimiter). DefaultReadBackPerS (200,000: see there) when 0;
	// otherwise > 0, finite, at most 1e9.
	ReadBackPerS float64
}

// DefaultGaitBufferMB is the default Config.GaitBufferMB: at 100 Hz, over a
// dozen spans of gaitMaxS at once, or some 300 walks or sway tests of 30 s.
const DefaultGaitBufferMB = 64

// RulesFor returns the rules of a patient.
func (c *Config) RulesFor(patientID string) Rules {
	if r, ok := c.Patients[patientID]; ok {
		return r
	}
	return c.Clinic
}

// Rules are the alert rules and risk thresholds of a clinic or patient.
type Rules struct {
	// NoMovementAfter is how long a fallen patient may lie without moving
	// before the fall alert is escalated (default 60 s).
	NoMovementAfter time.Duration `yaml:"no_movement_after"`
	// RiskRose raises an alert when the risk level rises (default true).
	RiskRose bool `yaml:"risk_rose"`
	// TrendWindow is the span compared by the trend rule: the mean gait
	// speed of its second half against its first (default 336h, two weeks).
	TrendWindow time.Duration `yaml:"trend_window"`
	// TrendMinBouts is the least number of walking bouts (> 10 s, with a
	// speed) in each half for the trend rule to judge (default 5).
	TrendMinBouts int `yaml:"trend_min_bouts"`
	// TrendGaitSpeedMDC is the minimal detectable change of gait speed
	// (m/s) the trend rule needs to see lost (default 0.1: substantial
	// meaningful change, Perera 2006; real-world sensor error 0.09-0.13 m/s,
	// Kirk 2024).
	TrendGaitSpeedMDC float64 `yaml:"trend_gait_speed_mdc_mps"`
	// ExpectedHours is when the device should be worn, "HH:MM-HH:MM" in
	// TimeZone (default "08:00-20:00").
	ExpectedHours string `yaml:"expected_hours"`
	// TimeZone is an IANA zone name (default "UTC").
	TimeZone string `yaml:"time_zone"`
	// OfflineAfter is how long a device may be offline or silent during
	// expected hours before an alert (default 30m; 0 in YAML keeps it).
	OfflineAfter time.Duration `yaml:"offline_after"`
	// NotWornAfter is how long a device may send only motionless data
	// during expected hours before a "not worn" alert (default 60m).
	NotWornAfter time.Duration `yaml:"not_worn_after"`
	// NotWornStd is the |acc| SD (m/s², per 1 s block) a worn device
	// exceeds at least once per NotWornAfter: body micro-motion (breathing,
	// posture shifts) against the sensor's noise floor (default 0.02; set it
	// between the device's noise and a seated wearer's micro-motion).
	NotWornStd float64 `yaml:"not_worn_std_mps2"`
	// SessionsPerWeek is the planned number of exercise sessions per week
	// when the patient has no plan (default 3, the Otago programme).
	SessionsPerWeek float64 `yaml:"sessions_per_week"`
	// MissedFraction: an alert when fewer than this fraction of the planned
	// sessions were done in the last 7 days (default 0.5).
	MissedFraction float64 `yaml:"missed_fraction"`
	// Thresholds apply to patients without neuropathy, NeuropathyThresholds
	// to those with it (Patient.Neuropathy).
	Thresholds           balance.Thresholds `yaml:"thresholds"`
	NeuropathyThresholds balance.Thresholds `yaml:"neuropathy_thresholds"`
}

// DefaultRules returns the clinic defaults documented in docs/monitoring.md.
func DefaultRules() Rules {
	return Rules{
		NoMovementAfter:      60 * time.Second,
		RiskRose:             true,
		TrendWindow:          14 * 24 * time.Hour,
		TrendMinBouts:        5,
		TrendGaitSpeedMDC:    0.1,
		NotWornStd:           0.02,
		ExpectedHours:        "08:00-20:00",
		TimeZone:             "UTC",
		OfflineAfter:         30 * time.Minute,
		NotWornAfter:         60 * time.Minute,
		SessionsPerWeek:      3,
		MissedFraction:       0.5,
		Thresholds:           balance.StandardThresholds(),
		NeuropathyThresholds: balance.NeuropathyThresholds(),
	}
}

// DefaultConfig returns the configuration with the clinic defaults.
func DefaultConfig() Config {
	return Config{Clinic: DefaultRules(), QueueLen: 1024, Workers: 2, GaitBufferMB: DefaultGaitBufferMB, ReadBackPerS: DefaultReadBackPerS}
}

// ThresholdsFor picks the thresholds for a patient.
func (r Rules) ThresholdsFor(neuropathy bool) balance.Thresholds {
	if neuropathy {
		return r.NeuropathyThresholds
	}
	return r.Thresholds
}

// Validate reports every unusable setting, each with its key prefixed by
// prefix (e.g. "monitoring.clinic").
func (r Rules) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	if r.NoMovementAfter < 5*time.Second || r.NoMovementAfter > 30*time.Minute {
		bad("no_movement_after", "%v must be 5s..30m", r.NoMovementAfter)
	}
	if r.TrendWindow < 2*24*time.Hour || r.TrendWindow > 180*24*time.Hour {
		bad("trend_window", "%v must be 48h..4320h", r.TrendWindow)
	}
	if r.TrendMinBouts < 1 || r.TrendMinBouts > 1000 {
		bad("trend_min_bouts", "%d must be 1..1000", r.TrendMinBouts)
	}
	if !(r.TrendGaitSpeedMDC >= 0.01 && r.TrendGaitSpeedMDC <= 1) {
		bad("trend_gait_speed_mdc_mps", "%v must be 0.01..1", r.TrendGaitSpeedMDC)
	}
	if !(r.NotWornStd >= 0 && r.NotWornStd <= 1) {
		bad("not_worn_std_mps2", "%v must be 0..1", r.NotWornStd)
	}
	if _, _, err := ParseHours(r.ExpectedHours); err != nil {
		bad("expected_hours", "%v", err)
	}
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "" {
		bad("time_zone", "%q is not a known IANA time zone", r.TimeZone)
	}
	if r.OfflineAfter < time.Minute || r.OfflineAfter > 7*24*time.Hour {
		bad("offline_after", "%v must be 1m..168h", r.OfflineAfter)
	}
	if r.NotWornAfter < time.Minute || r.NotWornAfter > 7*24*time.Hour {
		bad("not_worn_after", "%v must be 1m..168h", r.NotWornAfter)
	}
	if !(r.SessionsPerWeek >= 0 && r.SessionsPerWeek <= 50) {
		bad("sessions_per_week", "%v must be 0..50", r.SessionsPerWeek)
	}
	if !(r.MissedFraction >= 0 && r.MissedFraction <= 1) {
		bad("missed_fraction", "%v must be 0..1", r.MissedFraction)
	}
	errs = append(errs, r.Thresholds.Validate(prefix+".thresholds"), r.NeuropathyThresholds.Validate(prefix+".neuropathy_thresholds"))
	return errors.Join(errs...)
}

// Validate checks the clinic rules and every override.
func (c *Config) Validate() error {
	errs := []error{c.Clinic.Validate("monitoring.clinic")}
	for id, r := range c.Patients {
		if id == "" {
			errs = append(errs, errors.New("monitoring.patients: empty patient id"))
			continue
		}
		errs = append(errs, r.Validate("monitoring.patients."+id))
	}
	if c.QueueLen < 0 || c.QueueLen > 1<<20 {
		errs = append(errs, fmt.Errorf("monitoring.queue_len: %d must be 0..1048576", c.QueueLen))
	}
	if c.Workers < 0 || c.Workers > 64 {
		errs = append(errs, fmt.Errorf("monitoring.workers: %d must be 0..64", c.Workers))
	}
	if !(c.GaitBufferMB >= 0 && c.GaitBufferMB <= 65536) {
		errs = append(errs, fmt.Errorf("monitoring.gait_buffer_mb: %v must be 0..65536", c.GaitBufferMB))
	}
	// 0 is the default; NaN fails the comparison.
	if !(c.ReadBackPerS >= 0 && c.ReadBackPerS <= maxReadBackPerS) {
		errs = append(errs, fmt.Errorf("monitoring.read_back_samples_per_s: %v must be > 0 and at most 1e9 samples/s (0: the default %d)", c.ReadBackPerS, DefaultReadBackPerS))
	}
	return errors.Join(errs...)
}

// ParseHours parses "HH:MM-HH:MM" into minutes after midnight. An end
// before the start spans midnight; equal ends are refused.
func ParseHours(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q must look like 08:00-20:00", s)
	}
	if from, err = parseClock(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("%q: %v", s, err)
	}
	if to, err = parseClock(strings.TrimSpace(b)); err != nil {
		return 0, 0, fmt.Errorf("%q: %v", s, err)
	}
	if from == to {
		return 0, 0, fmt.Errorf("%q is an empty span", s)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// InHours reports whether t falls within the expected hours of r (which
// must have been validated).
func (r Rules) InHours(t time.Time) bool {
	from, to, err := ParseHours(r.ExpectedHours)
	if err != nil {
		return false
	}
	loc, err := location(r.TimeZone)
	if err != nil {
		return false
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// Location is the rules' time zone (cached; UTC if it does not load, which
// Validate prevents).
func (r Rules) Location() *time.Location {
	loc, err := location(r.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

var zones sync.Map // IANA name -> *time.Location

// location is time.LoadLocation with a cache (it reads the zone database
// on every call).
func location(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}
