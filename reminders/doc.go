// Package reminders reminds patients to do their balance exercises at the
// time they chose in the patient app, by e-mail through the alerts outbox
// (so a reminder gets the same retries and delivery log as an alert
// notification).
//
// A patient's Settings are a time of day ("HH:MM") in their clinic's time
// zone, the days of the week, an e-mail address and on/off. Due is the pure
// rule: a day's reminder is due from its time until Late after it, once per
// local date, on the chosen days. The Scheduler applies it every minute to
// every patient whose reminders are on; it skips a patient who has already
// done a session today, enqueues the reminder with a delivery ID derived
// from the patient and the local date (alerts.Service.Remind), and records
// the date sent (the store's unique key on patient and date), so each day's
// reminder goes once across restarts and several instances.
package reminders
