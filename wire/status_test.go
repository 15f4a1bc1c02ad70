package wire_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"github.com/google/go-cmp/cmp"
)

func TestDecodeStatus(t *testing.T) {
	devTime := time.UnixMilli(now.UnixMilli() - 1500).UTC()
	tests := []struct {
		name    string
		payload string
		want    balance.DeviceStatus
		code    string
	}{
		{"full", `{"v":1,"online":true,"battery_pct":87.5,"firmware":"1.4.2","device_time":` + itoa(devTime.UnixMilli()) + `}`,
			balance.DeviceStatus{DeviceID: "demo-001", Online: true, BatteryPct: 87.5, Firmware: "1.4.2", DeviceTime: devTime, ReceivedAt: now}, ""},
		{"last will", string(wire.OfflineWill()), balance.DeviceStatus{DeviceID: "demo-001", ReceivedAt: now}, ""},
		{"device clock far off is reported, not rejected", `{"v":1,"online":true,"device_time":86400000}`,
			balance.DeviceStatus{DeviceID: "demo-001", Online: true, DeviceTime: time.Unix(86400, 0).UTC(), ReceivedAt: now}, ""},
		{"unknown fields ignored", `{"v":1,"online":true,"rssi":-70}`, balance.DeviceStatus{DeviceID: "demo-001", Online: true, ReceivedAt: now}, ""},
		{"not JSON", `online`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"array", `[1]`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"missing v", `{"online":true}`, balance.DeviceStatus{}, balance.EVERSION},
		{"v 2", `{"v":2,"online":true}`, balance.DeviceStatus{}, balance.EVERSION},
		{"missing online", `{"v":1}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"online string", `{"v":1,"online":"yes"}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"battery 101", `{"v":1,"online":true,"battery_pct":101}`, balance.DeviceStatus{}, balance.ERANGE},
		{"battery negative", `{"v":1,"online":true,"battery_pct":-1}`, balance.DeviceStatus{}, balance.ERANGE},
		{"battery NaN", `{"v":1,"online":true,"battery_pct":NaN}`, balance.DeviceStatus{}, balance.ERANGE},
		{"battery string", `{"v":1,"online":true,"battery_pct":"full"}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"firmware too long", `{"v":1,"online":true,"firmware":"` + strings.Repeat("1", 65) + `"}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"firmware control char", `{"v":1,"online":true,"firmware":"1\n2"}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"device_time string", `{"v":1,"online":true,"device_time":"now"}`, balance.DeviceStatus{}, balance.EMALFORMED},
		{"too large", `{"v":1,"online":true,"pad":"` + strings.Repeat(" ", 16<<10) + `"}`, balance.DeviceStatus{}, balance.ETOOLARGE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wire.DecodeStatus("demo-001", []byte(tt.payload), now)
			wantCode(t, err, tt.code)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	_, err := wire.DecodeStatus("bad/id", wire.OfflineWill(), now)
	wantCode(t, err, balance.EDEVICEID)
}

func TestStatusRoundTrip(t *testing.T) {
	for _, s := range []balance.DeviceStatus{
		{DeviceID: "demo-001", Online: true, BatteryPct: 33.25, Firmware: `fw "β" 2\1`, DeviceTime: now.Add(-1234567 * time.Nanosecond).UTC(), ReceivedAt: now},
		{DeviceID: "demo-001", Online: true, ReceivedAt: now},
		{DeviceID: "demo-001", ReceivedAt: now},
	} {
		got, err := wire.DecodeStatus(s.DeviceID, wire.EncodeStatus(s), now)
		if err != nil {
			t.Fatalf("%s: %v", wire.EncodeStatus(s), err)
		}
		if diff := cmp.Diff(s, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", wire.EncodeStatus(s), diff)
		}
	}
}

func TestDecodeEvent(t *testing.T) {
	at := time.UnixMilli(now.UnixMilli() - 2000).UTC()
	ms := itoa(at.UnixMilli())
	tests := []struct {
		name    string
		payload string
		want    balance.DeviceEvent
		code    string
	}{
		{"exercise start", `{"v":1,"action":"start","kind":"exercise","exercise_id":"tandem-stance","session_id":"s-17","time":` + ms + `}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "start", Kind: "exercise", ExerciseID: "tandem-stance", SessionID: "s-17", Time: at}, ""},
		{"sway stop without time uses now", `{"v":1,"action":"stop","kind":"sway_test"}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "stop", Kind: "sway_test", Time: now}, ""},
		{"every kind: four_stage_balance", `{"v":1,"action":"start","kind":"four_stage_balance","time":` + ms + `}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "start", Kind: balance.SessionFourStage, Time: at}, ""},
		{"every kind: tug", `{"v":1,"action":"start","kind":"tug","time":` + ms + `}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "start", Kind: balance.SessionTUG, Time: at}, ""},
		{"every kind: sit_to_stand_5x", `{"v":1,"action":"start","kind":"sit_to_stand_5x","time":` + ms + `}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "start", Kind: balance.SessionSitToStand, Time: at}, ""},
		{"every kind: walk", `{"v":1,"action":"start","kind":"walk","time":` + ms + `}`,
			balance.DeviceEvent{DeviceID: "demo-001", Action: "start", Kind: balance.SessionWalk, Time: at}, ""},
		{"unknown action", `{"v":1,"action":"pause","kind":"walk"}`, balance.DeviceEvent{}, balance.EINVALID},
		{"unknown kind", `{"v":1,"action":"start","kind":"yoga"}`, balance.DeviceEvent{}, balance.EINVALID},
		{"missing kind", `{"v":1,"action":"start"}`, balance.DeviceEvent{}, balance.EINVALID},
		{"exercise without id", `{"v":1,"action":"start","kind":"exercise"}`, balance.DeviceEvent{}, balance.EINVALID},
		{"action not a string", `{"v":1,"action":1,"kind":"walk"}`, balance.DeviceEvent{}, balance.EMALFORMED},
		{"session id too long", `{"v":1,"action":"start","kind":"walk","session_id":"` + strings.Repeat("s", 129) + `"}`, balance.DeviceEvent{}, balance.EMALFORMED},
		{"time string", `{"v":1,"action":"start","kind":"walk","time":"now"}`, balance.DeviceEvent{}, balance.EMALFORMED},
		{"time 31 days old", `{"v":1,"action":"start","kind":"walk","time":` + itoa(now.Add(-31*24*time.Hour).UnixMilli()) + `}`, balance.DeviceEvent{}, balance.ECLOCK},
		{"time 6 min ahead", `{"v":1,"action":"start","kind":"walk","time":` + itoa(now.Add(6*time.Minute).UnixMilli()) + `}`, balance.DeviceEvent{}, balance.ECLOCK},
		{"missing v", `{"action":"start","kind":"walk"}`, balance.DeviceEvent{}, balance.EVERSION},
		{"not JSON", `start walk`, balance.DeviceEvent{}, balance.EMALFORMED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wire.DecodeEvent("demo-001", []byte(tt.payload), now)
			wantCode(t, err, tt.code)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventRoundTrip(t *testing.T) {
	for _, e := range []balance.DeviceEvent{
		{DeviceID: "demo-001", Action: wire.ActionStart, Kind: balance.SessionExercise, ExerciseID: "heel-raise.x_2", SessionID: "0f8a-11", Time: now.Add(-time.Minute + 7).UTC()},
		{DeviceID: "demo-001", Action: wire.ActionStop, Kind: balance.SessionTUG, Time: now.Add(-time.Second).UTC()},
	} {
		got, err := wire.DecodeEvent(e.DeviceID, wire.EncodeEvent(e), now)
		if err != nil {
			t.Fatalf("%s: %v", wire.EncodeEvent(e), err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", wire.EncodeEvent(e), diff)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEventIDsRestricted: exercise and session ids become storage tags and
// URL segments, so only [A-Za-z0-9_.-] is accepted.
func TestEventIDsRestricted(t *testing.T) {
	now := time.Now()
	for _, id := range []string{`ex\1`, `ex1\`, "tandem stance", "a,b", "a=b", "ä"} {
		payload := `{"v":1,"action":"start","kind":"exercise","exercise_id":` + strconv.Quote(id) + `}`
		if _, err := wire.DecodeEvent("demo-001", []byte(payload), now); balance.ErrorCode(err) != balance.EMALFORMED {
			t.Errorf("exercise_id %q: err = %v, want %s", id, err, balance.EMALFORMED)
		}
	}
	if _, err := wire.DecodeEvent("demo-001", []byte(`{"v":1,"action":"start","kind":"exercise","exercise_id":"tandem-eyes-closed_2.b"}`), now); err != nil {
		t.Errorf("a valid id was refused: %v", err)
	}
}
