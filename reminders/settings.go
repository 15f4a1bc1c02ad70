package reminders

import (
	"net/mail"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// Weekdays is a set of days of the week: bit d is time.Weekday d (bit 0 =
// Sunday).
type Weekdays uint8

// EveryDay is every day of the week, the default.
const EveryDay Weekdays = 1<<7 - 1

// DaysOf returns the set of the days given.
func DaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w |= 1 << d
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return w&(1<<d) != 0 }

// Settings are a patient's reminder choices.
type Settings struct {
	PatientID string
	// Email is the bare address the reminders go to.
	Email string
	// Time is the time of day, "HH:MM" (24-hour), in the patient's clinic
	// time zone.
	Time string
	// Days are the days of the week to remind on.
	Days Weekdays
	// On turns the reminders on.
	On bool
	// UpdatedAt is when the patient last saved them.
	UpdatedAt time.Time
}

// Defaults are the settings a patient who has chosen nothing yet is shown:
// off, every day, at 09:00.
func Defaults(patientID string) Settings {
	return Settings{PatientID: patientID, Time: "09:00", Days: EveryDay}
}

// Validate checks the settings; its EINVALID messages are plain words
// meant for the patient.
func (s *Settings) Validate() error {
	s.Email = strings.TrimSpace(s.Email)
	if s.PatientID == "" {
		return balance.Errorf(balance.EINVALID, "reminder settings need a patient")
	}
	if _, _, ok := clock(s.Time); !ok {
		return balance.Errorf(balance.EINVALID, "please choose a time, for example 09:30")
	}
	if s.Days > EveryDay {
		return balance.Errorf(balance.EINVALID, "unknown days of the week")
	}
	if s.Email != "" || s.On {
		if a, err := mail.ParseAddress(s.Email); err != nil || a.Address != s.Email || len(s.Email) > 254 {
			return balance.Errorf(balance.EINVALID, "please type an e-mail address like name@example.com")
		}
	}
	if s.On && s.Days == 0 {
		return balance.Errorf(balance.EINVALID, "please choose at least one day")
	}
	return nil
}

// clock parses "HH:MM" (00:00 to 23:59).
func clock(s string) (h, m int, ok bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
	}
	h, m = int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	return h, m, h < 24 && m < 60
}
