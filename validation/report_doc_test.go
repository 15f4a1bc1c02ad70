package validation

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

// TestReportDocIsCurrent: docs/validation.md is exactly what `balance
// validate` writes today, so the published figures are the analysis's
// figures (regenerate with go run ./cmd/balance validate -o
// docs/validation.md after a change to the analysis).
func TestReportDocIsCurrent(t *testing.T) {
	for _, s := range Sets {
		testenv.SharedData(t, s.Folder)
	}
	secs, err := Run(testenv.SharedDataDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := WriteReport(&want, secs); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "docs", "validation.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want.Bytes(), []byte("\n"))
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Fatalf("docs/validation.md is stale from line %d:\n  file: %s\n  now:  %s\nregenerate: go run ./cmd/balance validate -o docs/validation.md", i+1, g, w)
			}
		}
	}
}
