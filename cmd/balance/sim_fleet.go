package main

import (
	"context"
	"log/slog"

	"github.com/balance-pt/balance/sim"
)

// The embedded default runs simulated wearables in-process through the same
// MQTT path a real device takes.
func init() {
	fleetRunner = func(ctx context.Context, brokerURL string, cfg Config, log *slog.Logger) error {
		_, err := sim.RunFleet(ctx, sim.FleetConfig{
			Broker:   brokerURL,
			Devices:  cfg.Sim.Devices,
			RateHz:   cfg.Sim.RateHz,
			Speed:    1,
			Encoding: sim.Encoding(cfg.Sim.Encoding),
			Seed:     cfg.Sim.Seed,
		}, log)
		return err
	}
}
