package main

import (
	"context"
	"fmt"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/sim"
)

// simPrefix is the device-id prefix of the in-process simulated wearables.
const simPrefix = "sim-"

// runFleet runs the embedded default's simulated wearables in-process
// through the same MQTT path a real device takes, until ctx ends. Their
// patients (height, sensor height, neuropathy) are registered and bound
// first, as a clinic would do.
func runFleet(ctx context.Context, a *App, brokerURL string) error {
	c := a.Config.Sim
	enc := sim.Encoding(c.Encoding)
	secrets := map[string]string{}
	for _, d := range sim.Population(c.Devices, simPrefix, c.RateHz, enc, c.Seed, false) {
		p := d.Model.Patient
		if err := a.State.CreatePatient(ctx, p); err != nil {
			return fmt.Errorf("register simulated patient %s: %w", p.ID, err)
		}
		if err := a.State.RegisterDevice(ctx, balance.Device{ID: d.Config.ID, PatientID: p.ID}); err != nil {
			return fmt.Errorf("register simulated device %s: %w", d.Config.ID, err)
		}
		// Each simulated wearable logs in with its own secret, as a real one.
		secret, err := a.State.IssueDeviceSecret(ctx, d.Config.ID)
		if err != nil {
			return fmt.Errorf("secret of simulated device %s: %w", d.Config.ID, err)
		}
		secrets[d.Config.ID] = secret
	}
	_, err := sim.RunFleet(ctx, sim.FleetConfig{
		Broker:       brokerURL,
		Devices:      c.Devices,
		RateHz:       c.RateHz,
		Speed:        1,
		Encoding:     enc,
		Seed:         c.Seed,
		DevicePrefix: simPrefix,
		Secret:       func(id string) string { return secrets[id] },
	}, a.Log.With("component", "sim"))
	return err
}
