package alerts

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
)

// maxSilence bounds a silence: a longer absence is a plan change.
const maxSilence = 90 * 24 * time.Hour

// addSilence serves POST /api/v1/patients/{id}/silences
// {"device_id": "", "kinds": [], "ends_at": "RFC 3339", "reason": "..."}.
func (s *Service) addSilence(w http.ResponseWriter, r *http.Request) {
	var body struct {
		DeviceID string    `json:"device_id"`
		Kinds    []string  `json:"kinds"`
		EndsAt   time.Time `json:"ends_at"`
		Reason   string    `json:"reason"`
	}
	if err := httpjson.Read(r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now()
	body.Reason = strings.TrimSpace(body.Reason)
	switch {
	case !body.EndsAt.After(now):
		s.fail(w, r, balance.Errorf(balance.EINVALID, "ends_at must be in the future"))
		return
	case body.EndsAt.Sub(now) > maxSilence:
		s.fail(w, r, balance.Errorf(balance.EINVALID, "a silence lasts at most 90 days"))
		return
	case body.Reason == "" || len(body.Reason) > 200:
		s.fail(w, r, balance.Errorf(balance.EINVALID, "say why (reason, 1 to 200 characters): e.g. hospital stay"))
		return
	}
	for _, k := range body.Kinds {
		if k == "" || strings.Contains(k, ",") {
			s.fail(w, r, balance.Errorf(balance.EINVALID, "kind %q is not an alert kind", k))
			return
		}
	}
	sl, err := s.store.AddSilence(r.Context(), balance.Silence{PatientID: r.PathValue("id"), DeviceID: body.DeviceID, Kinds: body.Kinds,
		StartsAt: now, EndsAt: body.EndsAt, Reason: body.Reason, CreatedBy: balance.Actor(r.Context(), ""), CreatedAt: now})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("silence added", "patient", sl.PatientID, "device", sl.DeviceID, "kinds", sl.Kinds, "until", sl.EndsAt, "by", sl.CreatedBy, "reason", sl.Reason)
	writeJSON(w, http.StatusCreated, sl)
}

// listSilences serves GET /api/v1/patients/{id}/silences: those not ended.
func (s *Service) listSilences(w http.ResponseWriter, r *http.Request) {
	sls, err := s.store.Silences(r.Context(), r.PathValue("id"), s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sls == nil {
		sls = []balance.Silence{}
	}
	writeJSON(w, http.StatusOK, sls)
}

// endSilence serves DELETE /api/v1/patients/{id}/silences/{sid}: it ends now.
func (s *Service) endSilence(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("sid"), 10, 64)
	if err != nil {
		s.fail(w, r, balance.Errorf(balance.EINVALID, "silence id %q must be a number", r.PathValue("sid")))
		return
	}
	if err := s.store.EndSilence(r.Context(), r.PathValue("id"), id, s.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
