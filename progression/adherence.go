package progression

import (
	"time"

	"github.com/balance-pt/balance"
)

// WeekAdherence is the sessions done against those planned in one week
// (Monday 00:00 UTC to the next Monday).
type WeekAdherence struct {
	WeekStart time.Time `json:"week_start"`
	Planned   int       `json:"planned"`
	Done      int       `json:"done"`
	// Missed is true for a finished week with no session at all.
	Missed bool `json:"missed"`
}

// weekStart returns the Monday 00:00 UTC on or before t.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Adherence counts the exercise sessions of each of the last n weeks up to
// now's week (oldest first), from the week the plan was assigned. Every
// exercise session counts, whatever level it was at.
func Adherence(p balance.Plan, sessions []balance.ExerciseSession, now time.Time, n int) []WeekAdherence {
	first := weekStart(p.AssignedAt)
	cur := weekStart(now)
	start := cur.AddDate(0, 0, -7*(n-1))
	if start.Before(first) {
		start = first
	}
	var out []WeekAdherence
	for w := start; !w.After(cur); w = w.AddDate(0, 0, 7) {
		wa := WeekAdherence{WeekStart: w, Planned: p.SessionsPerWeek}
		end := w.AddDate(0, 0, 7)
		for _, s := range sessions {
			if s.Kind == balance.SessionExercise && !s.Start.Before(w) && s.Start.Before(end) && !s.Start.After(now) {
				wa.Done++
			}
		}
		wa.Missed = wa.Done == 0 && !end.After(now)
		out = append(out, wa)
	}
	return out
}
