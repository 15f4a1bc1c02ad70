package alerts

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/balance-pt/balance"
)

// run claims due deliveries while workers are free and sleeps until the
// next one is due, a new alert arrives or a worker frees up.
func (s *Service) run(ctx, attempts context.Context) {
	defer close(s.done)
	const maxSleep = 30 * time.Second
	for ctx.Err() == nil {
		s.mu.Lock()
		free := s.cfg.Workers - s.busy
		s.mu.Unlock()
		var claimed int
		var claimErr error
		refused := false // a due delivery waits for its recipient's running ones
		if free > 0 {
			// take runs inside Claim, before the claimed deliveries are
			// counted as busy below.
			taken := map[string]int{}
			take := func(r string) bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.busyFor[r]+taken[r] >= s.cfg.PerRecipient {
					refused = true
					return false
				}
				taken[r]++
				return true
			}
			ds, err := s.store.Claim(ctx, s.Now(), free, take)
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim deliveries; trying again in a second", "err", err)
				claimErr = err
			}
			claimed = len(ds)
			for _, d := range ds {
				s.mu.Lock()
				s.busy++
				s.busyFor[d.Recipient]++
				s.mu.Unlock()
				s.workers.Add(1)
				go func() {
					defer s.workers.Done()
					s.deliver(attempts, d)
					s.mu.Lock()
					s.busy--
					if s.busyFor[d.Recipient]--; s.busyFor[d.Recipient] <= 0 {
						delete(s.busyFor, d.Recipient)
					}
					s.mu.Unlock()
					select {
					case s.freed <- struct{}{}:
					default:
					}
				}()
			}
			if claimed == free {
				continue // there may be more due
			}
		}
		sleep := maxSleep
		if free > 0 {
			if next, err := s.store.NextDue(ctx); err == nil && !next.IsZero() {
				sleep = min(max(next.Sub(s.Now()), time.Millisecond), maxSleep)
			}
			if refused {
				// The earliest due delivery may be one refused for now; a
				// finishing worker wakes us, and a short nap keeps other
				// recipients' deliveries on time without spinning.
				sleep = max(sleep, 50*time.Millisecond)
			}
		}
		if claimErr != nil {
			sleep = time.Second
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-s.freed:
		case <-t.C:
		}
		t.Stop()
	}
}

