package balance

import (
	"strings"
	"testing"
)

// TestSessionFeedbackValidate: complete answers in range pass; each
// problem is refused as EINVALID and said in words.
func TestSessionFeedbackValidate(t *testing.T) {
	ok := SessionFeedback{SessionID: "s1", PatientID: "p1", Difficulty: 0, Confidence: ConcernNone}
	eleven, ten := 11, 10
	tests := []struct {
		name  string
		edit  func(*SessionFeedback)
		words string // "" = valid
	}{
		{"the lowest answers", func(*SessionFeedback) {}, ""},
		{"the highest answers", func(f *SessionFeedback) { f.Difficulty, f.PainScore, f.Confidence = 10, &ten, ConcernVeryMuch }, ""},
		{"difficulty above 10", func(f *SessionFeedback) { f.Difficulty = 11 }, "difficulty 11 must be 0 (nothing at all) to 10"},
		{"negative difficulty", func(f *SessionFeedback) { f.Difficulty = -1 }, "difficulty -1 must be 0"},
		{"pain score above 10", func(f *SessionFeedback) { f.PainScore = &eleven }, "pain score 11 must be 0 (no pain) to 10"},
		{"confidence not answered", func(f *SessionFeedback) { f.Confidence = 0 }, "confidence 0 must be 1 (not at all concerned about falling) to 4"},
		{"a note of 501 characters", func(f *SessionFeedback) { f.Note = strings.Repeat("é", 501) }, "the note has 501 characters; at most 500"},
		{"no session", func(f *SessionFeedback) { f.SessionID = " " }, "the session is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := ok
			tc.edit(&f)
			err := f.Validate()
			if tc.words == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("Validate = %v, want invalid with %q", err, tc.words)
			}
		})
	}
}
