package wire

import (
	"math"

	"github.com/balance-pt/balance"
)

// Unit conversion factors to SI. StandardGravity is g₀ = 9.80665 m/s² exactly
// (3rd CGPM, 1901; SI Brochure, 9th ed., 2019); one degree is π/180 rad by
// definition of the degree (SI Brochure, table 8).
const (
	gToMS2      = balance.StandardGravity
	degToRad    = math.Pi / 180
	unitSI      = 1.0
	unitUnknown = 0.0
)

// Canonical unit spellings written by the encoders.
const (
	UnitG    = "g"
	UnitMS2  = "m/s2"
	UnitDegS = "deg/s"
	UnitRadS = "rad/s"
)

// accUnitFactor returns the factor that turns an acceleration in unit u into
// m/s², or 0 if u is not one of the accepted spellings.
func accUnitFactor(u []byte) float64 {
	switch string(u) {
	case "m/s2", "m/s^2", "m/s²":
		return unitSI
	case "g":
		return gToMS2
	}
	return unitUnknown
}

// gyroUnitFactor returns the factor that turns an angular rate in unit u into
// rad/s, or 0 if u is not one of the accepted spellings.
func gyroUnitFactor(u []byte) float64 {
	switch string(u) {
	case "rad/s":
		return unitSI
	case "deg/s", "dps", "°/s":
		return degToRad
	}
	return unitUnknown
}
