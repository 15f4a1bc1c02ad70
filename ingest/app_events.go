package ingest

import (
	"context"
	"fmt"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// RecordEvent takes a session start or stop that did not come over MQTT
// (the patient pressed Start in the app) along the path a device's event
// takes: the same wire encoding and decoding (validation included), the
// device must be bound to the event's patient, the event is stored, then
// handed to OnEvent (monitoring and progression), so the session is
// analysed exactly as one the device marked. It returns the stored event,
// or an EINVALID / ENOTFOUND / ECONFLICT error in words.
func (p *Pipeline) RecordEvent(ctx context.Context, ev balance.DeviceEvent) (balance.DeviceEvent, error) {
	now := p.now()
	stored, err := wire.DecodeEvent(ev.DeviceID, wire.EncodeEvent(ev), now)
	if err != nil {
		return balance.DeviceEvent{}, err
	}
	dev, err := p.deps.Registry.Device(ctx, ev.DeviceID)
	if err != nil {
		return balance.DeviceEvent{}, err
	}
	if dev.PatientID == "" || dev.PatientID != ev.PatientID {
		return balance.DeviceEvent{}, balance.Errorf(balance.ECONFLICT, "device %s is not bound to patient %s", ev.DeviceID, ev.PatientID)
	}
	stored.PatientID = dev.PatientID
	if err := p.deps.Registry.SaveEvent(ctx, stored); err != nil {
		return balance.DeviceEvent{}, fmt.Errorf("ingest: store the app's %s event: %w", stored.Action, err)
	}
	p.m.messages.WithLabelValues("app_event").Inc()
	if p.deps.OnEvent != nil {
		p.deps.OnEvent(stored)
	}
	return stored, nil
}
