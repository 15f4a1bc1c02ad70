package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// FollowUp describes a follow-up notice of an urgent group: the alerts of
// the group that arrived after the recipient's last notice of it, folded
// into one message.
type FollowUp struct {
	// Since is when the newest alert the recipient was already told of
	// occurred.
	Since time.Time `json:"since"`
	// Count is the number of alerts in the notice.
	Count int `json:"count"`
	// Summary says it in one line, in the clinic's time zone, newest
	// first, e.g. "2 more falls since 14:02: 14:09, 14:05".
	Summary string `json:"summary"`
}

// NewFollowUp describes a follow-up notice of alerts (newest first) after
// one told of an alert that occurred at since; times are shown in zone
// (nil: UTC).
func NewFollowUp(since time.Time, alerts []balance.Alert, zone *time.Location) *FollowUp {
	if zone == nil {
		zone = time.UTC
	}
	clock := func(t time.Time) string { return t.In(zone).Format("15:04") }
	times := make([]string, len(alerts))
	for i, a := range alerts {
		times[i] = clock(a.OccurredAt)
	}
	return &FollowUp{
		Since: since.UTC(), Count: len(alerts),
		Summary: fmt.Sprintf("%d more %s since %s: %s", len(alerts), kindNoun(alerts), clock(since), strings.Join(times, ", ")),
	}
}

// kindNoun names alerts in the plural ("falls") when they share a kind.
func kindNoun(alerts []balance.Alert) string {
	kind := ""
	for i, a := range alerts {
		if i > 0 && a.Kind != kind {
			return pluralNoun("")
		}
		kind = a.Kind
	}
	if len(alerts) == 1 {
		return strings.TrimSuffix(pluralNoun(kind), "s")
	}
	return pluralNoun(kind)
}

func pluralNoun(kind string) string {
	switch kind {
	case balance.AlertFall:
		return "falls"
	case balance.AlertNoMovement:
		return "no-movement alerts"
	}
	return "alerts"
}
