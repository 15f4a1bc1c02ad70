package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/balance-pt/balance/internal/shareddata"
	"github.com/balance-pt/balance/validation"
)

// runValidate implements `balance validate`: it runs every validation data
// set (or those named by -set), prints the report as Markdown (or writes it
// to -o), and fails when a floor is not met or a data set is missing.
func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("balance validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "shared data `folder` (default: shared/data found above the working directory)")
	out := fs.String("o", "", "write the report to `file` instead of standard output")
	sets := fs.String("set", "", "comma-separated data `sets` to run (default all: "+setNames()+")")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("validate: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	dir := *data
	if dir == "" {
		if dir = shareddata.Dir(); dir == "" {
			return fmt.Errorf("validate: no shared/data folder above the working directory; give -data")
		}
	}
	var names []string
	if *sets != "" {
		names = strings.Split(*sets, ",")
	}
	sections, err := validation.Run(dir, names)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	var b bytes.Buffer
	if err := validation.WriteReport(&b, sections); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	var failed []string
	for _, s := range sections {
		for _, f := range s.Failed() {
			failed = append(failed, s.Title+": "+f.String())
		}
	}
	if *out == "" {
		if _, err := stdout.Write(b.Bytes()); err != nil {
			return fmt.Errorf("validate: %w", err)
		}
	} else if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("validate: %d floor(s) not met:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return nil
}

func setNames() string {
	var n []string
	for _, s := range validation.Sets {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
