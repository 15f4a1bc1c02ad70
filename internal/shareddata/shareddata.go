// Package shareddata finds the shared/data folder of real recordings made by
// others (SisFall, IPOL, mobgap): not part of the repository, laid beside
// the checkout where validation runs.
package shareddata

import (
	"os"
	"path/filepath"
)

// Dir returns the shared/data folder found by walking up from the working
// directory, or "" when there is none.
func Dir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "data")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
