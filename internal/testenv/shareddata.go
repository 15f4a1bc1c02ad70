package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance/internal/shareddata"
)

// SharedDataDir returns the shared/data folder found by walking up from the
// working directory (a test's package directory), or "" when there is none.
// The recordings in it are not part of the repository; CI lays shared/
// beside the checkout.
func SharedDataDir() string { return shareddata.Dir() }

// SharedData returns shared/data/rel (a file or folder, slash-separated),
// skipping the test when it is absent: the data-dependent validations run
// where the shared recordings are present, as in CI.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	if d := SharedDataDir(); d != "" {
		p := filepath.Join(d, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("shared/data/%s not found above the test directory", rel)
	return ""
}
