// Command balance runs the balance system: with no arguments the embedded
// default (in-process MQTT broker, embedded store, simulated wearables);
// `serve` against external services; `sim` the wearable simulator;
// `analyze` the analysis of a recording file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h printed the help: not an error
		}
		fmt.Fprintln(os.Stderr, "balance:", err)
		os.Exit(1)
	}
}

const usage = `usage: balance [command] [flags]

commands:
  (none)    start the embedded default: broker, store, simulated wearables, API
            (takes the flags of serve; see 'balance embedded -h')
  serve     run against external services (--config FILE)
  sim       run the wearable simulator
  analyze   analyse a recording file
  validate  judge the analysis on the shared real recordings (report + floors)
  healthcheck
            exit 0 if a running instance's /healthz answers 200 (for containers)
  mqtt-auth write Mosquitto's password and ACL files from the device registry
  version   print the build (version, VCS revision, Go version)
  help      show this text

Run 'balance COMMAND -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help") {
		// No command: the embedded default, with any flags given.
		return runServe(ctx, args, stdout, stderr, true)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr, false)
	case "embedded": // the same as no command, named for -h
		return runServe(ctx, args[1:], stdout, stderr, true)
	case "sim":
		return runSim(ctx, args[1:], stdout, stderr)
	case "analyze":
		return runAnalyze(ctx, args[1:], stdout, stderr)
	case "validate":
		return runValidate(ctx, args[1:], stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], stdout, stderr)
	case "mqtt-auth":
		return runMQTTAuth(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		return runVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}
