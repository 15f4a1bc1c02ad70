package wire

import "fmt"

// Encoding is the payload encoding of an IMU batch.
type Encoding uint8

// The IMU batch encodings.
const (
	EncodingJSON         Encoding = iota + 1 // first non-space byte '{'
	EncodingBinary                           // first bytes "BF"
	EncodingLineProtocol                     // anything else
)

// String returns a short name for e, fit for a metric label.
func (e Encoding) String() string {
	switch e {
	case EncodingJSON:
		return "json"
	case EncodingBinary:
		return "binary"
	case EncodingLineProtocol:
		return "line_protocol"
	}
	return fmt.Sprintf("Encoding(%d)", uint8(e))
}

// Sniff tells the encoding of an IMU payload from its first bytes: the magic
// "BF" means a binary frame, a '{' after optional white space a JSON batch,
// and anything else (including an empty payload) line protocol.
func Sniff(payload []byte) Encoding {
	if len(payload) >= 2 && payload[0] == binaryMagic0 && payload[1] == binaryMagic1 {
		return EncodingBinary
	}
	for _, c := range payload {
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			continue
		}
		if c == '{' {
			return EncodingJSON
		}
		return EncodingLineProtocol
	}
	return EncodingLineProtocol
}
