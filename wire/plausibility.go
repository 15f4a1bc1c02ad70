package wire

import (
	"math"

	"github.com/balance-pt/balance"
)

// Thresholds of the unit plausibility check (see checkUnits).
const (
	// plausibleSpanNS is the shortest batch span judged: 0.5 s.
	plausibleSpanNS = 500_000_000
	// freeFallMS2: a body-worn sensor in m/s² reads at least this much in any
	// half second, as |acc| ≈ 0 only in free fall and a free fall of 0.5 s is
	// a drop of g₀·0.5²/2 ≈ 1.2 m.
	freeFallMS2 = 0.25 * balance.StandardGravity
	// maxMeanAccMS2: a mean |acc| of 4 g₀ over half a second is far beyond
	// walking, jogging and falls (impact peaks are brief), but is what a
	// sensor at rest (1 g₀ ≈ 9.8) reads when m/s² values are declared as g.
	maxMeanAccMS2 = 4 * balance.StandardGravity
	// maxMeanGyroRadS: a mean |ω| of 10 rad/s over half a second would turn
	// the trunk by more than 2.5 rad (≈ 290°) in that time; the trunk's peak
	// rate in falls is about 3 rad/s (Bourke & Lyons 2008 detect falls above
	// 3.1 rad/s). Walking in deg/s declared as rad/s exceeds it.
	maxMeanGyroRadS = 10.0
)

// checkUnits reports EUNITS when a batch spanning at least 0.5 s cannot be in
// the units it declared:
//   - declared m/s² but every |acc| < 0.25 g₀: it is in g (no body-worn
//     sensor is in free fall for half a second);
//   - declared g but mean |acc| > 4 g₀: it is in m/s²;
//   - declared rad/s but mean |ω| > 10 rad/s: it is in deg/s.
//
// Gyro data in rad/s declared as deg/s looks like a very still sensor, which
// is physically possible, so that mistake is not detected. Non-finite values
// never trigger the check (balance.Batch.Validate reports them).
func checkUnits(s []balance.Sample, u declared) error {
	if len(s) < 2 || s[len(s)-1].TimeNS-s[0].TimeNS < plausibleSpanNS {
		return nil
	}
	allLow := true
	var sumAcc, sumGyro float64
	for i := range s {
		a := math.Sqrt(s[i].Acc[0]*s[i].Acc[0] + s[i].Acc[1]*s[i].Acc[1] + s[i].Acc[2]*s[i].Acc[2])
		g := math.Sqrt(s[i].Gyro[0]*s[i].Gyro[0] + s[i].Gyro[1]*s[i].Gyro[1] + s[i].Gyro[2]*s[i].Gyro[2])
		allLow = allLow && a < freeFallMS2
		sumAcc += a
		sumGyro += g
	}
	n := float64(len(s))
	switch {
	case u.acc == unitSI && allLow:
		return balance.Errorf(balance.EUNITS, "acc declared in m/s² but every |acc| is below %.2f m/s² for %.2f s: looks like g", freeFallMS2, spanSeconds(s))
	case u.acc == gToMS2 && sumAcc/n > maxMeanAccMS2:
		return balance.Errorf(balance.EUNITS, "acc declared in g but mean |acc| is %.1f g over %.2f s: looks like m/s²", sumAcc/n/balance.StandardGravity, spanSeconds(s))
	case u.gyro == unitSI && sumGyro/n > maxMeanGyroRadS:
		return balance.Errorf(balance.EUNITS, "gyro declared in rad/s but mean |ω| is %.1f rad/s over %.2f s: looks like deg/s", sumGyro/n, spanSeconds(s))
	}
	return nil
}

func spanSeconds(s []balance.Sample) float64 {
	return float64(s[len(s)-1].TimeNS-s[0].TimeNS) / 1e9
}
