package main

import (
	"context"
	"errors"
	"io"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, embedded bool) error {
	return errors.New("serve: not built yet")
}
