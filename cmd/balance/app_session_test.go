package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/sim"
)

// TestAppSessionAnalysedLikeTheDevices: a sway test started and stopped
// from the app (POST …/sessions/start and …/stop, as the patient's Start
// and Stop buttons do) while the worn sensor streams over MQTT is
// recorded as the device's own start and stop events and analysed by
// monitoring like any session: stored under the device and the app's
// session id, with the stance's duration (12 s streamed from start to
// stop, less the 2 s the sway analysis trims; ±1 s for the buttons' timing
// against the stream) and sway measures. Stopping twice is refused, and so are a patient without a
// sensor and an unknown kind.
func TestAppSessionAnalysedLikeTheDevices(t *testing.T) {
	e := startE2E(t, 1)
	var started httpapi.AppSession
	if st := apiCall(t, "POST", e.base+"/api/v1/patients/p0/sessions/start", "admin", testAdminPassword, `{"kind":"sway_test"}`, &started); st != 201 {
		t.Fatalf("start: %d", st)
	}
	if started.DeviceID != "d0" || !strings.HasPrefix(started.SessionID, "app-") || time.Since(started.StartedAt) > 5*time.Second {
		t.Fatalf("started %+v", started)
	}
	// The stance, streamed in real time by the worn sensor from the start.
	s := sim.NewScenario(sim.DefaultBody(), 100, 5)
	s.Stand(12, sim.StanceCondition{Stance: sim.FeetApart}, sim.SwayOptions{Session: balance.SessionSway, LossAtS: -1})
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	e.play(t, "d0", s.Samples(sim.TypicalSensor(), started.StartedAt.UnixNano()), 100, 10)
	var stopped httpapi.AppSession
	if st := apiCall(t, "POST", e.base+"/api/v1/patients/p0/sessions/"+started.SessionID+"/stop", "admin", testAdminPassword, "", &stopped); st != 200 {
		t.Fatalf("stop: %d", st)
	}
	if st := apiCall(t, "POST", e.base+"/api/v1/patients/p0/sessions/"+started.SessionID+"/stop", "admin", testAdminPassword, "", nil); st != 409 {
		t.Errorf("second stop: %d, want 409", st)
	}
	var got balance.ExerciseSession
	for deadline := time.Now().Add(20 * time.Second); got.ID == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var list struct {
			Sessions []balance.ExerciseSession `json:"sessions"`
		}
		apiCall(t, "GET", e.base+"/api/v1/patients/p0/sessions", "admin", testAdminPassword, "", &list)
		for _, x := range list.Sessions {
			if x.ID == "d0:"+started.SessionID {
				got = x
			}
		}
	}
	if got.ID == "" {
		t.Fatal("the app's session was not analysed within 20 s")
	}
	// The sway analysis trims 1 s at each end (analysis.SwayOptions'
	// default TrimSec), so 12 s streamed analyse as 10 s.
	want := math.Min(stopped.StoppedAt.Sub(started.StartedAt).Seconds(), 12) - 2
	if got.Kind != balance.SessionSway || math.Abs(got.HoldS-want) > 1 || got.Sway["rms"] <= 0 {
		b, _ := json.Marshal(got)
		t.Errorf("analysed session %s; want a sway test of about %.1f s analysed, with sway measures", b, want)
	}
	// A patient with no sensor bound.
	if st := apiCall(t, "POST", e.base+"/api/v1/patients", "admin", testAdminPassword, `{"id":"p-nosensor","name":"No Sensor"}`, nil); st != 201 {
		t.Fatal(st)
	}
	if st := apiCall(t, "POST", e.base+"/api/v1/patients/p-nosensor/sessions/start", "admin", testAdminPassword, `{"kind":"sway_test"}`, nil); st != 409 {
		t.Errorf("start without a sensor: %d, want 409", st)
	}
	if st := apiCall(t, "POST", e.base+"/api/v1/patients/p0/sessions/start", "admin", testAdminPassword, `{"kind":"juggling"}`, nil); st != 400 {
		t.Errorf("unknown kind: %d, want 400", st)
	}
}
