package dashboard

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFeedbackWords: an answer reads as the therapist's column "How it
// went" shows it; an unanswered session reads as "".
func TestFeedbackWords(t *testing.T) {
	three := 3
	fb := FeedbackBySession{
		"s1": {SessionID: "s1", Difficulty: 8, Pain: true, Confidence: 2},
		"s2": {SessionID: "s2", Difficulty: 3, Pain: true, PainScore: &three, Dizziness: true, Confidence: 4, Note: "felt light-headed"},
		"s3": {SessionID: "s3", Difficulty: 0, Confidence: 1},
	}
	tests := []struct{ id, want string }{
		{"s1", "Difficulty 8/10, pain, not dizzy, somewhat concerned about falling"},
		{"s2", "Difficulty 3/10, pain 3/10, dizzy, very concerned about falling: “felt light-headed”"},
		{"s3", "Difficulty 0/10, no new pain, not dizzy, not at all concerned about falling"},
		{"unanswered", ""},
	}
	var got, want []string
	for _, tc := range tests {
		got, want = append(got, fb.Words(tc.id)), append(want, tc.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Words (-want +got):\n%s", diff)
	}
}
