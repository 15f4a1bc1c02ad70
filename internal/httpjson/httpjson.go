// Package httpjson holds the JSON request and response helpers every HTTP
// API of the system shares, with the one table that maps domain error codes
// (balance.E*) to HTTP statuses.
package httpjson

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/balance-pt/balance"
)

// MaxBody bounds a JSON request body.
const MaxBody = 1 << 20

// statuses maps domain error codes to HTTP statuses; any other code is 500.
var statuses = map[string]int{
	balance.EINVALID:      http.StatusBadRequest,
	balance.EDEVICEID:     http.StatusBadRequest,
	balance.ENOTFOUND:     http.StatusNotFound,
	balance.ECONFLICT:     http.StatusConflict,
	balance.EUNAUTHORIZED: http.StatusUnauthorized,
	balance.EFORBIDDEN:    http.StatusForbidden,
	balance.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// Status returns the HTTP status for err's domain error code.
func Status(err error) int {
	if st, ok := statuses[balance.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// Write writes v as indented JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) // the client may be gone; nothing to do about it
}

// Read decodes a JSON request body of at most MaxBody bytes into v, refusing
// unknown fields, and returns an EINVALID error that says what is wrong.
func Read(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return balance.Errorf(balance.EINVALID, "request body: %v", err)
	}
	return nil
}

// Error writes {"error": code, "message": text} with the status of err's
// code (status, when not 0, overrides it). Internal errors are logged with
// the request and answered with a generic message, so that internals never
// reach a client.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, err error) {
	if status == 0 {
		status = Status(err)
	}
	if status == http.StatusInternalServerError && log != nil {
		log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	Write(w, status, map[string]string{"error": balance.ErrorCode(err), "message": balance.ErrorMessage(err)})
}
