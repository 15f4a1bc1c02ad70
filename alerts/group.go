package alerts

import "time"

// GroupState is what the outbox holds of one group's deliveries to one
// recipient when a new alert of the group is planned. The store reads it
// in the transaction that stores the alert, and Place decides.
type GroupState struct {
	// Pending is the earliest pending delivery of the group to the
	// recipient with the planned delivery's reason (and level) whose
	// first attempt has not started, so that alerts can still join it
	// ("" if none); PendingAt is when it is due.
	Pending   string
	PendingAt time.Time
	// LastDue is when the group's latest initial notice to the recipient
	// (delivered, being delivered or pending; not failed or cancelled)
	// was due; zero if there is none.
	LastDue time.Time
	// Unresolved reports whether some alert of those notices is not
	// resolved (open or acknowledged).
	Unresolved bool
	// NewestTold is when the newest alert of those notices whose first
	// attempt has started occurred (zero: none started).
	NewestTold time.Time
}

// Placement is where a planned delivery goes.
type Placement struct {
	// Join, when not "", is the pending delivery the alert joins (its ID
	// is added to it) instead of creating a delivery.
	Join string
	// NextAt is when the new delivery is due.
	NextAt time.Time
	// FollowUpSince, when not zero, makes the new delivery a follow-up
	// of an urgent group: the newest alert the recipient was told of
	// occurred then.
	FollowUpSince time.Time
}

// Place applies the grouping rules of urgent alerts, repeats and
// escalations to a planned delivery, given its group's state:
//
//   - Fold (an urgent alert's initial notice): when an earlier notice of
//     the group to the recipient carries an unresolved alert and was due
//     less than GroupInterval before d.NextAt, the alert goes in a
//     follow-up due GroupInterval after that notice, so that the
//     recipient gets at most one notice of the group per interval;
//     otherwise it is due at d.NextAt (at once: the first fall of a group
//     is never delayed). Either way it joins a pending notice of the
//     group that has not started and is due no later.
//   - Join (a repeat or an escalation step): it joins the group's pending
//     delivery of the same reason and level that has not started, whose
//     due time stays, so that a group has one chain of repeats and one of
//     escalations per recipient and step.
//   - Otherwise the delivery is created as planned.
func (d *NewDelivery) Place(g GroupState, now time.Time) Placement {
	switch {
	case d.Join:
		if g.Pending != "" {
			return Placement{Join: g.Pending}
		}
		return Placement{NextAt: d.NextAt}
	case !d.Fold:
		return Placement{NextAt: d.NextAt}
	}
	due := d.NextAt
	if due.Before(now) {
		due = now
	}
	follow := g.Unresolved && !g.LastDue.IsZero() && due.Sub(g.LastDue) < d.GroupInterval
	if follow {
		due = g.LastDue.Add(d.GroupInterval)
	}
	if g.Pending != "" && !g.PendingAt.After(due) {
		return Placement{Join: g.Pending}
	}
	p := Placement{NextAt: due}
	if follow {
		p.FollowUpSince = g.NewestTold
		if p.FollowUpSince.IsZero() {
			p.FollowUpSince = g.LastDue
		}
	}
	return p
}
