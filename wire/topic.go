package wire

import (
	"fmt"
	"strings"

	"github.com/balance-pt/balance"
)

// Version is the wire-format version: the "v1" in topics, the "v" of JSON
// payloads and the version byte of binary frames.
const Version = 1

// TopicRoot is the first two levels of every topic.
const TopicRoot = "balance/v1"

// SubscribeFilter matches every topic of this version, for all devices.
const SubscribeFilter = "balance/v1/+/+"

// Kind is the last level of a topic: what a message carries.
type Kind uint8

// The topic kinds.
const (
	KindIMU    Kind = iota + 1 // "imu": sample batches
	KindStatus                 // "status": online/offline, battery, firmware
	KindEvent                  // "event": start and stop of a session
)

// String returns the topic level of k ("imu", "status", "event").
func (k Kind) String() string {
	switch k {
	case KindIMU:
		return "imu"
	case KindStatus:
		return "status"
	case KindEvent:
		return "event"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseTopic splits topic "balance/v1/{device}/{kind}" into the device id and
// kind. It returns balance.EUNKNOWNTOPIC for any other shape or kind, and
// balance.EDEVICEID when the device level is not a valid device id.
func ParseTopic(topic string) (deviceID string, kind Kind, err error) {
	rest, ok := strings.CutPrefix(topic, TopicRoot+"/")
	if !ok {
		return "", 0, balance.Errorf(balance.EUNKNOWNTOPIC, "topic %q is not under %s/", topic, TopicRoot)
	}
	dev, k, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(k, "/") {
		return "", 0, balance.Errorf(balance.EUNKNOWNTOPIC, "topic %q is not %s/{device}/{imu|status|event}", topic, TopicRoot)
	}
	switch k {
	case "imu":
		kind = KindIMU
	case "status":
		kind = KindStatus
	case "event":
		kind = KindEvent
	default:
		return "", 0, balance.Errorf(balance.EUNKNOWNTOPIC, "topic %q: unknown kind %q (want imu, status or event)", topic, k)
	}
	if err := balance.ValidateDeviceID(dev); err != nil {
		return "", 0, fmt.Errorf("topic %q: %w", topic, err)
	}
	return dev, kind, nil
}

// Topic returns the topic on which device deviceID publishes messages of kind.
// It does not validate deviceID.
func Topic(deviceID string, kind Kind) string {
	return TopicRoot + "/" + deviceID + "/" + kind.String()
}
