package monitor

import (
	"context"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// swayHeading is SessionHeading over the monitor's store, logging a failed
// read. Its reads (the 10 min around the session where walking gives the
// forward axis) are counted under reason sway_heading.
func (m *Monitor) swayHeading(ctx context.Context, es *balance.ExerciseSession, fs float64) analysis.SwayHeading {
	h, err := SessionHeading(ctx, reasonReader{m.deps.Store, m, readHeading}, es, fs)
	if err != nil {
		m.log.Info("samples around a session not read; sway forward axis from walking not sought", "session", es.ID, "err", err)
	}
	return h
}

// SessionHeading returns the wearer's forward axis for the sway measures of
// a stance session (sway test, four-stage test, exercise): from walking the
// device recorded in the analysis.SwayForwardMaxSec (10 min) before the
// session's start, else after its stop (the stored samples; the longest
// gap-free run of each side), by analysis.SwayForward. Devices declare no
// mounting yet, so without walking the axis is unknown and the session is
// flagged ap_unknown. Other kinds get none; a failed read gives none and
// the error. The monitor's measures and the dashboard's sway path both use
// it, so the chart's axes are the stored measures' axes.
func SessionHeading(ctx context.Context, samples balance.SampleReader, es *balance.ExerciseSession, fs float64) (analysis.SwayHeading, error) {
	none := analysis.SwayHeading{Source: analysis.ForwardNone}
	switch es.Kind {
	case balance.SessionSway, balance.SessionFourStage, balance.SessionExercise:
	default:
		return none, nil
	}
	win := time.Duration(analysis.SwayForwardMaxSec * float64(time.Second))
	read := func(from, to time.Time) ([]balance.Sample, error) {
		ss, err := samples.ReadSamples(ctx, balance.SampleQuery{DeviceID: es.DeviceID, From: from, To: to})
		if err != nil {
			return nil, err
		}
		return longestRun(ss, fs), nil
	}
	before, err := read(es.Start.Add(-win), es.Start)
	if err != nil {
		return none, err
	}
	h := analysis.SwayForward(before, nil, fs, [3]float64{})
	if h.Source == analysis.ForwardWalking {
		return h, nil
	}
	after, err := read(es.End.Add(time.Microsecond), es.End.Add(win))
	if err != nil {
		return none, err
	}
	return analysis.SwayForward(nil, after, fs, [3]float64{}), nil
}
