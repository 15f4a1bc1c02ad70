package validation

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Set is one shared data set and its evaluator.
type Set struct {
	// Name is the short name `balance validate -set` takes.
	Name string
	// Folder is the data set's folder under shared/data.
	Folder string
	// Evaluate runs the analysis over the folder (its path) and judges it.
	Evaluate func(folder string) (Section, error)
}

// Sets lists every data set the report covers, in report order.
var Sets = []Set{FallsSet, IPOLSet, MobgapSet}

// Run evaluates the named sets (every set when names is empty) over the
// folders under dataDir. A missing folder is an error, not a skip: a
// report that silently leaves a data set out would read as a pass.
func Run(dataDir string, names []string) ([]Section, error) {
	for _, n := range names {
		if !hasSet(n) {
			return nil, fmt.Errorf("validation: unknown data set %q", n)
		}
	}
	var out []Section
	for _, s := range Sets {
		if len(names) > 0 && !slices.Contains(names, s.Name) {
			continue
		}
		folder := filepath.Join(dataDir, s.Folder)
		if _, err := os.Stat(folder); err != nil {
			return out, fmt.Errorf("validation: data set %s: %w", s.Name, err)
		}
		sec, err := s.Evaluate(folder)
		if err != nil {
			return out, fmt.Errorf("validation: data set %s: %w", s.Name, err)
		}
		out = append(out, sec)
	}
	return out, nil
}

func hasSet(name string) bool {
	for _, s := range Sets {
		if s.Name == name {
			return true
		}
	}
	return false
}
