package monitor

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// swayHeading returns the wearer's forward axis for the sway measures of a
// stance session (sway test, four-stage test, exercise): from walking the
// device recorded in the analysis.SwayForwardMaxSec (10 min) before the
// session's start, else after its stop (the stored samples; the longest
// gap-free run of each side), by analysis.SwayForward. Devices declare no
// mounting yet, so without walking the axis is unknown and the session is
// flagged ap_unknown. Other kinds, and a failed read, get none.
func (m *Monitor) swayHeading(ctx context.Context, es *balance.ExerciseSession, fs float64) analysis.SwayHeading {
	none := analysis.SwayHeading{Source: analysis.ForwardNone}
	switch es.Kind {
	case balance.SessionSway, balance.SessionFourStage, balance.SessionExercise:
	default:
		return none
	}
	win := time.Duration(analysis.SwayForwardMaxSec * float64(time.Second))
	read := func(from, to time.Time) []balance.Sample {
		ss, err := m.deps.Store.ReadSamples(ctx, balance.SampleQuery{DeviceID: es.DeviceID, From: from, To: to})
		if err != nil {
			m.log.Info("samples around a session not read; sway forward axis from walking not sought", "session", es.ID, "err", err)
			return nil
		}
		return longestRun(ss, fs)
	}
	before := read(es.Start.Add(-win), es.Start)
	h := analysis.SwayForward(before, nil, fs, [3]float64{})
	if h.Source == analysis.ForwardWalking {
		return h
	}
	after := read(es.End.Add(time.Microsecond), es.End.Add(win))
	return analysis.SwayForward(nil, after, fs, [3]float64{})
}
