package balance

import (
	"errors"
	"fmt"
	"time"
)

// Thresholds are the fall-risk cut-offs. Each measure has a moderate and a
// high cut-off; a reason is raised at the worse level the value reaches.
// Zero disables a cut-off. Sources are in docs/monitoring.md.
type Thresholds struct {
	// Gait speed (m/s) below which risk is moderate / high: 1.0 / 0.8
	// (Studenski 2011, Cesari 2005; each 0.1 m/s slower raises fall risk,
	// Verghese 2009).
	GaitSpeedModerate float64 `yaml:"gait_speed_moderate_mps"`
	GaitSpeedHigh     float64 `yaml:"gait_speed_high_mps"`
	// Timed Up and Go (s) at or above which risk is moderate / high: 12
	// (CDC STEADI) / 13.5 (Shumway-Cook 2000).
	TUGModerate float64 `yaml:"tug_moderate_s"`
	TUGHigh     float64 `yaml:"tug_high_s"`
	// Five-times sit-to-stand (s) at or above which risk is moderate /
	// high: 12 (Tiedemann 2008) / 15 (Buatois 2008). Not completing five
	// stands counts as high.
	STSModerate float64 `yaml:"sts5_moderate_s"`
	STSHigh     float64 `yaml:"sts5_high_s"`
	// Tandem stance held (s) below which risk is moderate / high: 10 (CDC
	// STEADI 4-stage test).
	TandemModerate float64 `yaml:"tandem_moderate_s"`
	TandemHigh     float64 `yaml:"tandem_high_s"`
	// Stride-time variability (SD, s) at or above which risk is moderate /
	// high: 0.07 / 0.106 (Hausdorff 2001: fallers 106 ± 30 ms, non-fallers
	// 49 ± 4 ms; 70 ms is five non-faller SDs above their mean and one
	// faller SD below theirs).
	StrideSDModerate float64 `yaml:"stride_time_sd_moderate_s"`
	StrideSDHigh     float64 `yaml:"stride_time_sd_high_s"`
	// Sway against the patient's own baseline: moderate when the recent
	// sway RMS exceeds the baseline by more than its minimal detectable
	// change, high at SwayHighRatio × baseline (2, the regression criterion
	// of balance-training progressions).
	SwayHighRatio float64 `yaml:"sway_high_ratio"`
	// SwayBaselineTests is how many first sway tests form the baseline (3).
	SwayBaselineTests int `yaml:"sway_baseline_tests"`
	// SwayMDCMinFraction floors the MDC at this fraction of the baseline
	// (0.2), since a few baseline tests underestimate their spread.
	SwayMDCMinFraction float64 `yaml:"sway_mdc_min_fraction"`
	// FallWindow: a fall within it makes risk high (default 2160h, 90
	// days); a fall in the last year makes it moderate (CDC STEADI: any
	// fall in the past year screens positive).
	FallWindow time.Duration `yaml:"fall_window"`
	// LossesModerate: this many losses of balance in exercise sessions and
	// tests over the last 14 days (near-falls) make risk moderate (2).
	LossesModerate int `yaml:"losses_of_balance_moderate"`
	// AdherenceModerate: doing fewer than this fraction of the planned
	// sessions over the last 14 days makes risk moderate (0.5).
	AdherenceModerate float64 `yaml:"adherence_moderate"`
}

// StandardThresholds are the published cut-offs for community-dwelling
// older adults.
func StandardThresholds() Thresholds {
	return Thresholds{
		GaitSpeedModerate: 1.0, GaitSpeedHigh: 0.8,
		TUGModerate: 12, TUGHigh: 13.5,
		STSModerate: 12, STSHigh: 15,
		TandemModerate: 10, TandemHigh: 0,
		StrideSDModerate: 0.07, StrideSDHigh: 0.106,
		SwayHighRatio: 2, SwayBaselineTests: 3, SwayMDCMinFraction: 0.2,
		FallWindow: 90 * 24 * time.Hour, LossesModerate: 2, AdherenceModerate: 0.5,
	}
}

// NeuropathyThresholds are stricter defaults for peripheral neuropathy,
// where the standard cut-offs found only 30 % of recurrent fallers
// (Jernigan 2012): every timed cut-off about 1 s (8 %) earlier, gait speed
// one minimal detectable change (0.1 m/s) higher, and a tandem stance under
// 5 s high. These shifts are this project's choice, not published values;
// docs/monitoring.md gives the reasoning.
func NeuropathyThresholds() Thresholds {
	t := StandardThresholds()
	t.GaitSpeedModerate, t.GaitSpeedHigh = 1.1, 0.9
	t.TUGModerate, t.TUGHigh = 11, 12
	t.STSModerate, t.STSHigh = 11, 13.5
	t.TandemHigh = 5
	return t
}

// Validate reports unusable thresholds, each with its key.
func (t Thresholds) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	pair := func(kmod, khigh string, mod, high, lo, hi float64, lowerIsWorse bool) {
		for _, kv := range []struct {
			k string
			v float64
		}{{kmod, mod}, {khigh, high}} {
			if !(kv.v == 0 || kv.v >= lo && kv.v <= hi) {
				bad(kv.k, "%v must be 0 (off) or %v..%v", kv.v, lo, hi)
			}
		}
		if mod != 0 && high != 0 {
			if lowerIsWorse && high > mod {
				bad(khigh, "%v must not be above %s %v (lower is worse)", high, kmod, mod)
			}
			if !lowerIsWorse && high < mod {
				bad(khigh, "%v must not be below %s %v (higher is worse)", high, kmod, mod)
			}
		}
	}
	pair("gait_speed_moderate_mps", "gait_speed_high_mps", t.GaitSpeedModerate, t.GaitSpeedHigh, 0.1, 2.5, true)
	pair("tug_moderate_s", "tug_high_s", t.TUGModerate, t.TUGHigh, 3, 120, false)
	pair("sts5_moderate_s", "sts5_high_s", t.STSModerate, t.STSHigh, 3, 120, false)
	pair("tandem_moderate_s", "tandem_high_s", t.TandemModerate, t.TandemHigh, 1, 60, true)
	pair("stride_time_sd_moderate_s", "stride_time_sd_high_s", t.StrideSDModerate, t.StrideSDHigh, 0.005, 1, false)
	if !(t.SwayHighRatio == 0 || t.SwayHighRatio > 1 && t.SwayHighRatio <= 20) {
		bad("sway_high_ratio", "%v must be 0 (off) or above 1 and at most 20", t.SwayHighRatio)
	}
	if t.SwayBaselineTests < 1 || t.SwayBaselineTests > 50 {
		bad("sway_baseline_tests", "%d must be 1..50", t.SwayBaselineTests)
	}
	if !(t.SwayMDCMinFraction >= 0 && t.SwayMDCMinFraction <= 5) {
		bad("sway_mdc_min_fraction", "%v must be 0..5", t.SwayMDCMinFraction)
	}
	if t.FallWindow < 24*time.Hour || t.FallWindow > 365*24*time.Hour {
		bad("fall_window", "%v must be 24h..8760h", t.FallWindow)
	}
	if t.LossesModerate < 0 || t.LossesModerate > 1000 {
		bad("losses_of_balance_moderate", "%d must be 0 (off)..1000", t.LossesModerate)
	}
	if !(t.AdherenceModerate >= 0 && t.AdherenceModerate <= 1) {
		bad("adherence_moderate", "%v must be 0..1", t.AdherenceModerate)
	}
	return errors.Join(errs...)
}
