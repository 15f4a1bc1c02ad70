package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balance-pt/balance"
)

// DeliveryID derives a delivery's ID from what makes it unique (e.g. the
// alert, the recipient, the reason), so that planning the same delivery
// twice yields the same row. It never holds a '.', as Standard Webhooks asks
// of webhook-id.
func DeliveryID(alertID, recipient, reason string, level int) string {
	return deliveryID(alertID, recipient, reason, strconv.Itoa(level))
}

func deliveryID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "msg_" + hex.EncodeToString(h[:16])
}

// Plan returns the deliveries a new alert needs at now: an initial one to
// every matching recipient (urgent alerts at once, others after the group
// wait, grouped), and one per escalation step and recipient of the step's
// roles, due when the step's delay has passed. With a group key, urgent
// initial deliveries are marked Fold (with the urgent group interval) and
// escalations Join: the store places them with Place.
func (c *Config) Plan(a *balance.Alert, now time.Time) []NewDelivery {
	var out []NewDelivery
	urgent := a.Severity == balance.SeverityUrgent
	for i := range c.Recipients {
		r := &c.Recipients[i]
		if !r.Matches(a) {
			continue
		}
		d := NewDelivery{
			ID: deliveryID(a.ID, r.Name, ReasonInitial), Recipient: r.Name, Channel: r.Channel(), Target: r.Target(),
			Reason: ReasonInitial, AlertIDs: []string{a.ID}, GroupKey: a.GroupKey, NextAt: now, GiveUpAfter: c.Retry.GiveUpAfter,
		}
		switch {
		case !urgent && a.GroupKey != "":
			d.Group, d.GroupInterval, d.NextAt = true, c.GroupInterval, now.Add(c.GroupWait)
		case urgent && a.GroupKey != "":
			d.Fold, d.GroupInterval = true, c.UrgentGroupInterval
		}
		out = append(out, d)
	}
	for step, s := range c.Escalation {
		if len(s.Severities) > 0 && !slices.Contains(s.Severities, a.Severity) {
			continue
		}
		level := step + 1
		for i := range c.Recipients {
			r := &c.Recipients[i]
			if !slices.Contains(s.Notify, r.Role) || (len(r.Patients) > 0 && !slices.Contains(r.Patients, a.PatientID)) {
				continue
			}
			out = append(out, NewDelivery{
				ID: deliveryID(a.ID, r.Name, ReasonEscalation, strconv.Itoa(level)), Recipient: r.Name, Channel: r.Channel(), Target: r.Target(),
				Reason: ReasonEscalation, Level: level, AlertIDs: []string{a.ID}, GroupKey: a.GroupKey, Join: a.GroupKey != "",
				NextAt: a.CreatedAt.Add(s.After), GiveUpAfter: c.Retry.GiveUpAfter,
			})
		}
	}
	return out
}

// recipient returns the configured recipient of that name.
func (c *Config) recipient(name string) (*Recipient, bool) {
	for i := range c.Recipients {
		if c.Recipients[i].Name == name {
			return &c.Recipients[i], true
		}
	}
	return nil, false
}
