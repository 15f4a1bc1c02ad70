package validation

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
)

// fallTrial is one SisFall trial: its subject and activity code come from
// the file name (CODE_SUBJECT_Rnn.txt), which is the reference label
// (SisFall README: Fnn = fall, Dnn = daily activity).
type fallTrial struct {
	Set, File, Subject, Code string
	Fall                     bool
	RateHz                   float64
	Samples                  []balance.Sample
}

// sisFallUp is the SisFall waist sensor's declared mounting: upright, +y
// points down (README.txt of the data sets; recording.ReadSisFall's axes
// metadata), so "up" is -y. It is the device's declaration, not fitted.
var sisFallUp = [3]float64{0, -1, 0}

// fallSets are the SisFall subsets read by Falls, under the data folder.
var fallSets = []string{"sisfall-dev", "sisfall-more"}

// loadFallTrials reads every raw/*.txt trial of the SisFall subsets under
// dataDir, sorted by set and file name. A missing subset is an error.
func loadFallTrials(dataDir string) ([]fallTrial, error) {
	var out []fallTrial
	for _, set := range fallSets {
		files, err := filepath.Glob(filepath.Join(dataDir, set, "raw", "*.txt"))
		if err != nil {
			return nil, fmt.Errorf("falls: %s: %w", set, err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("falls: no trials under %s: %w", filepath.Join(dataDir, set, "raw"), os.ErrNotExist)
		}
		sort.Strings(files)
		for _, f := range files {
			parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".txt"), "_")
			if len(parts) < 2 || len(parts[0]) != 3 || (parts[0][0] != 'F' && parts[0][0] != 'D') {
				return nil, fmt.Errorf("falls: %s: not a SisFall trial name", f)
			}
			rf, err := os.Open(f)
			if err != nil {
				return nil, fmt.Errorf("falls: %w", err)
			}
			rec, err := recording.ReadSisFall(rf)
			rf.Close()
			if err != nil {
				return nil, fmt.Errorf("falls: %s: %w", f, err)
			}
			out = append(out, fallTrial{Set: set, File: filepath.Base(f), Subject: parts[1], Code: parts[0],
				Fall: parts[0][0] == 'F', RateHz: rec.RateHz, Samples: rec.Samples})
		}
	}
	return out, nil
}

// fallDevSubject reports whether a subject belongs to the development
// group (issue 12): sisfall-dev's subjects (SA01, SE02) and SA02-SA06.
// Everyone else (SA07-SA12 and the older adults SE01, SE03-SE10) is kept
// aside for reporting.
func fallDevSubject(subject string) bool {
	switch subject {
	case "SA01", "SE02", "SA02", "SA03", "SA04", "SA05", "SA06":
		return true
	}
	return false
}

// FallsSet is the falls entry for Sets: its Folder is sisfall-more, and
// Falls reads sisfall-dev beside it.
var FallsSet = Set{Name: "falls", Folder: "sisfall-more",
	Evaluate: func(folder string) (Section, error) { return Falls(filepath.Dir(folder)) }}
