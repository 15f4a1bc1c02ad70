package progression

import (
	"fmt"
	"time"

	"github.com/balance-pt/balance"
)

// Rules are the thresholds of Evaluate. The defaults follow the synthesis
// in the clinical references (section 4.3), itself not a single published
// algorithm: progress after the target hold on 2–3 consecutive sessions
// with sway at or under the patient's own baseline ± MDC; regress on a hold
// under 10 s (the STEADI pass), 2 or more losses of balance or sway at twice
// the baseline.
type Rules struct {
	// ConsecutiveSessions is how many qualifying sessions in a row, on
	// distinct days, earn a progression [3].
	ConsecutiveSessions int `yaml:"consecutive_sessions" json:"consecutive_sessions"`
	// TargetHoldS overrides every level's target hold when above 0 [0].
	TargetHoldS float64 `yaml:"target_hold_s" json:"target_hold_s"`
	// MinHoldS: a hold under it is a failure [10].
	MinHoldS float64 `yaml:"min_hold_s" json:"min_hold_s"`
	// FailLosses: this many losses of balance in a session is a failure [2].
	FailLosses int `yaml:"fail_losses" json:"fail_losses"`
	// SwayFailRatio: sway at or above this multiple of the baseline is a failure [2].
	SwayFailRatio float64 `yaml:"sway_fail_ratio" json:"sway_fail_ratio"`
	// SwayTolerance: sway up to baseline × (1 + SwayTolerance) counts as
	// "at or under the baseline", a stand-in for the minimal detectable
	// change, which is not published for iSway measures at home [0.10].
	SwayTolerance float64 `yaml:"sway_tolerance" json:"sway_tolerance"`
	// BaselineSessions is how many first measured sessions at a level make
	// the patient's own baseline for it (their median) [3].
	BaselineSessions int `yaml:"baseline_sessions" json:"baseline_sessions"`
	// SwayMetrics are the session sway measures to judge by, first found
	// wins [rms, rms_ml]: the 2-D RMS does not depend on knowing the
	// wearer's heading, which quiet stance cannot reveal.
	SwayMetrics []string `yaml:"sway_metrics" json:"sway_metrics"`
	// FailuresToRegress is how many failed sessions in a row step the
	// patient down [1].
	FailuresToRegress int `yaml:"failures_to_regress" json:"failures_to_regress"`
	// FallHoldDays: no progression this many days after a fall [14].
	FallHoldDays int `yaml:"fall_hold_days" json:"fall_hold_days"`
	// RetryAfterDays: a level the patient was stepped down from is not
	// suggested again for this many days while another way up exists [21].
	RetryAfterDays int `yaml:"retry_after_days" json:"retry_after_days"`
	// UnusableQuality are session quality flags that mean the session
	// could not be measured (no samples, analysis failed, samples still
	// missing): such a session counts for adherence but is neither a
	// failure nor a success [no_data, analysis_failed, incomplete].
	UnusableQuality []string `yaml:"unusable_quality" json:"unusable_quality"`
	// MissedGapDays: a gap this long without a session (a missed week)
	// breaks the run of consecutive sessions and holds progression [7].
	MissedGapDays int `yaml:"missed_gap_days" json:"missed_gap_days"`
	// SymptomHoldDays: new or worse pain, or dizziness, reported after a
	// session at the current level, or after any session in the last this
	// many days, holds progression [7]. Sources: the seed document
	// (activities "that cause pain or injury should be avoided"); in
	// neuropathy, dizziness may be postural hypotension of autonomic
	// neuropathy (Timar B et al., PLoS One 2016, doi:10.1371/journal.pone.0154654),
	// a fall risk of its own.
	SymptomHoldDays int `yaml:"symptom_hold_days" json:"symptom_hold_days"`
	// DizzySessions of the last DizzyWindow answered sessions at the level
	// reporting dizziness step the patient down [2 of 3].
	DizzySessions int `yaml:"dizzy_sessions" json:"dizzy_sessions"`
	DizzyWindow   int `yaml:"dizzy_window" json:"dizzy_window"`
	// HardDifficulty is the difficulty (0–10, Borg CR10) from which a
	// session felt too hard [8, "very hard"]; HardSessions answered
	// sessions in a row at the level that hard step the patient down [3].
	HardDifficulty int `yaml:"hard_difficulty" json:"hard_difficulty"`
	HardSessions   int `yaml:"hard_sessions" json:"hard_sessions"`
}

// DefaultRules returns the rules with every default filled in.
func DefaultRules() Rules { return Rules{}.withDefaults() }

