package balance

import (
	"testing"
	"time"
)

func TestSilenceCovers(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	s := Silence{PatientID: "p1", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	dev := Silence{PatientID: "p1", DeviceID: "d1", StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	falls := Silence{PatientID: "p1", Kinds: []string{AlertFall}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		s    Silence
		a    Alert
		at   time.Duration
		want bool
	}{
		{"offline during", s, Alert{PatientID: "p1", Kind: AlertDeviceOffline}, 10 * time.Minute, true},
		{"before it starts", s, Alert{PatientID: "p1", Kind: AlertDeviceOffline}, -time.Second, false},
		{"at its end", s, Alert{PatientID: "p1", Kind: AlertDeviceOffline}, time.Hour, false},
		{"another patient", s, Alert{PatientID: "p2", Kind: AlertDeviceOffline}, 0, false},
		{"a fall is not silenced by default", s, Alert{PatientID: "p1", Kind: AlertFall}, 0, false},
		{"nor its escalation", s, Alert{PatientID: "p1", Kind: AlertNoMovement}, 0, false},
		{"a fall when listed", falls, Alert{PatientID: "p1", Kind: AlertFall}, 0, true},
		{"listed kinds only", falls, Alert{PatientID: "p1", Kind: AlertNotWorn}, 0, false},
		{"its device", dev, Alert{PatientID: "p1", DeviceID: "d1", Kind: AlertNotWorn}, 0, true},
		{"another device", dev, Alert{PatientID: "p1", DeviceID: "d2", Kind: AlertNotWorn}, 0, false},
	} {
		if got := tc.s.Silences(tc.a, t0.Add(tc.at)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
