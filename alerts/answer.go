package alerts

import (
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// A patient's answers to "Are you OK?" after a detected fall.
const (
	// AnswerOK ("I'm OK") resolves the alert: its repeats and escalations
	// stop, and everyone who was told gets the resolved notice saying so.
	AnswerOK = "ok"
	// AnswerHelp ("I need help") escalates at once: the alert's
	// escalations become due now, and everyone who was told gets an
	// update asking them to send help.
	AnswerHelp = "help"
)

// NotePatientAnswer is the kind of timeline entry (balance.AlertNote.Kind)
// that records an answer to "Are you OK?". Its Text starts with the
// answer's words ("I'm OK" or "I need help") and says how it was given;
// its Author is who pressed the button (the patient, or staff on their
// behalf) and CreatedAt when.
const NotePatientAnswer = "patient_answer"

// Words of the answers as the timeline shows them.
const (
	wordsOK   = "I'm OK"
	wordsHelp = "I need help"
)

// Ways an answer was given, as the note says them.
const (
	howInApp    = "answered in the app"
	howOnBehalf = "answered for the patient by staff"
	howLate     = "after the alert was resolved: nobody was notified"
)

// PatientAnswer is the answer a patient (or staff on their behalf) gave to
// "Are you OK?" about an alert, as notifications and the alert's detail
// show it.
type PatientAnswer struct {
	// Answer is AnswerOK or AnswerHelp.
	Answer string `json:"answer"`
	// AnsweredAt is when the button was pressed; By the username of who
	// pressed it; OnBehalf is true when staff answered for the patient.
	AnsweredAt time.Time `json:"answered_at"`
	By         string    `json:"by"`
	OnBehalf   bool      `json:"on_behalf,omitempty"`
	// Summary says it in words, in the clinic's time, e.g. "Ada says
	// they are OK (answered 14:05 in the app)" or "Ada asked for help in
	// the app at 14:05 — send help now".
	Summary string `json:"summary"`
}

// answerNoteText is the timeline text of an answer.
func answerNoteText(answer string, onBehalf, late bool) string {
	words, how := wordsOK, howInApp
	if answer == AnswerHelp {
		words = wordsHelp
	}
	if onBehalf {
		how = howOnBehalf
	}
	if late {
		how += "; " + howLate
	}
	return words + " (" + how + ")"
}

// AnswerOf returns the answer a timeline entry records (AnswerOK or
// AnswerHelp), or "" when it records none.
func AnswerOf(n balance.AlertNote) string {
	if n.Kind != NotePatientAnswer {
		return ""
	}
	switch {
	case strings.HasPrefix(n.Text, wordsOK):
		return AnswerOK
	case strings.HasPrefix(n.Text, wordsHelp):
		return AnswerHelp
	}
	return ""
}

// answerOf returns the answer that counts for alert a among its notes
// (oldest first): the latest one given while it was not resolved (an
// answer refused because it came after the resolution is on the timeline
// but changed nothing). Its summary names the patient as name, with
// times in zone.
func answerOf(a balance.Alert, notes []balance.AlertNote, name string, zone *time.Location) *PatientAnswer {
	for i := len(notes) - 1; i >= 0; i-- {
		n := notes[i]
		ans := AnswerOf(n)
		if ans == "" || (a.Status == balance.AlertResolved && n.CreatedAt.After(a.ResolvedAt)) {
			continue
		}
		p := &PatientAnswer{Answer: ans, AnsweredAt: n.CreatedAt.UTC(), By: n.Author, OnBehalf: strings.Contains(n.Text, howOnBehalf)}
		p.Summary = answerSummary(p, name, zone)
		return p
	}
	return nil
}

// answerSummary says an answer in words, in the clinic's time.
func answerSummary(p *PatientAnswer, name string, zone *time.Location) string {
	if name == "" {
		name = "the patient"
	}
	clock := p.AnsweredAt.In(zone).Format("15:04")
	switch {
	case p.Answer == AnswerOK && p.OnBehalf:
		return capitalise(name) + " is OK, says " + p.By + " (answered " + clock + " on the patient's behalf)"
	case p.Answer == AnswerOK:
		return capitalise(name) + " says they are OK (answered " + clock + " in the app)"
	case p.OnBehalf:
		return p.By + " asked for help for " + name + " at " + clock + " — send help now"
	}
	return capitalise(name) + " asked for help in the app at " + clock + " — send help now"
}

// resolvedByAnswer is the resolution reason of an alert the patient said
// they are OK about, at t in the clinic's time.
func resolvedByAnswer(by string, onBehalf bool, t time.Time, zone *time.Location) string {
	clock := t.In(zone).Format("15:04")
	if onBehalf {
		return by + ` answered "I'm OK" for the patient at ` + clock
	}
	return `the patient answered "I'm OK" in the app at ` + clock
}

// answerWhatToDo is what to do about an alert the patient answered.
func answerWhatToDo(a balance.Alert, p *PatientAnswer, usual string) string {
	if p.Answer == AnswerOK {
		return p.Summary + ". Check how they are when you can."
	}
	if a.Status == balance.AlertResolved {
		return usual
	}
	return p.Summary + ". " + usual
}

// AnswerDeliveryID is the ID of the update notice an answer sends to a
// recipient about an alert: the same however often, and by whichever
// process, it is planned.
func AnswerDeliveryID(alertID, recipient, answer string) string {
	return deliveryID(alertID, recipient, ReasonUpdate, answer)
}

// AnswerRecord is an answer for the store to record and act on in one
// transaction.
type AnswerRecord struct {
	// Note is the timeline entry (kind NotePatientAnswer).
	Note   balance.AlertNote
	Answer string
	// ResolveReason (AnswerOK) is the alert's resolution reason.
	ResolveReason string
	// GiveUpAfter sets the deadline of the notices created.
	GiveUpAfter time.Duration
}

// AnswerResult is what the store did with an answer.
type AnswerResult struct {
	// Alert is the alert after the answer.
	Alert balance.Alert
	// Previous is the latest answer on the alert's timeline before this
	// one ("" if none).
	Previous string
	// Recorded is true when the answer was recorded and acted on; false
	// (nothing changed) when the alert was resolved already or its latest
	// answer was the same.
	Recorded bool
	// Expedited counts the pending deliveries made due now (AnswerHelp);
	// Updates the update notices created.
	Expedited, Updates int
}
