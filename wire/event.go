package wire

import (
	"fmt"
	"time"

	"github.com/balance-pt/balance"
	"github.com/valyala/fastjson"
)

// Event actions.
const (
	ActionStart = "start"
	ActionStop  = "stop"
)

// maxIDLen bounds exercise and session ids.
const maxIDLen = 128

// SessionKinds lists the event kinds a device may send (balance.Session*).
var SessionKinds = []string{
	balance.SessionSway, balance.SessionFourStage, balance.SessionTUG,
	balance.SessionSitToStand, balance.SessionWalk, balance.SessionExercise,
}

// DecodeEvent decodes an event payload published by device deviceID:
//
//	{"v":1,"action":"start","kind":"exercise","exercise_id":"tandem-stance","session_id":"s-17","time":1764300000000}
//
// action is "start" or "stop"; kind one of SessionKinds; exercise_id is
// required when kind is "exercise"; session_id is optional; time (Unix ms of
// the device clock) is optional and defaults to now. The time must lie within
// DefaultMaxPast before and DefaultMaxFuture after now.
//
// Errors (wrapping *balance.Error): EDEVICEID, ETOOLARGE (over 16 KiB),
// EMALFORMED (not JSON, wrong types), EVERSION, EINVALID (unknown action or
// kind, missing exercise_id), ECLOCK.
func DecodeEvent(deviceID string, payload []byte, now time.Time) (balance.DeviceEvent, error) {
	e := balance.DeviceEvent{DeviceID: deviceID}
	if err := decodeEvent(payload, now, &e); err != nil {
		return balance.DeviceEvent{}, fmt.Errorf("wire: event from %s: %w", deviceID, err)
	}
	return e, nil
}

func decodeEvent(payload []byte, now time.Time, e *balance.DeviceEvent) error {
	if err := balance.ValidateDeviceID(e.DeviceID); err != nil {
		return err
	}
	p := smallParsers.Get()
	defer smallParsers.Put(p)
	o, err := parseSmall(p, payload)
	if err != nil {
		return err
	}
	var ok bool
	if e.Action, ok = eventString(o, "action"); !ok {
		return balance.Errorf(balance.EMALFORMED, `"action" must be a string`)
	}
	if e.Action != ActionStart && e.Action != ActionStop {
		return balance.Errorf(balance.EINVALID, `"action" %q must be "start" or "stop"`, e.Action)
	}
	if e.Kind, ok = eventString(o, "kind"); !ok {
		return balance.Errorf(balance.EMALFORMED, `"kind" must be a string`)
	}
	known := false
	for _, k := range SessionKinds {
		known = known || e.Kind == k
	}
	if !known {
		return balance.Errorf(balance.EINVALID, `"kind" %q must be one of %q`, e.Kind, SessionKinds)
	}
	if e.ExerciseID, ok = eventString(o, "exercise_id"); !ok || !idChars(e.ExerciseID) {
		return balance.Errorf(balance.EMALFORMED, `"exercise_id" must be a string of at most %d letters, digits, '_', '-' or '.'`, maxIDLen)
	}
	if e.Kind == balance.SessionExercise && e.ExerciseID == "" {
		return balance.Errorf(balance.EINVALID, `"exercise_id" is required when "kind" is %q`, balance.SessionExercise)
	}
	if e.SessionID, ok = eventString(o, "session_id"); !ok || !idChars(e.SessionID) {
		return balance.Errorf(balance.EMALFORMED, `"session_id" must be a string of at most %d letters, digits, '_', '-' or '.'`, maxIDLen)
	}
	e.Time = now
	if tv := o.Get("time"); tv != nil {
		ns, err := millisValue(tv)
		if err != nil {
			return fmt.Errorf(`"time": %w`, err)
		}
		e.Time = time.Unix(0, ns).UTC()
		if d := e.Time.Sub(now); d > DefaultMaxFuture || d < -DefaultMaxPast {
			return balance.Errorf(balance.ECLOCK, "event time %s is %s from now", e.Time.Format(time.RFC3339Nano), d.Round(time.Second))
		}
	}
	return nil
}

// idChars reports whether s holds only [A-Za-z0-9_.-]: ids become storage
// tags and URL path segments, where other characters need escaping that not
// every store undoes.
func idChars(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// eventString returns the string field key of o ("" when absent), or false
// when it is not a string of at most maxIDLen printable characters.
func eventString(o *fastjson.Object, key string) (string, bool) {
	v := o.Get(key)
	if v == nil {
		return "", true
	}
	b, err := v.StringBytes()
	if err != nil || len(b) > maxIDLen || !printable(b) {
		return "", false
	}
	return string(b), true
}

// EncodeEvent returns the event payload for e. DeviceID and PatientID are not
// part of the payload; exercise_id, session_id and time are written when not
// empty or zero. DecodeEvent gives e back (with PatientID empty).
func EncodeEvent(e balance.DeviceEvent) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"v":1,"action":`...)
	b = appendJSONString(b, e.Action)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, e.Kind)
	if e.ExerciseID != "" {
		b = append(b, `,"exercise_id":`...)
		b = appendJSONString(b, e.ExerciseID)
	}
	if e.SessionID != "" {
		b = append(b, `,"session_id":`...)
		b = appendJSONString(b, e.SessionID)
	}
	if !e.Time.IsZero() {
		b = append(b, `,"time":`...)
		b = appendMillis(b, e.Time.UnixNano())
	}
	return append(b, '}')
}
