package dashboard

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Series is one line of a chart: x in Unix seconds (or seconds from the
// start for signals), y in the chart's unit.
type Series struct {
	Name string
	X, Y []float64
}

// Cutoff is a horizontal clinical cut-off drawn as a dashed line.
type Cutoff struct {
	Label string
	Value float64
	// High colours the line red (a high-risk cut-off), else amber.
	High bool
}

// Chart describes one chart.
type Chart struct {
	Title  string
	XLabel string
	YLabel string // with the unit, e.g. "gait speed (m/s)"
	// TimeAxis formats x as dates (Unix seconds); otherwise plain numbers.
	TimeAxis bool
	Series   []Series
	Cutoffs  []Cutoff
	// Points draws markers only (sparse measurements).
	Points bool
	// XMin and XMax fix the x range when XMax > XMin (e.g. the page's 90
	// days); otherwise it follows the data. A little room is added on both
	// sides so that a point at either end is drawn whole.
	XMin, XMax float64
	// NonNegative marks a quantity that cannot be below zero (an RMS, a
	// time, a speed): the y axis then never runs below 0.
	NonNegative bool
	// Markers are events on the time axis: falls as vertical lines,
	// sessions as ticks along the bottom.
	Markers []Marker
}

// Marker is one event drawn on a time chart at X (Unix seconds).
type Marker struct {
	X float64
	// Fall draws a red vertical line; otherwise a short grey tick at the
	// bottom of the plot (an exercise session).
	Fall bool
}

// palette colours the series; every colour has at least 3:1 contrast on
// white (WCAG 2.2, 1.4.11 non-text contrast).
var palette = []color.Color{
	color.RGBA{0x1f, 0x5f, 0x99, 0xff}, color.RGBA{0x1e, 0x7b, 0x1e, 0xff}, color.RGBA{0x6a, 0x3d, 0x9a, 0xff},
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, color.RGBA{0x00, 0x6d, 0x77, 0xff}, color.RGBA{0x55, 0x55, 0x55, 0xff},
}

// Cut-off and marker colours (≥ 3:1 on white).
var (
	colorModerate = color.RGBA{0xa3, 0x5c, 0x00, 0xff}
	colorHigh     = color.RGBA{0xc0, 0x16, 0x1d, 0xff}
	colorSession  = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

// SVG draws the chart with gonum/plot and returns the SVG document
// (without the XML declaration, so it can be inlined in HTML). Non-finite
// points are left out; a chart without any point says "no data".
func (c Chart) SVG(width, height vg.Length) ([]byte, error) {
	p, err := c.plot()
	if err != nil {
		return nil, err
	}
	canvas := vgsvg.New(width, height)
	p.Draw(draw.New(canvas))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte("<svg")); i > 0 {
		b = b[i:]
	}
	return b, nil
}

// plot lays the chart out: series, cut-offs, markers, axes.
func (c Chart) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	if c.TimeAxis {
		p.X.Tick.Marker = dateTicks{}
	}
	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	n, legend := 0, 0
	for i, s := range c.Series {
		pts := make(plotter.XYs, 0, len(s.X))
		for j := range s.X {
			if j < len(s.Y) && finite(s.X[j]) && finite(s.Y[j]) {
				pts = append(pts, plotter.XY{X: s.X[j], Y: s.Y[j]})
			}
		}
		if len(pts) == 0 {
			continue
		}
		sort.Slice(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		n += len(pts)
		for _, q := range pts {
			xmin, xmax = math.Min(xmin, q.X), math.Max(xmax, q.X)
			ymin, ymax = math.Min(ymin, q.Y), math.Max(ymax, q.Y)
		}
		col := palette[i%len(palette)]
		if c.Points || len(pts) == 1 {
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			sc.GlyphStyle.Radius = vg.Points(2.5)
			p.Add(sc)
			if s.Name != "" {
				p.Legend.Add(s.Name, sc)
				legend++
			}
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color = col
		l.LineStyle.Width = vg.Points(1.5)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
			legend++
		}
	}
	if n == 0 {
		p.Title.Text = c.Title + " — no data"
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
		if c.TimeAxis {
			now := float64(time.Now().Unix())
			xmin, xmax = now-86400, now
		}
	}
	if c.XMax > c.XMin {
		xmin, xmax = c.XMin, c.XMax
	}
	for _, k := range c.Cutoffs {
		if !finite(k.Value) {
			continue
		}
		ymin, ymax = math.Min(ymin, k.Value), math.Max(ymax, k.Value)
		l, err := plotter.NewLine(plotter.XYs{{X: xmin, Y: k.Value}, {X: xmax, Y: k.Value}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		l.LineStyle.Width = vg.Points(1.2)
		l.LineStyle.Color = colorModerate
		if k.High {
			l.LineStyle.Color = colorHigh
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s: %g", k.Label, k.Value), l)
		legend++
	}
	if c.XMax > c.XMin {
		xmin, xmax = c.XMin, c.XMax
	}
	if xmin == xmax {
		xmin, xmax = xmin-3600, xmax+3600
	}
	pad := (ymax - ymin) * 0.15
	if pad == 0 {
		pad = math.Max(math.Abs(ymax)*0.1, 1)
	}
	// Room above the data for the legend (one line per entry).
	top := pad * (1 + 0.8*float64(legend+markerLegends(c.Markers)))
	lo, hi := ymin-pad, ymax+top
	if c.NonNegative && lo < 0 {
		lo = 0
	}
	if err := addMarkers(p, c.Markers, xmin, xmax, lo, hi); err != nil {
		return nil, err
	}
	// 2 % of the range on each side keeps a point at either end whole.
	xpad := (xmax - xmin) * 0.02
	p.X.Min, p.X.Max = xmin-xpad, xmax+xpad
	p.Y.Min, p.Y.Max = lo, hi
	return p, nil
}

// markerLegends is the number of legend entries the markers add.
func markerLegends(ms []Marker) int {
	n := 0
	var fall, session bool
	for _, m := range ms {
		if m.Fall && !fall {
			fall = true
			n++
		} else if !m.Fall && !session {
			session = true
			n++
		}
	}
	return n
}

// addMarkers draws the markers within [xmin, xmax]: falls as red lines over
// the whole height, sessions as ticks over the bottom 4 % of [ylo, yhi].
func addMarkers(p *plot.Plot, ms []Marker, xmin, xmax, ylo, yhi float64) error {
	var fallShown, sessionShown bool
	for _, m := range ms {
		if !finite(m.X) || m.X < xmin || m.X > xmax {
			continue
		}
		top := ylo + (yhi-ylo)*0.04
		if m.Fall {
			top = yhi
		}
		l, err := plotter.NewLine(plotter.XYs{{X: m.X, Y: ylo}, {X: m.X, Y: top}})
		if err != nil {
			return err
		}
		l.LineStyle.Color = colorSession
		l.LineStyle.Width = vg.Points(1)
		if m.Fall {
			l.LineStyle.Color = colorHigh
			l.LineStyle.Width = vg.Points(1.5)
			l.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		}
		p.Add(l)
		switch {
		case m.Fall && !fallShown:
			p.Legend.Add("fall", l)
			fallShown = true
		case !m.Fall && !sessionShown:
			p.Legend.Add("exercise session", l)
			sessionShown = true
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
