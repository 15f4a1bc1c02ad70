package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/balance-pt/balance/internal/testenv"
)

// TestValidateCommand: `balance validate -set falls` prints the falls
// section with its floors and succeeds (the floors hold: package
// validation asserts them); an unknown set and stray arguments are errors.
func TestValidateCommand(t *testing.T) {
	testenv.SharedData(t, "sisfall-more")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"validate", "-set", "falls"}, &out, io.Discard); err != nil {
		t.Fatalf("validate -set falls: %v", err)
	}
	for _, want := range []string{"# Validation on recordings made by others", "## Falls", "**Floors**", "(pass)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "## Gait") {
		t.Errorf("-set falls printed the gait sections too")
	}
	if err := run(context.Background(), []string{"validate", "-set", "nosuch"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown set: err %v, want one naming it", err)
	}
	if err := run(context.Background(), []string{"validate", "extra"}, io.Discard, io.Discard); err == nil {
		t.Errorf("stray argument accepted")
	}
}
