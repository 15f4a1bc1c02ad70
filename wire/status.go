package wire

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/balance-pt/balance"
	"github.com/valyala/fastjson"
)

// maxSmallPayload bounds status and event payloads, which are tiny.
const maxSmallPayload = 16 << 10

// Bounds of status fields.
const maxFirmwareLen = 64

var smallParsers fastjson.ParserPool

// DecodeStatus decodes a status payload published by device deviceID:
//
//	{"v":1,"online":true,"battery_pct":87.5,"firmware":"1.4.2","device_time":1764300000000}
//
// "v" and "online" are required; the others are optional (battery_pct 0 and
// an empty Firmware and DeviceTime when absent). The last will is
// {"v":1,"online":false}. device_time (Unix ms) is the device's clock as it
// sent the message; it is reported as is, not checked, so that a wrong clock
// shows up. ReceivedAt is now.
//
// Errors (wrapping *balance.Error): EDEVICEID, ETOOLARGE (over 16 KiB),
// EMALFORMED, EVERSION, ERANGE (battery outside 0..100).
func DecodeStatus(deviceID string, payload []byte, now time.Time) (balance.DeviceStatus, error) {
	st := balance.DeviceStatus{DeviceID: deviceID, ReceivedAt: now}
	err := decodeStatus(payload, &st)
	if err != nil {
		return balance.DeviceStatus{}, fmt.Errorf("wire: status from %s: %w", deviceID, err)
	}
	return st, nil
}

func decodeStatus(payload []byte, st *balance.DeviceStatus) error {
	if err := balance.ValidateDeviceID(st.DeviceID); err != nil {
		return err
	}
	p := smallParsers.Get()
	defer smallParsers.Put(p)
	o, err := parseSmall(p, payload)
	if err != nil {
		return err
	}
	ov := o.Get("online")
	if ov == nil || (ov.Type() != fastjson.TypeTrue && ov.Type() != fastjson.TypeFalse) {
		return balance.Errorf(balance.EMALFORMED, `"online" must be true or false, not %s`, abbrev(ov))
	}
	st.Online = ov.Type() == fastjson.TypeTrue
	if bv := o.Get("battery_pct"); bv != nil {
		b, err := bv.Float64()
		if err != nil {
			return balance.Errorf(balance.EMALFORMED, `"battery_pct" must be a number, not %s`, abbrev(bv))
		}
		if !(b >= 0 && b <= 100) {
			return balance.Errorf(balance.ERANGE, `"battery_pct" %v is outside 0..100`, b)
		}
		st.BatteryPct = b
	}
	if fv := o.Get("firmware"); fv != nil {
		f, err := fv.StringBytes()
		if err != nil || len(f) > maxFirmwareLen || !printable(f) {
			return balance.Errorf(balance.EMALFORMED, `"firmware" must be a string of at most %d printable characters, not %s`, maxFirmwareLen, abbrev(fv))
		}
		st.Firmware = string(f)
	}
	if tv := o.Get("device_time"); tv != nil {
		ns, err := millisValue(tv)
		if err != nil {
			return fmt.Errorf(`"device_time": %w`, err)
		}
		st.DeviceTime = time.Unix(0, ns).UTC()
	}
	return nil
}

// parseSmall parses a status or event payload and checks its size and version.
func parseSmall(p *fastjson.Parser, payload []byte) (*fastjson.Object, error) {
	if len(payload) > maxSmallPayload {
		return nil, balance.Errorf(balance.ETOOLARGE, "payload of %d bytes exceeds the limit of %d bytes", len(payload), maxSmallPayload)
	}
	v, err := p.ParseBytes(payload)
	if err != nil {
		return nil, balance.Errorf(balance.EMALFORMED, "invalid JSON: %v", err)
	}
	o, err := v.Object()
	if err != nil {
		return nil, balance.Errorf(balance.EMALFORMED, "payload must be a JSON object, not %s", v.Type())
	}
	vv := o.Get("v")
	if vv == nil {
		return nil, balance.Errorf(balance.EVERSION, `missing "v" (the wire-format version, %d)`, Version)
	}
	if n, err := vv.Int(); err != nil || n != Version {
		return nil, balance.Errorf(balance.EVERSION, `"v" is %s; this receiver speaks version %d`, abbrev(vv), Version)
	}
	return o, nil
}

// millisValue parses JSON number v, Unix milliseconds, exactly into Unix ns.
func millisValue(v *fastjson.Value) (int64, error) {
	if v.Type() != fastjson.TypeNumber {
		return 0, balance.Errorf(balance.EMALFORMED, "%s must be a number of Unix milliseconds", abbrev(v))
	}
	var buf [32]byte
	return parseMillisNS(v.MarshalTo(buf[:0]))
}

// printable reports whether b is valid text without control characters.
func printable(b []byte) bool {
	for _, r := range string(b) {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// EncodeStatus returns the status payload for s. DeviceID and ReceivedAt
// are not part of the payload; battery_pct, firmware and device_time are
// written when not zero. DecodeStatus gives s back.
func EncodeStatus(s balance.DeviceStatus) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"v":1,"online":`...)
	b = strconv.AppendBool(b, s.Online)
	if s.BatteryPct != 0 && !math.IsNaN(s.BatteryPct) {
		b = append(b, `,"battery_pct":`...)
		b = strconv.AppendFloat(b, s.BatteryPct, 'g', -1, 64)
	}
	if s.Firmware != "" {
		b = append(b, `,"firmware":`...)
		b = appendJSONString(b, s.Firmware)
	}
	if !s.DeviceTime.IsZero() {
		b = append(b, `,"device_time":`...)
		b = appendMillis(b, s.DeviceTime.UnixNano())
	}
	return append(b, '}')
}

// OfflineWill returns the payload a device registers as its MQTT last will on
// its status topic (retained, QoS 1): {"v":1,"online":false}.
func OfflineWill() []byte {
	return []byte(`{"v":1,"online":false}`)
}