// deliver runs one attempt of a claimed delivery and records its outcome.
func (s *Service) deliver(ctx context.Context, d Delivery) {
	start := s.Now()
	att := Attempt{DeliveryID: d.ID, N: d.Attempts, Start: start}
	o := Outcome{Attempt: att}
	finish := func() {
		// Record even when ctx is cancelled (shutdown): the attempt
		// happened. A failed write is tried again, backing off up to 10 s,
		// until it succeeds or the service stops; then the delivery stays
		// "delivering" and the next start resumes it.
		for try := 1; ; try++ {
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := s.store.Finish(wctx, o)
			cancel()
			if err == nil {
				return
			}
			s.log.Error("record delivery attempt", "delivery", d.ID, "attempt", o.Attempt.N, "try", try, "err", err)
			select {
			case <-time.After(min(time.Duration(try)*time.Second, 10*time.Second)):
			case <-ctx.Done():
				return
			}
		}
	}
	r, ok := s.cfg.recipient(d.Recipient)
	if d.Reason == ReasonReminder {
		// A one-off address, kept on the delivery (Service.Remind).
		r, ok = &Recipient{Name: d.Recipient, Email: d.Target}, d.Message != nil
	}
	if !ok {
		o.Attempt.Outcome, o.State = OutcomeFailed, StateFailed
		o.Attempt.Error = fmt.Sprintf("recipient %q is no longer configured", d.Recipient)
		s.log.Error("alert delivery failed", "delivery", d.ID, "err", o.Attempt.Error)
		s.metrics.attempt(d.Channel, o.Attempt.Outcome, 0)
		s.metrics.failed(d.Channel, "permanent")
		finish()
		return
	}
	d.Channel = r.Channel()
	if d.Reason == ReasonReminder {
		s.send(ctx, d, r, &Notification{ID: d.ID, Reason: d.Reason, Recipient: *r, CreatedAt: d.CreatedAt, BaseURL: s.cfg.BaseURL, Message: d.Message}, nil, finish, &o)
		return
	}
	// What the notification may still say: a first notice every alert (one
	// resolved before it went still happened: a fall the patient got up
	// from is still a fall; it shows as resolved); repeats and escalations
	// only open ones; a resolved notice the resolved ones; an update (the
	// patient asked for help) those not resolved meanwhile.
	alerts := slices.DeleteFunc(slices.Clone(d.Alerts), func(a balance.Alert) bool {
		switch d.Reason {
		case ReasonInitial:
			return false
		case ReasonResolved:
			return a.Status != balance.AlertResolved
		case ReasonUpdate:
			return a.Status == balance.AlertResolved
		}
		return a.Status != balance.AlertOpen
	})
	if len(alerts) == 0 {
		o.Attempt.Outcome, o.State = OutcomeCancelled, StateCancelled
		o.Attempt.Error = "cancelled: every alert was acknowledged or resolved"
		finish()
		return
	}
	// The recipient is reached where the configuration says now (an
	// address may have changed since the delivery was planned).
	n := &Notification{ID: d.ID, Reason: d.Reason, Level: d.Level, Recipient: *r, Alerts: alerts, CreatedAt: d.CreatedAt, BaseURL: s.cfg.BaseURL}
	if !d.FollowUpSince.IsZero() {
		// A follow-up of an urgent group: the alerts not told yet, newest first.
		slices.SortStableFunc(alerts, func(a, b balance.Alert) int { return b.OccurredAt.Compare(a.OccurredAt) })
		n.FollowUp = NewFollowUp(d.FollowUpSince, alerts, s.contexts.zone(alerts[0].PatientID))
	}
	n.Contexts = make(map[string]AlertContext, len(alerts))
	for _, a := range alerts {
		c := s.contexts.of(ctx, a)
		if p := s.answer(ctx, a, c.Patient.Name); p != nil {
			if n.Answers == nil {
				n.Answers = map[string]PatientAnswer{}
			}
			n.Answers[a.ID] = *p
			c.WhatToDo = answerWhatToDo(a, p, c.WhatToDo)
		}
		n.Contexts[a.ID] = c
		if a.Status == balance.AlertOpen {
			if link := s.links.Link(a.ID, r.Name, d.CreatedAt); link != "" {
				if n.AckLinks == nil {
					n.AckLinks = map[string]string{}
				}
				n.AckLinks[a.ID] = absoluteLink(s.cfg.BaseURL, link)
			}
		}
	}
	s.send(ctx, d, r, n, alerts, finish, &o)
}

