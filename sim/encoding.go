package sim

import (
	"fmt"
	"math"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// Encoding names a wire encoding of IMU batches.
type Encoding string

// The encodings a simulated device can use; EncodingMixed gives each device
// of a fleet one of the three in turn.
const (
	EncodingJSON   Encoding = "json"
	EncodingBinary Encoding = "binary"
	EncodingLP     Encoding = "lp"
	EncodingMixed  Encoding = "mixed"
)

// ParseEncoding checks an encoding name.
func ParseEncoding(s string) (Encoding, error) {
	switch e := Encoding(s); e {
	case EncodingJSON, EncodingBinary, EncodingLP, EncodingMixed:
		return e, nil
	}
	return "", balance.Errorf(balance.EINVALID, "sim: unknown encoding %q (want json, binary, lp or mixed)", s)
}

// forDevice resolves mixed to a concrete encoding for device number i.
func (e Encoding) forDevice(i int) Encoding {
	if e == EncodingMixed || e == "" {
		return []Encoding{EncodingJSON, EncodingBinary, EncodingLP}[i%3]
	}
	return e
}

// Binary scales: ±16 g and ±2000 deg/s over int16, matching TypicalSensor's
// ranges with headroom.
var (
	binaryAccScale  = 16 * balance.StandardGravity / 32768
	binaryGyroScale = 2000 * math.Pi / 180 / 32768
)

// appendBatch encodes b in e onto dst.
func appendBatch(dst []byte, b *balance.Batch, e Encoding) ([]byte, error) {
	switch e {
	case EncodingJSON:
		return wire.AppendJSON(dst, b, wire.JSONOptions{}), nil
	case EncodingBinary:
		return wire.AppendBinary(dst, b, binaryAccScale, binaryGyroScale), nil
	case EncodingLP:
		return wire.AppendLineProtocol(dst, b), nil
	}
	return dst, fmt.Errorf("sim: cannot encode with %q", e)
}
