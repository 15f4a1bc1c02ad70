package wire_test

import (
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

func TestParseTopic(t *testing.T) {
	tests := []struct {
		topic    string
		device   string
		kind     wire.Kind
		wantCode string
	}{
		{"balance/v1/demo-001/imu", "demo-001", wire.KindIMU, ""},
		{"balance/v1/dev_2.a/status", "dev_2.a", wire.KindStatus, ""},
		{"balance/v1/X/event", "X", wire.KindEvent, ""},
		{"balance/v2/demo-001/imu", "", 0, balance.EUNKNOWNTOPIC},
		{"balance/v1/demo-001", "", 0, balance.EUNKNOWNTOPIC},
		{"balance/v1/demo-001/imu/extra", "", 0, balance.EUNKNOWNTOPIC},
		{"balance/v1/demo-001/gps", "", 0, balance.EUNKNOWNTOPIC},
		{"other/v1/demo-001/imu", "", 0, balance.EUNKNOWNTOPIC},
		{"balance/v1//imu", "", 0, balance.EDEVICEID},
		{"balance/v1/dev+1/imu", "", 0, balance.EDEVICEID},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			dev, kind, err := wire.ParseTopic(tt.topic)
			wantCode(t, err, tt.wantCode)
			if dev != tt.device || kind != tt.kind {
				t.Errorf("ParseTopic = %q, %v; want %q, %v", dev, kind, tt.device, tt.kind)
			}
			if err == nil {
				if got := wire.Topic(dev, kind); got != tt.topic {
					t.Errorf("Topic(%q, %v) = %q, want %q", dev, kind, got, tt.topic)
				}
			}
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		payload string
		want    wire.Encoding
	}{
		{`{"v":1}`, wire.EncodingJSON},
		{" \r\n\t{", wire.EncodingJSON},
		{"BF\x01\x01", wire.EncodingBinary},
		{"imu ax=1 1", wire.EncodingLineProtocol},
		{"# comment\nimu ax=1 1", wire.EncodingLineProtocol},
		{"", wire.EncodingLineProtocol},
		{"   ", wire.EncodingLineProtocol},
		{" BF", wire.EncodingLineProtocol},
		{"B", wire.EncodingLineProtocol},
	}
	for _, tt := range tests {
		if got := wire.Sniff([]byte(tt.payload)); got != tt.want {
			t.Errorf("Sniff(%q) = %v, want %v", tt.payload, got, tt.want)
		}
	}
}
