package dashboard

import (
	"fmt"
	"sort"
	"strings"

	"github.com/balance-pt/balance"
)

// SessionWords is a session as a therapist reads it: what was done and
// what came out, in words and units (the keys of ExerciseSession.Result
// are for programs).
type SessionWords struct {
	Session balance.ExerciseSession
	// What names the session ("Sway test (tandem stance)").
	What string
	// Result says the outcome ("Held 30.0 s of 30 s: passed.").
	Result string
	// Notes are the quality flags in words.
	Notes []string
}

// sessionKinds names each balance.Session* kind.
var sessionKinds = map[string]string{
	balance.SessionSway:       "Sway test",
	balance.SessionFourStage:  "Four-stage balance test",
	balance.SessionTUG:        "Timed Up and Go",
	balance.SessionSitToStand: "Five-times sit-to-stand",
	balance.SessionWalk:       "Walk",
	balance.SessionExercise:   "Exercise",
}

// qualityWords says each quality flag of monitor's session analysis.
var qualityWords = map[string]string{
	"short":           "shorter than the test needs",
	"stepping":        "the patient stepped during the test",
	"movement":        "the patient moved during the test",
	"saturated":       "the sensor reached its limit (a knock or a fall)",
	"ap_unknown":      "forward direction unknown: forward and sideways sway are not told apart",
	"no_stand":        "no stand-up found",
	"no_sit":          "no sit-down found",
	"no_turn":         "no turn found",
	"incomplete_test": "fewer than five stands",
	"analysis_failed": "the recording could not be analysed",
	"loss_step":       "lost balance: took a step",
	"loss_transient":  "lost balance: grabbed or swung the arms",
	"loss_tilt":       "lost balance: leaned beyond the limits of stability",
}

// describeSessions describes at most n sessions, in the order given.
func describeSessions(ss []balance.ExerciseSession, n int) []SessionWords {
	if len(ss) > n {
		ss = ss[:n]
	}
	out := make([]SessionWords, 0, len(ss))
	for _, es := range ss {
		out = append(out, describeSession(es))
	}
	return out
}

// describeSession puts one session into words.
func describeSession(es balance.ExerciseSession) SessionWords {
	w := SessionWords{Session: es, What: sessionKinds[es.Kind]}
	if w.What == "" {
		w.What = strings.ReplaceAll(es.Kind, "_", " ")
	}
	if es.ExerciseID != "" {
		w.What += " (" + strings.ReplaceAll(es.ExerciseID, "_", " ") + ")"
	}
	r := es.Result
	has := func(k string) bool { _, ok := r[k]; return ok }
	switch {
	case has("held_s") && has("target_s"):
		w.Result = fmt.Sprintf("Held %.1f s of %.0f s", r["held_s"], r["target_s"])
		if r["passed"] == 1 {
			w.Result += ": passed."
		} else {
			w.Result += ": not passed"
			if es.LossesOfBalance > 0 {
				w.Result += fmt.Sprintf(", lost balance after %.1f s", r["loss_at_s"])
			}
			w.Result += "."
		}
	case has("tug_s"):
		w.Result = fmt.Sprintf("Took %.1f s", r["tug_s"])
		if t := r["turn_deg"]; t > 0 {
			w.Result += fmt.Sprintf(" (turned %.0f°)", t)
		}
		w.Result += "."
	case has("sts5_s"):
		w.Result = fmt.Sprintf("%.0f stands in %.1f s.", r["stands"], r["sts5_s"])
	case has("gait_speed_mps"):
		w.Result = fmt.Sprintf("Walked at %.2f m/s, %.0f steps/min, stride-time variability %.1f %% (%.0f walking bouts).",
			r["gait_speed_mps"], r["cadence_spm"], r["stride_time_cv_pct"], r["bouts"])
	case es.Kind == balance.SessionSway && len(es.Sway) > 0:
		w.Result = fmt.Sprintf("Stood %.1f s; sway %.3f m/s² (RMS), 95 %% ellipse %.4f m²/s⁴.", es.HoldS, es.Sway["rms"], es.Sway["ellipse95"])
	default:
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.2f", strings.ReplaceAll(k, "_", " "), r[k]))
		}
		w.Result = strings.Join(parts, ", ")
		if w.Result == "" {
			w.Result = "No result."
		}
	}
	for _, q := range es.Quality {
		if t, ok := qualityWords[q]; ok {
			w.Notes = append(w.Notes, t)
		} else {
			w.Notes = append(w.Notes, strings.ReplaceAll(q, "_", " "))
		}
	}
	return w
}

// FeedbackBySession holds a patient's "How did it go" answers by session id.
type FeedbackBySession map[string]balance.SessionFeedback

// Words says the answer about session id as a therapist reads it
// ("Difficulty 8/10, pain 3/10, not dizzy, somewhat concerned about
// falling"), or "" when the patient did not answer.
func (fb FeedbackBySession) Words(id string) string {
	f, ok := fb[id]
	if !ok {
		return ""
	}
	return FeedbackWords(f)
}

// FeedbackWords puts one answer into words: difficulty on the 0–10 scale,
// new or worse pain (with its 0–10 score when given), dizziness, and the
// Short FES-I answer about falling, then the patient's note in quotes.
func FeedbackWords(f balance.SessionFeedback) string {
	parts := []string{fmt.Sprintf("Difficulty %d/10", f.Difficulty)}
	switch {
	case f.Pain && f.PainScore != nil:
		parts = append(parts, fmt.Sprintf("pain %d/10", *f.PainScore))
	case f.Pain:
		parts = append(parts, "pain")
	default:
		parts = append(parts, "no new pain")
	}
	if f.Dizziness {
		parts = append(parts, "dizzy")
	} else {
		parts = append(parts, "not dizzy")
	}
	if c := balance.ConcernWords(f.Confidence); c != "" {
		parts = append(parts, c+" about falling")
	}
	s := strings.Join(parts, ", ")
	if f.Note != "" {
		s += ": “" + f.Note + "”"
	}
	return s
}
