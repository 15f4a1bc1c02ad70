package dashboard

import (
	"context"
	"sort"
	"time"

	"github.com/balance-pt/balance"
)

// riskRank orders risk levels, highest first; then those whose risk cannot
// be judged yet (they need a test more than the low-risk ones need a look),
// then low, then unassessed patients.
func riskRank(level string) int {
	switch level {
	case balance.RiskHigh:
		return 0
	case balance.RiskModerate:
		return 1
	case balance.RiskNotEnoughData:
		return 2
	case balance.RiskLow:
		return 3
	}
	return 4
}

// SortByRisk orders summaries by fall risk (high first), then by open
// alerts (more first), then by the latest assessment (newest first), then
// by patient id, so that the order is total and stable.
func SortByRisk(ps []balance.PatientSummary) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if ra, rb := riskRank(a.RiskLevel), riskRank(b.RiskLevel); ra != rb {
			return ra < rb
		}
		if a.OpenAlerts != b.OpenAlerts {
			return a.OpenAlerts > b.OpenAlerts
		}
		if !a.RiskTime.Equal(b.RiskTime) {
			return a.RiskTime.After(b.RiskTime)
		}
		return a.Patient.ID < b.Patient.ID
	})
}

// Overview returns the patients the viewer in ctx may see, sorted by fall risk.
func (s *Server) Overview(ctx context.Context) ([]balance.PatientSummary, error) {
	all, err := s.deps.Summaries.PatientSummaries(ctx, s.now().Add(-7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, p := range all {
		if balance.CanSeePatient(ctx, p.Patient.ID) {
			out = append(out, p)
		}
	}
	SortByRisk(out)
	return out, nil
}
