package dashboard

import (
	"context"
	"html/template"
	"math"
	"sort"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/balance-pt/balance"
)

// ChartSVG is a rendered chart for a page.
type ChartSVG struct {
	ID    string
	Title string
	SVG   template.HTML
	// Points is how many measurements the chart draws, First and Last
	// the dates of the oldest and newest (zero when none): the chart's
	// caption in words.
	Points      int
	First, Last time.Time
}

// extent counts the points of c's series and finds their first and last
// times (x in Unix seconds).
func extent(c Chart) (n int, first, last time.Time) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i, x := range s.X {
			if i < len(s.Y) && finite(x) && finite(s.Y[i]) {
				n++
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	if n == 0 {
		return 0, time.Time{}, time.Time{}
	}
	return n, time.Unix(int64(lo), 0).UTC(), time.Unix(int64(hi), 0).UTC()
}

func pointsSeries(name string, pts []Point) Series {
	s := Series{Name: name, X: make([]float64, len(pts)), Y: make([]float64, len(pts))}
	for i, p := range pts {
		s.X[i] = float64(p.Time.UnixNano()) / 1e9
		s.Y[i] = p.Value
	}
	return s
}

// ChartIDs are the trend charts of the patient page, in order.
var ChartIDs = []string{"gait_speed", "cadence", "stride_var", "sway", "tug", "sts5", "adherence"}

// defaultThresholds are the published cut-offs: the neuropathy set for a
// patient with neuropathy (Config.Thresholds when it is nil).
func defaultThresholds(_ context.Context, _ string, neuropathy bool) (balance.Thresholds, error) {
	if neuropathy {
		return balance.NeuropathyThresholds(), nil
	}
	return balance.StandardThresholds(), nil
}

// thresholds are the cut-offs monitoring applies to the patient of v.
func (s *Server) thresholds(ctx context.Context, v PatientView) (balance.Thresholds, error) {
	p := v.Summary.Patient
	return s.cfg.Thresholds(ctx, p.ID, p.Neuropathy)
}

// patientChart describes one trend chart of a patient, with th, the
// clinical cut-offs monitoring uses for this patient
// (balance.StandardThresholds documents the sources of the defaults).
// Every trend chart spans the view's range, has a non-negative y axis and
// marks the falls (from the patient's fall alerts) and exercise sessions of
// the range.
func patientChart(id string, v PatientView, th balance.Thresholds) (Chart, bool) {
	c, ok := trendChart(id, v, th)
	if !ok {
		return c, false
	}
	c.NonNegative = true
	c.XMin, c.XMax = float64(v.From.Unix()), float64(v.To.Unix())
	c.Markers = eventMarkers(v)
	return c, true
}

// eventMarkers are the view's falls and sessions as chart markers.
func eventMarkers(v PatientView) []Marker {
	var ms []Marker
	for _, a := range v.Alerts {
		if a.Kind == balance.AlertFall {
			ms = append(ms, Marker{X: float64(a.OccurredAt.Unix()), Fall: true})
		}
	}
	for _, es := range v.Sessions {
		ms = append(ms, Marker{X: float64(es.Start.Unix())})
	}
	return ms
}

func trendChart(id string, v PatientView, th balance.Thresholds) (Chart, bool) {
	const day = "date (UTC)"
	t := v.Trends
	switch id {
	case "gait_speed":
		return Chart{Title: "Gait speed", XLabel: day, YLabel: "gait speed (m/s)", TimeAxis: true, Points: true,
			Series:  []Series{pointsSeries("walking bouts", t.GaitSpeed)},
			Cutoffs: []Cutoff{{"moderate risk below", th.GaitSpeedModerate, false}, {"high risk below", th.GaitSpeedHigh, true}}}, true
	case "cadence":
		// 100 steps/min marks moderate-intensity walking (Tudor-Locke 2018).
		return Chart{Title: "Cadence", XLabel: day, YLabel: "cadence (steps/min)", TimeAxis: true, Points: true,
			Series:  []Series{pointsSeries("walking bouts", t.Cadence)},
			Cutoffs: []Cutoff{{"moderate-intensity walking", 100, false}}}, true
	case "stride_var":
		return Chart{Title: "Stride-time variability", XLabel: day, YLabel: "stride-time SD (s)", TimeAxis: true, Points: true,
			Series:  []Series{pointsSeries("walking bouts", t.StrideSD)},
			Cutoffs: []Cutoff{{"moderate risk from", th.StrideSDModerate, false}, {"high risk from", th.StrideSDHigh, true}}}, true
	case "sway":
		c := Chart{Title: "Postural sway by stance condition", XLabel: day, YLabel: "sway RMS acceleration (m/s²)", TimeAxis: true, Points: true}
		conds := make([]string, 0, len(t.Sway))
		for k := range t.Sway {
			conds = append(conds, k)
		}
		sort.Strings(conds)
		for _, k := range conds {
			c.Series = append(c.Series, pointsSeries(k, t.Sway[k]))
		}
		return c, true
	case "tug":
		return Chart{Title: "Timed Up and Go", XLabel: day, YLabel: "TUG time (s)", TimeAxis: true, Points: true,
			Series:  []Series{pointsSeries("tests", t.TUG)},
			Cutoffs: []Cutoff{{"moderate risk from", th.TUGModerate, false}, {"high risk from", th.TUGHigh, true}}}, true
	case "sts5":
		return Chart{Title: "Five-times sit-to-stand", XLabel: day, YLabel: "5×STS time (s)", TimeAxis: true, Points: true,
			Series:  []Series{pointsSeries("tests", t.STS5)},
			Cutoffs: []Cutoff{{"moderate risk from", th.STSModerate, false}, {"high risk from", th.STSHigh, true}}}, true
	case "adherence":
		c := Chart{Title: "Adherence", XLabel: "week starting (UTC)", YLabel: "exercise sessions per week", TimeAxis: true,
			Series: []Series{pointsSeries("sessions done", t.Adherence)}}
		if t.PlannedPer > 0 {
			c.Cutoffs = []Cutoff{{"planned", float64(t.PlannedPer), false}}
		}
		return c, true
	}
	return Chart{}, false
}

// chartSize is the size of a trend chart.
var chartW, chartH = vg.Points(460), vg.Points(260)

// renderCharts draws every trend chart of the view with the cut-offs th.
func renderCharts(v PatientView, th balance.Thresholds) ([]ChartSVG, error) {
	out := make([]ChartSVG, 0, len(ChartIDs))
	for _, id := range ChartIDs {
		c, _ := patientChart(id, v, th)
		b, err := c.SVG(chartW, chartH)
		if err != nil {
			return nil, err
		}
		n, first, last := extent(c)
		out = append(out, ChartSVG{ID: id, Title: c.Title, SVG: template.HTML(b), Points: n, First: first, Last: last})
	}
	return out, nil
}

// signalChart draws a session's raw acceleration magnitude and angular
// speed against seconds from its start.
func signalChart(es balance.ExerciseSession, ss []balance.Sample) Chart {
	acc := Series{Name: "|acceleration| (m/s²)"}
	gyr := Series{Name: "|angular velocity| ×10 (rad/s)"}
	if len(ss) > 0 {
		t0 := ss[0].TimeNS
		step := 1
		if len(ss) > 4000 { // keep the SVG small: at most ~4000 points
			step = len(ss) / 4000
		}
		for i := 0; i < len(ss); i += step {
			x := float64(ss[i].TimeNS-t0) / 1e9
			a, g := ss[i].Acc, ss[i].Gyro
			acc.X = append(acc.X, x)
			acc.Y = append(acc.Y, math.Sqrt(a[0]*a[0]+a[1]*a[1]+a[2]*a[2]))
			gyr.X = append(gyr.X, x)
			gyr.Y = append(gyr.Y, 10*math.Sqrt(g[0]*g[0]+g[1]*g[1]+g[2]*g[2]))
		}
	}
	return Chart{Title: "Raw signals: " + es.Kind + " " + es.Start.Format("2006-01-02 15:04:05"), XLabel: "time from start (s)",
		YLabel: "magnitude", Series: []Series{acc, gyr}, Cutoffs: []Cutoff{{"gravity", 9.80665, false}}}
}
