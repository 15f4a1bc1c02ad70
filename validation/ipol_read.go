package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
)

// ipolRateHz is the lower-back Xsens MTw rate of the IPOL data set
// (README.txt: "Acquisition frequency: 100 Hz").
const ipolRateHz = 100.0

// ipolWalk is one IPOL trial: the lower-back samples and the reference.
type ipolWalk struct {
	Name    string // "N-T"
	Subject int
	// Samples carry TimeNS = PacketCounter/100 s (recording.ReadFile):
	// dropped packets are time gaps.
	Samples []balance.Sample
	// Counter is the PacketCounter of each sample (the reference's time
	// base: its sample indices are PacketCounter values).
	Counter []int
	Ref     ipolRef
}

// ipolRef is the reference of one trial (README.txt of ipol-gait-dev).
type ipolRef struct {
	Subject         int
	Trial           int
	Height          float64 // cm
	TrialBoundaries [2]int
	UTurnBoundaries [2]int
	LeftFootEvents  [][2]int
	RightFootEvents [][2]int
}

// ICs returns the reference initial contacts, PacketCounter values in
// increasing order: the end of each footstep of either foot.
func (r ipolRef) ICs() []int {
	var out []int
	for _, e := range r.LeftFootEvents {
		out = append(out, e[1])
	}
	for _, e := range r.RightFootEvents {
		out = append(out, e[1])
	}
	sortInts(out)
	return out
}

func sortInts(x []int) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

// readIPOLWalk reads base+"_lb.txt" (an Xsens text export: tab-separated
// PacketCounter, Acc_X/Y/Z m/s², Gyr_X/Y/Z rad/s, Mag_X/Y/Z after an
// "Acquisition frequency: 100 Hz" line) with recording.ReadFile, and the
// reference base+".json".
func readIPOLWalk(base string) (ipolWalk, error) {
	var w ipolWalk
	jb, err := os.ReadFile(base + ".json")
	if err != nil {
		return w, fmt.Errorf("ipol reference: %w", err)
	}
	// The files write missing values as a bare NaN, which JSON lacks.
	jb = bytes.ReplaceAll(jb, []byte(": NaN"), []byte(": null"))
	if err := json.Unmarshal(jb, &w.Ref); err != nil {
		return w, fmt.Errorf("ipol reference %s.json: %w", base, err)
	}
	w.Subject = w.Ref.Subject
	w.Name = fmt.Sprintf("%d-%d", w.Ref.Subject, w.Ref.Trial)
	rec, err := recording.ReadFile(base+"_lb.txt", recording.Options{})
	if err != nil {
		return w, fmt.Errorf("ipol recording: %w", err)
	}
	if rec.RateHz != ipolRateHz || len(rec.Samples) == 0 {
		return w, fmt.Errorf("ipol recording %s_lb.txt: %d samples at %v Hz, want 100 Hz", base, len(rec.Samples), rec.RateHz)
	}
	// The reader times each sample at PacketCounter / rate.
	w.Samples = rec.Samples
	w.Counter = make([]int, len(rec.Samples))
	for i, s := range rec.Samples {
		w.Counter[i] = int(math.Round(float64(s.TimeNS) * ipolRateHz / 1e9))
	}
	return w, nil
}
