package reminders

import "time"

// Late is how long after its time a day's reminder may still go (the
// server was down at the time, or the patient chose a time just passed);
// after that the day's reminder is skipped.
const Late = 2 * time.Hour

// Due reports whether the patient's reminder should go now: reminders are
// on, today (the local date of now in zone) is one of the chosen days, the
// chosen time has come today but not more than Late ago, and lastSent (the
// local date, YYYY-MM-DD, of the last reminder sent; "" for none) is not
// today. A time that does not exist on a day (a clock change skips it)
// falls as Go's time.Date places it: 01:30 on the spring-forward day in
// London is 02:30 BST.
func Due(s Settings, zone *time.Location, lastSent string, now time.Time) bool {
	at, ok := dueAt(s, zone, now)
	if !ok || lastSent == at.Format(time.DateOnly) {
		return false
	}
	return !now.Before(at) && now.Sub(at) < Late
}

// dueAt returns when the patient's reminder is due on now's local date,
// and false when no reminder is due that day.
func dueAt(s Settings, zone *time.Location, now time.Time) (time.Time, bool) {
	h, m, ok := clock(s.Time)
	if !s.On || s.Email == "" || !ok {
		return time.Time{}, false
	}
	if zone == nil {
		zone = time.UTC
	}
	local := now.In(zone)
	if !s.Days.Has(local.Weekday()) {
		return time.Time{}, false
	}
	return time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, zone), true
}
