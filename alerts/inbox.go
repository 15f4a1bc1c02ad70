package alerts

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/balance-pt/balance"
)

// states are the alert states a list may be filtered by.
var states = []string{balance.AlertOpen, balance.AlertAcknowledged, balance.AlertResolved}

// MaxNote is the longest note, in characters.
const MaxNote = 2000

// Inbox returns the alerts f selects among those of the patients the
// viewer in ctx may see, newest first: a therapist's assigned patients, an
// admin's every patient. Asking for a patient the viewer may not see is
// EFORBIDDEN; without a viewer, EUNAUTHORIZED.
func (s *Service) Inbox(ctx context.Context, f AlertFilter) ([]balance.Alert, error) {
	v := balance.ViewerFromContext(ctx)
	if v == nil {
		return nil, balance.Errorf(balance.EUNAUTHORIZED, "log in first")
	}
	switch {
	case f.Status != "" && !slices.Contains(states, f.Status):
		return nil, balance.Errorf(balance.EINVALID, "status %q must be open, acknowledged or resolved", f.Status)
	case f.Severity != "" && !slices.Contains(severities, f.Severity):
		return nil, balance.Errorf(balance.EINVALID, "severity %q must be one of %s", f.Severity, strings.Join(severities, ", "))
	}
	if f.PatientID != "" {
		if err := balance.CheckPatient(ctx, f.PatientID); err != nil {
			return nil, err
		}
	} else if !v.SeesAll() {
		f.PatientIDs = make([]string, 0, len(v.Patients))
		for id, ok := range v.Patients {
			if ok {
				f.PatientIDs = append(f.PatientIDs, id)
			}
		}
	}
	return s.store.Alerts(ctx, f)
}

// VisibleAlert returns an alert whose patient the viewer in ctx may see;
// EFORBIDDEN for another's patient, ENOTFOUND for no such alert.
func (s *Service) VisibleAlert(ctx context.Context, id string) (balance.Alert, error) {
	a, err := s.store.Alert(ctx, id)
	if err != nil {
		return a, err
	}
	return a, balance.CheckPatient(ctx, a.PatientID)
}

// Detail returns an alert the viewer may see with its deliveries (and
// their attempts), its notes and assignments, and the patient's answer to
// "Are you OK?" that counts, if any.
func (s *Service) Detail(ctx context.Context, id string) (AlertView, error) {
	a, err := s.VisibleAlert(ctx, id)
	if err != nil {
		return AlertView{}, err
	}
	v := AlertView{Alert: a, Deliveries: []Delivery{}, Notes: []balance.AlertNote{}}
	ds, err := s.store.Deliveries(ctx, id)
	if err != nil {
		return v, err
	}
	if ds != nil {
		v.Deliveries = ds
	}
	ns, err := s.store.Notes(ctx, id)
	if err != nil {
		return v, err
	}
	if ns != nil {
		v.Notes = ns
	}
	var name string
	if s.contexts.Patient != nil && (a.Kind == balance.AlertFall || a.Kind == balance.AlertNoMovement) {
		if p, err := s.contexts.Patient(ctx, a.PatientID); err == nil {
			name = p.Name
		}
	}
	v.PatientAnswer = answerOf(a, ns, name, s.contexts.zone(a.PatientID))
	return v, nil
}

// AddNote adds a note to an alert the viewer may see, by the logged-in
// user. The text is 1 to MaxNote characters.
func (s *Service) AddNote(ctx context.Context, id, text string) (balance.AlertNote, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxNote {
		return balance.AlertNote{}, balance.Errorf(balance.EINVALID, "a note must have 1 to %d characters", MaxNote)
	}
	if _, err := s.VisibleAlert(ctx, id); err != nil {
		return balance.AlertNote{}, err
	}
	author := balance.Actor(ctx, "")
	if author == "" {
		return balance.AlertNote{}, balance.Errorf(balance.EUNAUTHORIZED, "log in to add a note")
	}
	n, err := s.store.AddNote(ctx, balance.AlertNote{AlertID: id, Kind: balance.NoteText, Author: author, Text: text, CreatedAt: s.Now()})
	if err != nil {
		return n, err
	}
	s.log.Info("alert note added", "alert", id, "by", author)
	return n, nil
}

// Assign makes assignee ("" = no one) follow up an alert the viewer may
// see, as the logged-in user. The caller checks that the assignee may see
// the alert's patient (it knows the users).
func (s *Service) Assign(ctx context.Context, id, assignee string) (balance.Alert, error) {
	if len(assignee) > 200 {
		return balance.Alert{}, balance.Errorf(balance.EINVALID, "assignee must be a username")
	}
	if _, err := s.VisibleAlert(ctx, id); err != nil {
		return balance.Alert{}, err
	}
	by := balance.Actor(ctx, "")
	if by == "" {
		return balance.Alert{}, balance.Errorf(balance.EUNAUTHORIZED, "log in to assign an alert")
	}
	a, err := s.store.Assign(ctx, id, assignee, by, s.Now())
	if err != nil {
		return a, err
	}
	s.log.Info("alert assigned", "alert", id, "to", assignee, "by", by)
	return a, nil
}
