package main

import (
	"context"
	"errors"
	"io"
)

// runAnalyze implements `balance analyze FILE`. Placeholder until the analysis
// command lands.
func runAnalyze(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("analyze: not built yet")
}
