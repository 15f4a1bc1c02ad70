package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// EventRecorder takes a session event that did not come over MQTT along the
// path of a device's events (*ingest.Pipeline implements it).
type EventRecorder interface {
	RecordEvent(ctx context.Context, ev balance.DeviceEvent) (balance.DeviceEvent, error)
}

// sessionStart is the body of POST /api/v1/patients/{id}/sessions/start.
type sessionStart struct {
	Kind       string `json:"kind"`
	ExerciseID string `json:"exercise_id"`
}

// AppSession is a session started from the app: which device records it.
type AppSession struct {
	SessionID  string    `json:"session_id"`
	DeviceID   string    `json:"device_id"`
	Kind       string    `json:"kind"`
	ExerciseID string    `json:"exercise_id,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	StoppedAt  time.Time `json:"stopped_at,omitzero"`
}

// startSession handles POST /api/v1/patients/{id}/sessions/start: the
// patient (or their clinician) starts a session on the patient's worn
// sensor, recorded as the device's own start event would be.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := balance.CheckPatient(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	var body sessionStart
	if err := readJSON(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	dev, err := s.wornDevice(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ev, err := s.Events.RecordEvent(r.Context(), balance.DeviceEvent{DeviceID: dev, PatientID: id, Action: wire.ActionStart,
		Kind: body.Kind, ExerciseID: body.ExerciseID, SessionID: newAppSessionID(), Time: time.Now()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Logger.Info("session started from the app", "patient", id, "device", dev, "session", ev.SessionID, "kind", ev.Kind, "by", balance.Actor(r.Context(), ""))
	writeJSON(w, http.StatusCreated, AppSession{SessionID: ev.SessionID, DeviceID: dev, Kind: ev.Kind, ExerciseID: ev.ExerciseID, StartedAt: ev.Time})
}

// stopSession handles POST /api/v1/patients/{id}/sessions/{sid}/stop: the
// stop event of a session started from the app (the kind and exercise of
// its start event); monitoring then analyses the samples in between.
func (s *Server) stopSession(w http.ResponseWriter, r *http.Request) {
	id, sid := r.PathValue("id"), r.PathValue("sid")
	if err := balance.CheckPatient(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	start, err := s.startEvent(r.Context(), id, sid)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	stop := start
	stop.Action, stop.Time = wire.ActionStop, time.Now()
	ev, err := s.Events.RecordEvent(r.Context(), stop)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.Logger.Info("session stopped from the app", "patient", id, "device", ev.DeviceID, "session", sid, "by", balance.Actor(r.Context(), ""))
	writeJSON(w, http.StatusOK, AppSession{SessionID: sid, DeviceID: ev.DeviceID, Kind: ev.Kind, ExerciseID: ev.ExerciseID, StartedAt: start.Time, StoppedAt: ev.Time})
}

// wornDevice is the patient's sensor: the bound device that reported
// last (the only one, usually). ECONFLICT when none is bound.
func (s *Server) wornDevice(ctx context.Context, patientID string) (string, error) {
	devs, err := s.Registry.Devices(ctx)
	if err != nil {
		return "", err
	}
	sts, err := s.Registry.Statuses(ctx)
	if err != nil {
		return "", err
	}
	last := map[string]time.Time{}
	for _, st := range sts {
		last[st.DeviceID] = st.ReceivedAt
	}
	best := ""
	for _, d := range devs {
		if d.PatientID == patientID && (best == "" || last[d.ID].After(last[best])) {
			best = d.ID
		}
	}
	if best == "" {
		return "", balance.Errorf(balance.ECONFLICT, "no sensor is bound to patient %s: ask the clinic to bind one", patientID)
	}
	return best, nil
}

// startEvent finds the start event of an app session of the patient
// within the last 12 hours (ENOTFOUND otherwise; ECONFLICT once stopped).
func (s *Server) startEvent(ctx context.Context, patientID, sid string) (balance.DeviceEvent, error) {
	devs, err := s.Registry.Devices(ctx)
	if err != nil {
		return balance.DeviceEvent{}, err
	}
	var start *balance.DeviceEvent
	for _, d := range devs {
		if d.PatientID != patientID {
			continue
		}
		evs, err := s.Registry.Events(ctx, d.ID, time.Now().Add(-12*time.Hour))
		if err != nil {
			return balance.DeviceEvent{}, err
		}
		for i := range evs {
			if evs[i].SessionID != sid {
				continue
			}
			if evs[i].Action == wire.ActionStop {
				return balance.DeviceEvent{}, balance.Errorf(balance.ECONFLICT, "session %s is already stopped", sid)
			}
			start = &evs[i]
		}
	}
	if start == nil {
		return balance.DeviceEvent{}, balance.Errorf(balance.ENOTFOUND, "no session %s started in the last 12 hours", sid)
	}
	return *start, nil
}

// newAppSessionID names a session started from the app: "app-", the Unix
// time in ms (base 36) and 32 random bits.
func newAppSessionID() string {
	var b [4]byte
	rand.Read(b[:])
	return "app-" + strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + hex.EncodeToString(b[:])
}
