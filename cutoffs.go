package balance

import (
	"context"
	"time"
)

// Cutoffs are the clinical fall-risk cut-offs a clinician may set for one
// patient instead of the clinic's (Thresholds documents each and its
// source); zero turns a cut-off off, as in Thresholds. The other
// thresholds (sway baseline, fall window, adherence) stay the clinic's.
type Cutoffs struct {
	GaitSpeedModerate float64   `json:"gait_speed_moderate_mps"`
	GaitSpeedHigh     float64   `json:"gait_speed_high_mps"`
	TUGModerate       float64   `json:"tug_moderate_s"`
	TUGHigh           float64   `json:"tug_high_s"`
	STSModerate       float64   `json:"sts5_moderate_s"`
	STSHigh           float64   `json:"sts5_high_s"`
	TandemModerate    float64   `json:"tandem_moderate_s"`
	TandemHigh        float64   `json:"tandem_high_s"`
	StrideSDModerate  float64   `json:"stride_time_sd_moderate_s"`
	StrideSDHigh      float64   `json:"stride_time_sd_high_s"`
	By                string    `json:"by,omitempty"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Cutoffs returns t's clinical cut-offs.
func (t Thresholds) Cutoffs() Cutoffs {
	return Cutoffs{GaitSpeedModerate: t.GaitSpeedModerate, GaitSpeedHigh: t.GaitSpeedHigh, TUGModerate: t.TUGModerate, TUGHigh: t.TUGHigh,
		STSModerate: t.STSModerate, STSHigh: t.STSHigh, TandemModerate: t.TandemModerate, TandemHigh: t.TandemHigh,
		StrideSDModerate: t.StrideSDModerate, StrideSDHigh: t.StrideSDHigh}
}

// WithCutoffs returns t with c's clinical cut-offs.
func (t Thresholds) WithCutoffs(c Cutoffs) Thresholds {
	t.GaitSpeedModerate, t.GaitSpeedHigh = c.GaitSpeedModerate, c.GaitSpeedHigh
	t.TUGModerate, t.TUGHigh = c.TUGModerate, c.TUGHigh
	t.STSModerate, t.STSHigh = c.STSModerate, c.STSHigh
	t.TandemModerate, t.TandemHigh = c.TandemModerate, c.TandemHigh
	t.StrideSDModerate, t.StrideSDHigh = c.StrideSDModerate, c.StrideSDHigh
	return t
}

// Validate reports unusable cut-offs (ranges and the order of moderate and
// high, as Thresholds.Validate) as an EINVALID error naming each.
func (c Cutoffs) Validate() error {
	if err := StandardThresholds().WithCutoffs(c).Validate("cut-offs"); err != nil {
		return Errorf(EINVALID, "%v", err)
	}
	return nil
}

// CutoffStore keeps the cut-offs set for patients (sqlite.StateDB
// implements it).
type CutoffStore interface {
	// PatientCutoffs returns the patient's own cut-offs; ok is false when
	// the clinic's apply.
	PatientCutoffs(ctx context.Context, patientID string) (c Cutoffs, ok bool, err error)
	// SetPatientCutoffs stores the patient's own cut-offs (validated), or
	// with nil goes back to the clinic's.
	SetPatientCutoffs(ctx context.Context, patientID string, c *Cutoffs) error
}
