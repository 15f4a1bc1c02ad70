package analysis

import (
	"errors"

	"github.com/balance-pt/balance"
)

// Errors returned for input an analysis cannot use. Each is a *balance.Error
// with code balance.EINVALID (ErrBadRate: balance.ERATE; ErrNonFinite:
// balance.ENONFINITE), so callers may branch with errors.Is on the sentinel
// or with balance.ErrorCode; functions wrap them with %w and add detail.
var (
	ErrTooShort  error = balance.Errorf(balance.EINVALID, "recording too short")
	ErrFlat      error = balance.Errorf(balance.EINVALID, "signal is flat-lined")
	ErrBadRate   error = balance.Errorf(balance.ERATE, "sample rate unusable")
	ErrNonFinite error = balance.Errorf(balance.ENONFINITE, "non-finite sample")
	ErrGap       error = balance.Errorf(balance.EINVALID, "gap in sample times")
	ErrNoGravity error = balance.Errorf(balance.EINVALID, "no still period to find gravity")
)

// IsInputError reports whether err is one of the input errors above.
func IsInputError(err error) bool {
	for _, e := range []error{ErrTooShort, ErrFlat, ErrBadRate, ErrNonFinite, ErrGap, ErrNoGravity} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