// send runs the attempt of a claimed delivery (of alerts, or a reminder)
// to its recipient r and records its outcome with finish.
func (s *Service) send(ctx context.Context, d Delivery, r *Recipient, n *Notification, alerts []balance.Alert, finish func(), o *Outcome) {
	start := o.Attempt.Start
	retry, err := s.notify(ctx, n)
	o.Attempt.Duration = s.Now().Sub(start)
	// The attempt's end as recorded (start + duration on the monotonic
	// clock), so that the deadline check agrees with the attempt log even
	// when the wall clock is slewed during the attempt.
	end := start.Add(o.Attempt.Duration)
	code, retryAfter := statusOf(err)
	o.Attempt.StatusCode = code
	switch {
	case err == nil:
		o.Attempt.Outcome, o.State = OutcomeDelivered, StateDelivered
	case ctx.Err() != nil:
		o.Attempt.Outcome, o.State, o.NextAt = OutcomeInterrupted, StatePending, end
		o.Attempt.Error = "interrupted by shutdown: " + err.Error()
	case !retry:
		o.Attempt.Outcome, o.State = OutcomeFailed, StateFailed
		o.Attempt.Error = err.Error()
	case !end.Before(d.Deadline):
		o.Attempt.Outcome, o.State = OutcomeGaveUp, StateFailed
		o.Attempt.Error = fmt.Sprintf("gave up after %d attempts, deadline %s passed: %v", d.Attempts, d.Deadline.UTC().Format(time.RFC3339), err)
	default:
		o.Attempt.Outcome, o.State = OutcomeRetry, StatePending
		o.Attempt.Error = err.Error()
		delay := Backoff(d.Attempts, s.cfg.Retry.InitialBackoff, s.cfg.Retry.MaxBackoff, retryAfter, s.Rand())
		o.NextAt = end.Add(delay)
		if o.NextAt.After(d.Deadline) {
			o.NextAt = d.Deadline // one last try at the deadline
		}
	}
	if o.Attempt.Outcome == OutcomeDelivered && r.RepeatInterval > 0 && d.Reason != ReasonEscalation && d.Reason != ReasonResolved && d.Reason != ReasonUpdate {
		rep := repeatOf(d, r, alerts, end, s.cfg.Retry.GiveUpAfter)
		o.FollowUp = &rep
	}
	s.metrics.attempt(d.Channel, o.Attempt.Outcome, o.Attempt.Duration)
	finish()
	log := s.log.With("delivery", d.ID, "recipient", d.Recipient, "channel", d.Channel, "reason", d.Reason, "attempt", d.Attempts)
	switch o.Attempt.Outcome {
	case OutcomeDelivered:
		log.Info("alert delivered", "alerts", len(alerts), "took", o.Attempt.Duration)
		s.metrics.delivered(d.Channel, d.Deadline.Add(-s.cfg.Retry.GiveUpAfter), end)
		if o.FollowUp != nil {
			s.Wake() // the repeat was stored with the outcome
		}
	case OutcomeRetry:
		log.Warn("alert delivery failed; will retry", "err", err, "status", code, "next", o.NextAt)
	case OutcomeFailed:
		log.Error("alert delivery refused; not retrying", "err", err, "status", code)
		s.metrics.failed(d.Channel, "permanent")
	case OutcomeGaveUp:
		log.Error("alert delivery gave up at its deadline", "err", err, "status", code)
		s.metrics.failed(d.Channel, "deadline")
	case OutcomeInterrupted:
		log.Info("alert delivery interrupted by shutdown; resumes after restart")
	}
}

// notify calls the notifier of the recipient's channel; a panic in it is
// a retryable error, not a dead process.
func (s *Service) notify(ctx context.Context, n *Notification) (retry bool, err error) {
	nt := s.notifiers[n.Recipient.Channel()]
	if nt == nil {
		return false, fmt.Errorf("no notifier for channel %s", n.Recipient.Channel())
	}
	defer func() {
		if p := recover(); p != nil {
			retry, err = true, fmt.Errorf("%s notifier panicked: %v", n.Recipient.Channel(), p)
		}
	}()
	return nt.Notify(ctx, n)
}

// repeatOf is the next repeat of a delivered notification, due a repeat
// interval after it (created with the outcome, in one transaction). With a
// group key it joins the group's pending repeat to the recipient, if any:
// one chain of repeats per group and recipient.
func repeatOf(d Delivery, r *Recipient, alerts []balance.Alert, now time.Time, giveUpAfter time.Duration) NewDelivery {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	return NewDelivery{
		ID: deliveryID(d.ID, ReasonRepeat), Recipient: r.Name, Channel: r.Channel(), Target: r.Target(),
		Reason: ReasonRepeat, AlertIDs: ids, GroupKey: d.GroupKey, Join: d.GroupKey != "", NextAt: now.Add(r.RepeatInterval), GiveUpAfter: giveUpAfter,
	}
}

// answer returns the patient's answer to "Are you OK?" that counts for a
// fall (nil: none, or not a fall); the patient is called name. A timeline
// that cannot be read is logged and the notification goes without it.
func (s *Service) answer(ctx context.Context, a balance.Alert, name string) *PatientAnswer {
	if a.Kind != balance.AlertFall && a.Kind != balance.AlertNoMovement {
		return nil
	}
	notes, err := s.store.Notes(ctx, a.ID)
	if err != nil {
		s.log.Warn("read the patient's answer; notifying without it", "alert", a.ID, "err", err)
		return nil
	}
	return answerOf(a, notes, name, s.contexts.zone(a.PatientID))
}
