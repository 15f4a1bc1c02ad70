package analysis

// initiationRelMin is the least trunk movement of the first step of a bout
// relative to the median step of that bout. Before the first heel strike of
// a walk from standing, the anticipatory weight shift onto the stance leg
// and the first foot-off move the trunk, and the initial-contact detector
// marks a contact there, about one swing time before the real first one;
// that "step" moves the vertical trunk acceleration (0.5-3 Hz band) several
// times less than the steps that follow. The fraction is strideRelMin's one
// third (the same physical argument for fidgeting next to walking), not
// fitted to any recording.
const initiationRelMin = strideRelMin

// trimInitiation drops from the start of each bout the initial contacts
// whose following step moves the trunk less than initiationRelMin times the
// median step of the bout (the standard deviation of bp, the 0.5-3 Hz
// band-passed vertical acceleration, from one contact to the next; idx are
// the contacts' sample indices), then drops the bouts left with fewer than
// r.MinStrides valid strides. Gait initiation then starts at the first heel
// strike, as the walking-bout definition of Mobilise-D (Kluge et al. 2021)
// and the foot-sensor references (Voisard et al. IPOL 2023) count it.
func trimInitiation(spans []BoutSpan, bp []float64, idx []int, r BoutRules) []BoutSpan {
	out := spans[:0]
	for _, sp := range spans {
		sd := make([]float64, sp.Last-sp.First)
		for s := range sd {
			k := sp.First + s
			sd[s] = stdPop(bp[idx[k] : idx[k+1]+1])
		}
		ref := initiationRelMin * medianOf(append([]float64(nil), sd...))
		for s := 0; sp.Last-sp.First >= 2 && sd[s] < ref; s++ {
			if sp.Valid[0] {
				sp.NumStrides--
			}
			sp.Valid = sp.Valid[1:]
			sp.First++
		}
		if sp.Last-sp.First >= 2 && sp.NumStrides >= max(1, r.MinStrides) {
			out = append(out, sp)
		}
	}
	return out
}
