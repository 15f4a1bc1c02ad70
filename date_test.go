package balance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
)

// TestPatientDateOfBirthJSON: the date of birth is "date_of_birth" as
// YYYY-MM-DD, left out when unknown, and a date that does not exist is
// refused when a request body is decoded.
func TestPatientDateOfBirthJSON(t *testing.T) {
	p := balance.Patient{ID: "p1", DateOfBirth: balance.Date{Year: 1948, Month: time.March, Day: 7}}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"date_of_birth":"1948-03-07"`) {
		t.Errorf("JSON %s lacks the date of birth", b)
	}
	b, _ = json.Marshal(balance.Patient{ID: "p2"})
	if strings.Contains(string(b), "date_of_birth") {
		t.Errorf("unknown date of birth written: %s", b)
	}
	var back balance.Patient
	if err := json.Unmarshal([]byte(`{"id":"p1","date_of_birth":"1948-03-07"}`), &back); err != nil || back.DateOfBirth != p.DateOfBirth {
		t.Errorf("decoded %+v, %v", back.DateOfBirth, err)
	}
	for _, bad := range []string{"1950-02-30", "2023-02-29", "07/03/1948", "1948-3-7", "1948-03-07T00:00:00Z"} {
		if err := json.Unmarshal([]byte(`{"id":"p1","date_of_birth":"`+bad+`"}`), &back); err == nil || !strings.Contains(err.Error(), "not a real date") {
			t.Errorf("%q: %v, want refused as not a real date", bad, err)
		}
	}
}

func TestCheckBirthDate(t *testing.T) {
	now := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		d  balance.Date
		ok bool
	}{
		{balance.Date{}, true}, // unknown
		{balance.Date{Year: 1948, Month: time.March, Day: 7}, true},
		{balance.Date{Year: 2026, Month: time.November, Day: 28}, true}, // today
		{balance.Date{Year: 2026, Month: time.November, Day: 29}, false},
		{balance.Date{Year: 1900, Month: time.January, Day: 1}, true},
		{balance.Date{Year: 1899, Month: time.December, Day: 31}, false},
		{balance.Date{Year: 1950, Month: time.February, Day: 29}, false},
		{balance.Date{Year: 1952, Month: time.February, Day: 29}, true}, // leap year
		{balance.Date{Year: 1950, Month: 0, Day: 1}, false},
	} {
		err := balance.CheckBirthDate(tc.d, now)
		if tc.ok != (err == nil) || (err != nil && balance.ErrorCode(err) != balance.EINVALID) {
			t.Errorf("CheckBirthDate(%+v) = %v, want ok %v", tc.d, err, tc.ok)
		}
	}
}
