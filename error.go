package balance

import (
	"errors"
	"fmt"
)

// Error codes. The first group is for callers of the API; the second names the
// reasons bad device input is rejected, and doubles as the "reason" label of
// the rejection counters, so it must stay short and stable.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"

	EMALFORMED    = "malformed"     // payload does not parse
	ECRC          = "bad_crc"       // binary frame checksum mismatch
	ETRUNCATED    = "truncated"     // binary frame shorter than it declares
	EVERSION      = "bad_version"   // unknown wire-format version
	EUNITS        = "bad_units"     // unknown or missing unit
	ENONFINITE    = "non_finite"    // NaN or Inf
	ERANGE        = "out_of_range"  // beyond physical limits
	ECOUNT        = "bad_count"     // declared and actual sample counts differ, or none
	ERATE         = "bad_rate"      // sample rate outside the accepted band
	ECLOCK        = "clock"         // timestamps far in the future or past
	ETOOLARGE     = "too_large"     // payload over the size limit
	EDEVICEID     = "bad_device_id" // device id unusable
	EUNKNOWNDEV   = "unknown_device"
	EUNKNOWNTOPIC = "unknown_topic"
)

// Error is a domain error carrying a machine-readable Code and a message fit
// for a person. Callers branch on the code with ErrorCode, never on the text.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic text for other errors so that internals never leak to a client.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
