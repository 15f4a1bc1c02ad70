package main

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
)

// plansAdapter gives monitoring each patient's planned sessions per week.
type plansAdapter struct{ state stateStore }

// SessionsPerWeek implements monitor.Plans.
func (p plansAdapter) SessionsPerWeek(ctx context.Context, patientID string) (float64, bool, error) {
	plan, err := p.state.Plan(ctx, patientID)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return float64(plan.SessionsPerWeek), true, nil
}

// riskAdapter gives progression monitoring's risk history.
type riskAdapter struct{ state stateStore }

// RiskAssessments implements progression.RiskSource.
func (r riskAdapter) RiskAssessments(ctx context.Context, patientID string, since time.Time) ([]balance.RiskAssessment, error) {
	return r.state.RiskAssessments(ctx, patientID, since, 1000)
}

// storeFalls reads detected falls from the "fall" measurements that
// monitoring writes.
type storeFalls struct{ ms balance.MeasurementStore }

// Falls implements progression.FallSource.
func (s storeFalls) Falls(ctx context.Context, patientID string, since time.Time) ([]time.Time, error) {
	ms, err := s.ms.ReadMeasurements(ctx, balance.MeasurementQuery{Name: "fall", PatientID: patientID, From: since, To: time.Now().Add(24 * time.Hour)})
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Time)
	}
	return out, nil
}
