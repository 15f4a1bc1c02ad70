package main

import (
	"context"
	"errors"
	"io"
)

// runSim implements `balance sim`. Placeholder until the simulator command lands.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("sim: not built yet")
}
