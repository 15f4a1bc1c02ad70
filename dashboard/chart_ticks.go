package dashboard

import (
	"time"

	"gonum.org/v1/plot"
)

// dateTicks marks a time axis (Unix seconds, UTC) at whole days, or at
// whole hours for spans under two days, with a step chosen so that there
// are at most maxDateTicks labels. Every label is distinct: day ticks sit at
// UTC midnight ("Jan 2"), hour ticks say the hour and, at midnight, the day.
// (gonum's plot.TimeTicks places ticks at round numbers of seconds and
// formats them by day, which repeats a day's label.)
type dateTicks struct{}

// maxDateTicks is the most labels a time axis gets (a 460 pt chart).
const maxDateTicks = 7

// dayStepsDays and hourSteps are the candidate tick spacings.
var (
	dayStepsDays = []int{1, 2, 7, 14, 28, 56, 91}
	hourSteps    = []int{1, 2, 3, 6, 12}
)

// Ticks implements plot.Ticker.
func (dateTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return nil
	}
	from, to := time.Unix(int64(min), 0).UTC(), time.Unix(int64(max), 0).UTC()
	span := to.Sub(from)
	if span < 48*time.Hour {
		// Within one day an hour names a tick; across midnight the
		// labels carry the day too, so fewer (longer) ones fit.
		most := time.Duration(maxDateTicks)
		if span >= 24*time.Hour {
			most = 4
		}
		step := hourSteps[len(hourSteps)-1]
		for _, h := range hourSteps {
			if span/(time.Duration(h)*time.Hour) < most {
				step = h
				break
			}
		}
		first := from.Truncate(time.Hour)
		for first.Before(from) || first.Hour()%step != 0 {
			first = first.Add(time.Hour)
		}
		var ts []plot.Tick
		for t := first; !t.After(to); t = t.Add(time.Duration(step) * time.Hour) {
			label := t.Format("15:00")
			switch {
			case t.Hour() == 0:
				label = t.Format("Jan 2")
			case span >= 24*time.Hour:
				label = t.Format("Jan 2 15:00")
			}
			ts = append(ts, plot.Tick{Value: float64(t.Unix()), Label: label})
		}
		return ts
	}
	days := int(span.Hours() / 24)
	step := dayStepsDays[len(dayStepsDays)-1]
	for _, d := range dayStepsDays {
		if days/d < maxDateTicks {
			step = d
			break
		}
	}
	first := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	if first.Before(from) {
		first = first.AddDate(0, 0, 1)
	}
	if step >= 7 { // weekly and longer steps start on a Monday
		for first.Weekday() != time.Monday {
			first = first.AddDate(0, 0, 1)
		}
	}
	var ts []plot.Tick
	for t := first; !t.After(to); t = t.AddDate(0, 0, step) {
		label := t.Format("Jan 2")
		if len(ts) == 0 && span > 180*24*time.Hour { // a long range says its year once
			label = t.Format("Jan 2 2006")
		}
		ts = append(ts, plot.Tick{Value: float64(t.Unix()), Label: label})
	}
	return ts
}
