package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// ForwardSource tells where a sway trial's forward axis came from.
type ForwardSource string

// Forward axis sources, best first.
const (
	// ForwardWalking: from walking recorded around the trial (AlignToBody).
	ForwardWalking ForwardSource = "walking"
	// ForwardDeclared: the device's declared mounting (not checked).
	ForwardDeclared ForwardSource = "declared"
	// ForwardNone: unknown; Sway flags SwayAPUnknown.
	ForwardNone ForwardSource = "none"
)

// SwayForwardMaxSec is how much of the recording on each side of a trial
// SwayForward looks at: 10 minutes nearest the trial, so that the device
// has most likely stayed where it was worn (a device moved on the body
// between the walk and the trial gives a wrong axis), and AlignToBody's
// cost stays bounded.
const SwayForwardMaxSec = 600

// SwayHeading is the forward axis of a sway trial and its source.
type SwayHeading struct {
	// Forward is the wearer's forward axis in sensor coordinates (unit),
	// zero when Source is ForwardNone: pass it as SwayOptions.Forward.
	Forward [3]float64
	Source  ForwardSource
}

// SwayForward finds the wearer's forward axis for a quiet-stance trial,
// which cannot reveal it (sway has no preferred direction): from walking
// recorded by the same device just before the trial (the last
// SwayForwardMaxSec of before), else just after it (the first
// SwayForwardMaxSec of after), by AlignToBody (the horizontal axis of
// largest step-frequency acceleration, Zijlstra & Hof 2003's
// inverted-pendulum phase for its sign); else the device's declared
// forward axis (sensor coordinates, any length; zero when not declared);
// else ForwardNone. before and after must be gap-free at fs Hz (a part
// AlignToBody refuses, or that holds less than 4 s of walking, is passed
// over). The sign of the axis does not matter to the sway measures.
func SwayForward(before, after []balance.Sample, fs float64, declared [3]float64) SwayHeading {
	lim := int(SwayForwardMaxSec * fs)
	if len(before) > lim {
		before = before[len(before)-lim:]
	}
	if len(after) > lim {
		after = after[:lim]
	}
	for _, part := range [][]balance.Sample{before, after} {
		if len(part) < int(5*fs) {
			continue
		}
		b, err := AlignToBody(part, fs, AlignOptions{DeclaredForward: declared})
		if err == nil && b.Quality&AlignNoWalking == 0 && b.Forward != ([3]float64{}) {
			return SwayHeading{Forward: b.Forward, Source: ForwardWalking}
		}
	}
	if d := unit(declared); d != ([3]float64{}) {
		return SwayHeading{Forward: d, Source: ForwardDeclared}
	}
	return SwayHeading{Source: ForwardNone}
}

// ParseAxis reads a direction in sensor axes, as a device's declared
// mounting or `balance analyze --sensor-forward` give it: "" (none, the
// zero vector), +x, -x, +y, -y, +z, -z (case and a leading + optional), or
// three numbers X,Y,Z not all zero (any length).
func ParseAxis(s string) ([3]float64, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var v [3]float64
	switch strings.TrimPrefix(s, "+") {
	case "":
		return v, nil
	case "x", "y", "z", "-x", "-y", "-z":
		t := strings.TrimPrefix(s, "+")
		sign := 1.0
		if strings.HasPrefix(t, "-") {
			sign, t = -1, t[1:]
		}
		v[t[0]-'x'] = sign
		return v, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return v, fmt.Errorf("%q: want +x, -x, +y, -y, +z, -z or X,Y,Z", s)
	}
	var n float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return [3]float64{}, fmt.Errorf("%q: component %d is not a number", s, i+1)
		}
		v[i] = f
		n += f * f
	}
	if n == 0 {
		return [3]float64{}, fmt.Errorf("%q: the zero vector is not an axis", s)
	}
	return v, nil
}
