package alerts

import (
	"context"
	"fmt"

	"github.com/balance-pt/balance"
)

// PatientAnswer records a patient's answer to "Are you OK?" about an open
// or acknowledged fall (kinds fall and no_movement_after_fall), on the
// alert's timeline, as the logged-in user: the patient themself, or staff
// who may see the patient answering on their behalf.
//
//   - AnswerOK resolves the alert with a reason naming the answer: its
//     repeats and escalations stop (its group's too once no alert of them
//     is open) and every recipient who was told gets the resolved notice,
//     which carries the answer.
//   - AnswerHelp makes the alert's pending escalations (its group's too),
//     and a follow-up notice of it not sent yet, due now, and sends every
//     recipient who was told an urgent update asking them to send help.
//
// Giving the alert's latest answer again changes nothing and returns the
// alert. Answering a resolved alert is ECONFLICT ("already resolved"),
// except AnswerOK when the latest answer was AnswerOK; the refused answer
// is still put on the timeline, marked as coming after the resolution
// (nobody is notified), so that clinicians see it. Other kinds or answers
// are EINVALID; an alert of a patient the viewer may not see is
// EFORBIDDEN, and nothing is recorded.
func (s *Service) PatientAnswer(ctx context.Context, alertID, answer string) (balance.Alert, error) {
	return s.patientAnswerBy(ctx, alertID, answer, "")
}

// patientAnswerBy is PatientAnswer; claimed names who answered when no
// one is logged in (the API served without log-in).
func (s *Service) patientAnswerBy(ctx context.Context, alertID, answer, claimed string) (balance.Alert, error) {
	if answer != AnswerOK && answer != AnswerHelp {
		return balance.Alert{}, balance.Errorf(balance.EINVALID, "answer %q must be %q (I'm OK) or %q (I need help)", answer, AnswerOK, AnswerHelp)
	}
	a, err := s.VisibleAlert(ctx, alertID)
	if err != nil {
		return a, err
	}
	if a.Kind != balance.AlertFall && a.Kind != balance.AlertNoMovement {
		return balance.Alert{}, balance.Errorf(balance.EINVALID, "only a fall can be answered with \"Are you OK?\"; alert %s is a %s alert", a.ID, a.Kind)
	}
	by := balance.Actor(ctx, claimed) // the logged-in user, whatever the request claims
	if by == "" || len(by) > 200 {
		return balance.Alert{}, balance.Errorf(balance.EINVALID, `"by" must name who answered (1 to 200 characters)`)
	}
	onBehalf := balance.ViewerFromContext(ctx).User.Role != balance.RolePatient
	now := s.Now()
	zone := s.contexts.zone(a.PatientID)
	rec := AnswerRecord{
		Note:        balance.AlertNote{AlertID: a.ID, Kind: NotePatientAnswer, Author: by, Text: answerNoteText(answer, onBehalf, false), CreatedAt: now},
		Answer:      answer,
		GiveUpAfter: s.cfg.Retry.GiveUpAfter,
	}
	if answer == AnswerOK {
		rec.ResolveReason = resolvedByAnswer(by, onBehalf, now, zone)
	}
	res, err := s.store.Answer(ctx, rec)
	if err != nil {
		return balance.Alert{}, fmt.Errorf("alerts: answer %s on %s: %w", answer, alertID, err)
	}
	log := s.log.With("alert", a.ID, "patient", a.PatientID, "answer", answer, "by", by, "on_behalf", onBehalf)
	switch {
	case res.Recorded:
		s.metrics.patientAnswer(answer)
		log.Info("patient answered \"Are you OK?\"", "previous", res.Previous, "resolved", answer == AnswerOK,
			"expedited", res.Expedited, "updates", res.Updates)
		s.Wake()
		return res.Alert, nil
	case res.Alert.Status != balance.AlertResolved:
		return res.Alert, nil // the same answer again
	case answer == AnswerOK && res.Previous == AnswerOK:
		return res.Alert, nil // resolved by (or after) this same answer
	}
	if res.Previous != answer {
		late := rec.Note
		late.Text = answerNoteText(answer, onBehalf, true)
		if _, err := s.store.AddNote(ctx, late); err != nil {
			return res.Alert, fmt.Errorf("alerts: record late answer on %s: %w", alertID, err)
		}
	}
	log.Info("patient answer on a resolved alert: on the timeline, nobody notified", "resolved_reason", res.Alert.ResolvedReason)
	return res.Alert, balance.Errorf(balance.ECONFLICT, "alert %s is already resolved (%s); nobody was notified of this answer", a.ID, res.Alert.ResolvedReason)
}
