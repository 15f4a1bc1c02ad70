package sim

// Activity kinds of ground-truth segments.
const (
	KindStand       = "stand"
	KindSway        = "sway"
	KindWalk        = "walk"
	KindJog         = "jog"
	KindSit         = "sit"
	KindLie         = "lie"
	KindSitToStand  = "sit_to_stand"
	KindStandToSit  = "stand_to_sit"
	KindSTS5        = "sit_to_stand_5x"
	KindTUG         = "tug"
	KindLieDown     = "lie_down"
	KindGetUp       = "get_up"
	KindFall        = "fall"
	KindSitDownHard = "sit_down_hard"
	KindStumble     = "stumble"
	KindJump        = "jump"
	KindRollInBed   = "roll_in_bed"
)

// Truth is the ground truth of a generated scenario.
type Truth struct {
	Seed     uint64    `json:"seed"`
	RateHz   float64   `json:"rate_hz"`
	StartNS  int64     `json:"start_ns"`
	Samples  int       `json:"samples"`
	Body     Body      `json:"body"`
	Sensor   Sensor    `json:"sensor"`
	Segments []Segment `json:"segments"`
}

// Segment is one activity of a scenario. Times are seconds from the start of
// the scenario; fields that do not apply to the kind are left out of JSON.
type Segment struct {
	Kind   string  `json:"kind"`
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Session is the balance.Session* kind when the segment is a session the
	// device marks with start and stop events.
	Session string `json:"session,omitempty"`

	// Quiet standing.
	Stance *StanceCondition `json:"stance,omitempty"`
	Sway   *SwayMeasures    `json:"sway,omitempty"`
	// HoldS is how long the stance was held before the first loss of
	// balance (the whole segment when none).
	HoldS          float64   `json:"hold_s,omitempty"`
	LossOfBalanceS []float64 `json:"loss_of_balance_s,omitempty"`

	// Walking.
	Gait *GaitTruth `json:"gait,omitempty"`

	// Timed tests (TUG, five sit-to-stands): the clinical test duration.
	TestDurationS float64 `json:"test_duration_s,omitempty"`

	// Falls and look-alikes.
	Fall      bool    `json:"fall,omitempty"`
	FallKind  string  `json:"fall_kind,omitempty"`
	ImpactS   float64 `json:"impact_s,omitempty"`
	PeakAccG  float64 `json:"peak_acc_g,omitempty"` // peak |specific force| of the true motion, g
	Aftermath string  `json:"aftermath,omitempty"`  // "lying" or "got_up"
}

// GaitTruth describes a walking (or jogging) bout.
type GaitTruth struct {
	Steps           int       `json:"steps"`
	CadenceSPM      float64   `json:"cadence_spm"`      // 60 × (steps−1) / (last IC − first IC)
	SpeedMS         float64   `json:"speed_ms"`         // distance / (last IC − first IC)
	StepLengthM     float64   `json:"step_length_m"`    // mean
	StrideLengthM   float64   `json:"stride_length_m"`  // 2 × mean step length
	StepTimeS       float64   `json:"step_time_s"`      // mean
	StepTimeCVPct   float64   `json:"step_time_cv_pct"` // 100 × SD / mean
	StrideTimeSDS   float64   `json:"stride_time_sd_s"`
	Asymmetry       float64   `json:"asymmetry"`       // relative left/right step-time difference
	COMExcursionM   float64   `json:"com_excursion_m"` // mean vertical excursion h per step
	StepLengthK     float64   `json:"step_length_k"`   // Zijlstra correction factor the excursion assumes
	Aid             string    `json:"aid,omitempty"`
	InitialContacts []float64 `json:"initial_contacts_s"`
	Turns           []Turn    `json:"turns,omitempty"`
}

// Turn is a change of heading while walking.
type Turn struct {
	StartS   float64 `json:"start_s"`
	EndS     float64 `json:"end_s"`
	AngleDeg float64 `json:"angle_deg"` // + left, − right
}

// SwayMeasures are sway statistics of the true (noise-free, gravity-aligned)
// horizontal trunk acceleration, computed as in Mancini et al. 2012.
type SwayMeasures struct {
	RMS         float64 `json:"rms"`           // sqrt(mean(ap²+ml²)), m/s²
	RMSAP       float64 `json:"rms_ap"`        // SD of AP, m/s²
	RMSML       float64 `json:"rms_ml"`        // SD of ML, m/s²
	Dist        float64 `json:"dist"`          // mean(sqrt(ap²+ml²)), m/s²
	EllipseArea float64 `json:"ellipse_area"`  // π·5.991·sqrt(det Σ), m²/s⁴
	AngleRMSDeg float64 `json:"angle_rms_deg"` // RMS lean about the mean, degrees
	MeanLeanDeg float64 `json:"mean_lean_deg"` // mean forward lean, degrees
}

// Shifted returns a copy of seg with every time moved by dt seconds.
func (seg Segment) Shifted(dt float64) Segment {
	seg.StartS += dt
	seg.EndS += dt
	if seg.ImpactS != 0 {
		seg.ImpactS += dt
	}
	if seg.LossOfBalanceS != nil {
		l := make([]float64, len(seg.LossOfBalanceS))
		for i, v := range seg.LossOfBalanceS {
			l[i] = v + dt
		}
		seg.LossOfBalanceS = l
	}
	if seg.Gait != nil {
		g := *seg.Gait
		g.InitialContacts = make([]float64, len(seg.Gait.InitialContacts))
		for i, v := range seg.Gait.InitialContacts {
			g.InitialContacts[i] = v + dt
		}
		g.Turns = make([]Turn, len(seg.Gait.Turns))
		for i, t := range seg.Gait.Turns {
			g.Turns[i] = Turn{StartS: t.StartS + dt, EndS: t.EndS + dt, AngleDeg: t.AngleDeg}
		}
		seg.Gait = &g
	}
	return seg
}
