package dashboard

import "fmt"

// AppText holds every sentence the patient app shows, in one place, so
// that a clinic can translate the app by translating this map (English
// first). Keys are stable; values may hold fmt verbs, filled by the "text"
// template function in order.
var AppText = map[string]string{
	"today.title":          "Today",
	"today.hello":          "Hello %s",
	"today.no_plan":        "Your therapist has not set your exercises yet. Please ask them, or come back later.",
	"today.balance":        "Your balance exercise",
	"today.start":          "Start the exercise",
	"today.also":           "Also today",
	"today.week":           "This week: %d of %d sessions done.",
	"today.safety":         "Stay safe",
	"today.safety.counter": "Stand in a corner or next to a stable counter, never a chair that can move.",
	"today.safety.dizzy":   "Stop and sit down if you feel dizzy, faint or in pain.",
	"today.progress":       "My progress",
	"today.reminders":      "Reminders",
	"today.forget":         "Forget this phone",
	"ok.question":          "Are you OK?",
	"ok.detail":            "Your sensor noticed what looked like a fall at %s.",
	"ok.yes":               "I'm OK",
	"ok.help":              "I need help",
	"ok.thanks_ok":         "Thank you. We told your care team that you are OK.",
	"ok.thanks_help":       "Help is being called now. Stay where you are, keep warm, and keep this phone near you.",
	"exercise.title":       "Exercise",
	"exercise.ready":       "Get ready next to your counter. Press Start when you are in position.",
	"exercise.start":       "Start",
	"exercise.stop":        "Stop",
	"exercise.running":     "Hold still. Seconds left:",
	"exercise.saving":      "Well done. Working out your result…",
	"exercise.no_sensor":   "Your sensor is not connected. Please check that it is charged and worn, or call your clinic.",
	"result.held":          "You held %.0f seconds.",
	"result.target":        "That is the full %.0f seconds. Well done!",
	"result.short":         "Your goal is %.0f seconds. Keep practising.",
	"result.steadier":      "You were steadier than last week.",
	"result.same":          "You were about as steady as last week.",
	"result.less":          "You were a little less steady than last week. That is normal on some days.",
	"result.next":          "Tell us how it went",
	"how.title":            "How did it go?",
	"how.difficulty":       "How hard was it? (0 = very easy, 10 = the hardest possible)",
	"how.pain":             "Did you have new or worse pain?",
	"how.dizzy":            "Did you feel dizzy?",
	"how.confidence":       "How worried are you about falling when you do this exercise?",
	"how.conf.1":           "Not at all",
	"how.conf.2":           "A little",
	"how.conf.3":           "Quite a bit",
	"how.conf.4":           "Very much",
	"how.yes":              "Yes",
	"how.no":               "No",
	"how.send":             "Send my answers",
	"how.thanks":           "Thank you. Your therapist will see your answers.",
	"how.stop_if":          "If you have pain or dizziness, rest today and tell your therapist.",
	"progress.title":       "My progress",
	"progress.level":       "Your level",
	"progress.ladder":      "The steps of your balance exercises",
	"progress.you":         "You are here",
	"progress.sway_better": "Your balance is steadier than two weeks ago.",
	"progress.sway_same":   "Your balance is about the same as two weeks ago.",
	"progress.sway_worse":  "Your balance is a little less steady than two weeks ago. Tell your therapist if you feel unsteady.",
	"progress.sway_none":   "There are not enough exercises yet to see a trend.",
	"back":                 "Back to today",
	"rem.title":            "Reminders",
	"rem.intro":            "We can send you an e-mail when it is time for your balance exercises. If you have already done them that day, we do not send it.",
	"rem.saved":            "Saved.",
	"rem.saved_at":         "We will remind you at %s.",
	"rem.saved_off":        "Reminders are off.",
	"rem.on":               "Send me reminders",
	"rem.time":             "Time",
	"rem.zone":             "The time is your clinic's time (%s).",
	"rem.days":             "Days",
	"rem.email":            "Your e-mail address",
	"rem.email_note":       "The reminder goes to this address.",
	"rem.save":             "Save",
	"rem.phone":            "On this phone",
	"rem.phone_note":       "While this page is open on your phone, it can also show a reminder at your time.",
	"rem.phone_button":     "Also remind me on this phone while the app is open",
}

// text returns the app's sentence key filled with args (the key itself
// when it is missing, so a gap shows and is not silent).
func text(key string, args ...any) string {
	s, ok := AppText[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