func (r Rules) withDefaults() Rules {
	if r.ConsecutiveSessions <= 0 {
		r.ConsecutiveSessions = 3
	}
	if r.MinHoldS <= 0 {
		r.MinHoldS = 10
	}
	if r.FailLosses <= 0 {
		r.FailLosses = 2
	}
	if r.SwayFailRatio <= 0 {
		r.SwayFailRatio = 2
	}
	if r.SwayTolerance <= 0 {
		r.SwayTolerance = 0.10
	}
	if r.BaselineSessions <= 0 {
		r.BaselineSessions = 3
	}
	if len(r.SwayMetrics) == 0 {
		r.SwayMetrics = []string{"rms", "rms_ml"}
	}
	if r.FailuresToRegress <= 0 {
		r.FailuresToRegress = 1
	}
	if r.FallHoldDays <= 0 {
		r.FallHoldDays = 14
	}
	if r.RetryAfterDays <= 0 {
		r.RetryAfterDays = 21
	}
	if r.UnusableQuality == nil {
		r.UnusableQuality = []string{"no_data", "analysis_failed", "incomplete"}
	}
	if r.MissedGapDays <= 0 {
		r.MissedGapDays = 7
	}
	if r.SymptomHoldDays <= 0 {
		r.SymptomHoldDays = 7
	}
	if r.DizzySessions <= 0 {
		r.DizzySessions = 2
	}
	if r.DizzyWindow <= 0 {
		r.DizzyWindow = 3
	}
	if r.HardDifficulty <= 0 {
		r.HardDifficulty = 8
	}
	if r.HardSessions <= 0 {
		r.HardSessions = 3
	}
	return r
}

// Validate reports unusable thresholds (negative values, a tolerance that
// would accept sway at the failure ratio).
func (r Rules) Validate() error {
	if r.ConsecutiveSessions < 0 || r.TargetHoldS < 0 || r.MinHoldS < 0 || r.FailLosses < 0 || r.SwayFailRatio < 0 ||
		r.SwayTolerance < 0 || r.BaselineSessions < 0 || r.FailuresToRegress < 0 || r.FallHoldDays < 0 || r.RetryAfterDays < 0 || r.MissedGapDays < 0 ||
		r.SymptomHoldDays < 0 || r.DizzySessions < 0 || r.DizzyWindow < 0 || r.HardDifficulty < 0 || r.HardSessions < 0 {
		return balance.Errorf(balance.EINVALID, "progression thresholds must not be negative")
	}
	d := r.withDefaults()
	if 1+d.SwayTolerance >= d.SwayFailRatio {
		return balance.Errorf(balance.EINVALID, "sway_tolerance %.2f would accept sway at the failure ratio %.2f", d.SwayTolerance, d.SwayFailRatio)
	}
	if d.DizzySessions > d.DizzyWindow {
		return balance.Errorf(balance.EINVALID, "dizzy_sessions %d cannot be more than dizzy_window %d", d.DizzySessions, d.DizzyWindow)
	}
	if d.HardDifficulty > balance.MaxDifficulty {
		return balance.Errorf(balance.EINVALID, "hard_difficulty %d is above the top of the 0–%d scale", d.HardDifficulty, balance.MaxDifficulty)
	}
	if d.TargetHoldS > 0 && d.TargetHoldS < d.MinHoldS {
		return balance.Errorf(balance.EINVALID, "target_hold_s %.0f is under min_hold_s %.0f", d.TargetHoldS, d.MinHoldS)
	}
	return nil
}

// Decision actions.
const (
	Progress = "progress"
	Regress  = "regress"
	Hold     = "hold"
)

// Input is everything Evaluate looks at.
type Input struct {
	Now        time.Time
	Plan       balance.Plan
	Neuropathy bool
	// Sessions are the patient's measured sessions, any order; those of
	// kind balance.SessionExercise count. Include some from before
	// Plan.LevelSince: earlier sessions at the same level feed its baseline.
	Sessions []balance.ExerciseSession
	// Changes is the plan's recent history (any order).
	Changes []balance.PlanChange
	// Risk holds recent risk assessments (any order).
	Risk []balance.RiskAssessment
	// Falls are the times of recent falls.
	Falls []time.Time
	// Feedback holds the patient's answers about their sessions (any
	// order), matched to Sessions by session id; sessions without an
	// answer are judged as before.
	Feedback []balance.SessionFeedback
}

// Decision is what Evaluate concludes.
type Decision struct {
	Action    string `json:"action"` // Progress, Regress or Hold
	From      string `json:"from"`
	To        string `json:"to,omitempty"`
	Dimension string `json:"dimension,omitempty"`
	// Reasons say why, for a therapist and (plainly) for the patient.
	Reasons []balance.PlanReason `json:"reasons"`
	// SessionIDs are the sessions the decision rests on.
	SessionIDs []string `json:"session_ids,omitempty"`
	// Trigger identifies the event behind a safety step-down (a fall or
	// assessment time), so that the same event steps down once.
	Trigger time.Time `json:"trigger,omitzero"`
	// Streak is the run of qualifying sessions so far, out of Needed.
	Streak int `json:"streak"`
	Needed int `json:"needed"`
	// Metric and Baseline are the sway measure judged and the patient's
	// baseline at this level (0 while it is being established).
	Metric   string  `json:"metric,omitempty"`
	Baseline float64 `json:"baseline,omitempty"`
	// Withheld is the level a step up would have gone to had pain or
	// dizziness reported after a session not held it back (Action is
	// Hold; the service records it as a withdrawn progression).
	Withheld string `json:"withheld,omitempty"`
}

func reason(code, format string, args ...any) balance.PlanReason {
	return balance.PlanReason{Code: code, Text: fmt.Sprintf(format, args...)}
}
