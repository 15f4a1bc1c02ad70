package dashboard

import (
	"bytes"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
)

// stanceKinds are the session kinds that hold a still stance, whose
// horizontal acceleration path the session page draws.
var stanceKinds = map[string]bool{balance.SessionSway: true, balance.SessionFourStage: true, balance.SessionExercise: true}

// swayPathSVG draws the sway path of a stance session, the horizontal
// acceleration after analysis.SwayPath (medio-lateral across, antero-
// posterior up, m/s², equal scales), with its 95 % confidence ellipse
// (analysis.Ellipse95, whose area is the stored ellipse95), on the forward
// axis the monitor's measures used (monitor.SessionHeading; zero when not
// known, and the axes are then labelled as such). ok is false when
// the session is not a stance or its samples cannot be analysed; err is a
// drawing failure.
func swayPathSVG(es balance.ExerciseSession, ss []balance.Sample, fs float64, forward [3]float64, size vg.Length) (svg []byte, e analysis.Ellipse, ok bool, err error) {
	if !stanceKinds[es.Kind] || fs == 0 {
		return nil, e, false, nil
	}
	tr, perr := analysis.SwayPath(ss, fs, analysis.SwayOptions{Forward: forward})
	if perr != nil {
		return nil, e, false, nil
	}
	path := make(plotter.XYs, 0, len(tr.AP))
	step := max(1, len(tr.AP)/3000) // at most ~3000 points in the SVG
	lim := 0.0
	for i := 0; i < len(tr.AP); i += step {
		path = append(path, plotter.XY{X: tr.ML[i], Y: tr.AP[i]})
		lim = math.Max(lim, math.Max(math.Abs(tr.ML[i]), math.Abs(tr.AP[i])))
	}
	e = analysis.Ellipse95(tr.ML, tr.AP)
	ring := make(plotter.XYs, 0, 121)
	for k := 0; k <= 120; k++ {
		t := 2 * math.Pi * float64(k) / 120
		u, v := e.A*math.Cos(t), e.B*math.Sin(t)
		x := e.CX + u*math.Cos(e.Angle) - v*math.Sin(e.Angle)
		y := e.CY + u*math.Sin(e.Angle) + v*math.Cos(e.Angle)
		ring = append(ring, plotter.XY{X: x, Y: y})
		lim = math.Max(lim, math.Max(math.Abs(x), math.Abs(y)))
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Sway path, %.0f s, with the 95 %% ellipse (%.4f m²/s⁴)", tr.Seconds, math.Pi*e.A*e.B)
	p.X.Label.Text = "side to side (m/s²), left +"
	p.Y.Label.Text = "forward and back (m/s²), forward +"
	if tr.Quality&analysis.SwayAPUnknown != 0 {
		p.X.Label.Text = "horizontal axis 2 (m/s²)"
		p.Y.Label.Text = "horizontal axis 1 (m/s²; forward not known)"
	}
	p.Add(plotter.NewGrid())
	l, err := plotter.NewLine(path)
	if err != nil {
		return nil, e, false, err
	}
	l.LineStyle.Color = palette[0]
	l.LineStyle.Width = vg.Points(0.7)
	el, err := plotter.NewLine(ring)
	if err != nil {
		return nil, e, false, err
	}
	el.LineStyle.Color = colorHigh
	el.LineStyle.Width = vg.Points(1.8)
	p.Add(l, el)
	p.Legend.Add("path", l)
	p.Legend.Add("95 % ellipse", el)
	p.Legend.Top, p.Legend.Left = true, true
	if lim == 0 {
		lim = 0.01
	}
	lim *= 1.35 // room for the legend
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -lim, lim, -lim, lim
	c := vgsvg.New(size, size)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, e, false, err
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		b = b[i:]
	}
	return b, e, true, nil
}
