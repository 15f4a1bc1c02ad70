package monitor

import (
	"context"

	"github.com/balance-pt/balance"
)

// ThresholdSource resolves a patient's fall-risk thresholds: the rules of
// the configuration (the patient's own section, else the clinic's; the
// neuropathy set for patients with neuropathy), with the cut-offs a
// clinician set for the patient (balance.Cutoffs) on top. Monitoring's
// risk assessment and the dashboard's charts both read it, so the drawn
// cut-offs are the ones applied.
type ThresholdSource struct {
	Config *Config
	// Cutoffs holds the patients' own cut-offs (nil: none).
	Cutoffs balance.CutoffStore
}

// For returns the thresholds that apply to the patient now.
func (s ThresholdSource) For(ctx context.Context, patientID string, neuropathy bool) (balance.Thresholds, error) {
	th := s.Config.RulesFor(patientID).ThresholdsFor(neuropathy)
	if s.Cutoffs == nil {
		return th, nil
	}
	c, ok, err := s.Cutoffs.PatientCutoffs(ctx, patientID)
	if err != nil || !ok {
		return th, err
	}
	return th.WithCutoffs(c), nil
}
