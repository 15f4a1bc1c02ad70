package analysis

import (
	"math"

	"github.com/balance-pt/balance"
)

// synthWalk builds a recording at fs Hz of durS seconds: standing still,
// then walking from walkFrom to walkTo s with step frequency stepHz, the
// trunk moving vertically as d(t) = (h/2)·cos(2π·stepHz·t) (so the vertical
// acceleration is −(2π·stepHz)²·d(t)), a stride-frequency component of
// amplitude asym m/s² (left-right difference), and gravity along a sensor
// axis tilted by tiltDeg from the sensor's x axis. A tiny deterministic
// ripple keeps standing from being exactly constant.
func synthWalk(fs, durS, walkFrom, walkTo, stepHz, h, asym, tiltDeg float64) []balance.Sample {
	n := int(durS * fs)
	th := tiltDeg * math.Pi / 180
	up := [3]float64{math.Cos(th), 0, math.Sin(th)}
	w := 2 * math.Pi * stepHz
	out := make([]balance.Sample, n)
	for i := range out {
		t := float64(i) / fs
		v := 0.002 * math.Sin(2*math.Pi*0.37*t) // standing ripple, m/s²
		if t >= walkFrom && t < walkTo {
			tt := t - walkFrom
			v += -w * w * h / 2 * math.Cos(w*tt)
			v += asym * math.Sin(w/2*tt)
		}
		a := balance.StandardGravity + v
		out[i] = balance.Sample{
			TimeNS: 1_700_000_000_000_000_000 + int64(math.Round(t*1e9)),
			Acc:    [3]float64{a * up[0], a * up[1], a * up[2]},
		}
	}
	return out
}
