package balance

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SessionFeedback is the patient's "How did it go?" answer about one
// exercise session: how hard it felt, whether it brought new or worse pain
// or dizziness, and how concerned they were about falling. Answers are
// optional (a patient may not answer); progression uses them when present.
type SessionFeedback struct {
	// SessionID is the session answered about (ExerciseSession.ID).
	SessionID string `json:"session_id"`
	// PatientID is whose session it is.
	PatientID string `json:"patient_id"`
	// Time is when the answer was given (UTC; the latest answer when it
	// was replaced).
	Time time.Time `json:"time"`
	// Difficulty is how hard the exercise felt, 0 (nothing at all) to 10
	// (the hardest imaginable), asked once after the session: Borg's
	// CR10 category-ratio scale (Borg GA, Med Sci Sports Exerc
	// 1982;14(5):377–381) as used for a session rating of perceived
	// exertion (Foster C et al., J Strength Cond Res 2001;15(1):109–115),
	// and the 0–10 rating of perceived difficulty validated for static
	// standing balance exercises against IMU sway (Alsubaie SF et al.,
	// Phys Ther 2019;99(10):1381–1393).
	Difficulty int `json:"difficulty"`
	// Pain is true when the patient had new or worse pain during or after
	// the session (not their usual neuropathic pain at its usual level).
	Pain bool `json:"pain"`
	// PainScore is the pain's intensity, 0 (none) to 10 (worst
	// imaginable), on a numeric rating scale; nil when not given.
	PainScore *int `json:"pain_score,omitempty"`
	// Dizziness is true when the patient felt dizzy or light-headed during
	// or after the session.
	Dizziness bool `json:"dizziness"`
	// Confidence answers, for this exercise, the wording of the Short
	// FES-I items (Kempen GIJM et al., "The Short FES-I: a shortened
	// version of the falls efficacy scale-international to assess fear of
	// falling", Age Ageing 2008;37(1):45–50): "How concerned are you about
	// falling when doing this exercise?" with its four answers,
	// 1 not at all, 2 somewhat, 3 fairly, 4 very concerned. Lower is more
	// confident. A single item is not the validated 7-item scale.
	Confidence int `json:"confidence"`
	// Note is what the patient wants to add, at most MaxFeedbackNote
	// characters.
	Note string `json:"note,omitempty"`
}

// Limits of a SessionFeedback.
const (
	// MaxDifficulty is the top of the 0–10 difficulty scale.
	MaxDifficulty = 10
	// MaxPainScore is the top of the 0–10 pain scale.
	MaxPainScore = 10
	// MaxFeedbackNote is the longest note, in characters (Unicode code points).
	MaxFeedbackNote = 500
	// FeedbackEditWindow is how long after the first answer about a
	// session a new answer replaces it; later ones are refused, so that
	// what progression decided on stays what the record shows.
	FeedbackEditWindow = 24 * time.Hour
)

// Concern answers of the Short FES-I wording (SessionFeedback.Confidence).
const (
	ConcernNone     = 1 // not at all concerned
	ConcernSome     = 2 // somewhat concerned
	ConcernFairly   = 3 // fairly concerned
	ConcernVeryMuch = 4 // very concerned
)

var concernWords = [...]string{ConcernNone: "not at all concerned", ConcernSome: "somewhat concerned",
	ConcernFairly: "fairly concerned", ConcernVeryMuch: "very concerned"}

// ConcernWords says a Confidence answer in the Short FES-I's words ("" when
// out of range).
func ConcernWords(c int) string {
	if c < ConcernNone || c > ConcernVeryMuch {
		return ""
	}
	return concernWords[c]
}

// Validate reports every problem of the answer in words, as one EINVALID
// error; nil when it is complete and in range.
func (f SessionFeedback) Validate() error {
	var probs []string
	if strings.TrimSpace(f.SessionID) == "" {
		probs = append(probs, "the session is missing")
	}
	if strings.TrimSpace(f.PatientID) == "" {
		probs = append(probs, "the patient is missing")
	}
	if f.Difficulty < 0 || f.Difficulty > MaxDifficulty {
		probs = append(probs, fmt.Sprintf("difficulty %d must be 0 (nothing at all) to %d (the hardest imaginable)", f.Difficulty, MaxDifficulty))
	}
	if f.PainScore != nil && (*f.PainScore < 0 || *f.PainScore > MaxPainScore) {
		probs = append(probs, fmt.Sprintf("pain score %d must be 0 (no pain) to %d (the worst imaginable)", *f.PainScore, MaxPainScore))
	}
	if ConcernWords(f.Confidence) == "" {
		probs = append(probs, fmt.Sprintf("confidence %d must be 1 (not at all concerned about falling) to 4 (very concerned)", f.Confidence))
	}
	if n := utf8.RuneCountInString(f.Note); n > MaxFeedbackNote {
		probs = append(probs, fmt.Sprintf("the note has %d characters; at most %d are kept", n, MaxFeedbackNote))
	}
	if len(probs) > 0 {
		return Errorf(EINVALID, "feedback: %s", strings.Join(probs, "; "))
	}
	return nil
}
