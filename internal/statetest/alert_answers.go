package statetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/alerts"
)

// testAlertStoreAnswer: "I need help" pressed twice at once is recorded
// once, makes the pending escalation due at the answer, and creates one
// update notice (deterministic ID) to the recipient who was told; "I'm
// OK" then resolves the alert, cancels the update not sent and creates
// the resolved notice; a further answer on the resolved alert changes
// nothing.
func testAlertStoreAnswer(t *testing.T, bk Backend) {
	ctx := t.Context()
	st := bk.alertStore(t)
	now := time.Unix(1_800_000_000, 0).UTC()
	a := balance.Alert{ID: "f1", Kind: balance.AlertFall, Severity: balance.SeverityUrgent, PatientID: "p1", GroupKey: "p1/fall",
		Summary: "Fall", OccurredAt: now, CreatedAt: now, Status: balance.AlertOpen}
	initial := alerts.NewDelivery{ID: "d-dr", Recipient: "dr", Channel: alerts.ChannelWebhook, Target: "http://dr", Reason: alerts.ReasonInitial,
		AlertIDs: []string{"f1"}, GroupKey: "p1/fall", NextAt: now, GiveUpAfter: time.Hour}
	esc := alerts.NewDelivery{ID: "d-night", Recipient: "night", Channel: alerts.ChannelWebhook, Target: "http://night", Reason: alerts.ReasonEscalation,
		Level: 1, AlertIDs: []string{"f1"}, GroupKey: "p1/fall", NextAt: now.Add(30 * time.Second), GiveUpAfter: time.Hour}
	if _, err := st.Enqueue(ctx, a, []alerts.NewDelivery{initial, esc}, now); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Claim(ctx, now, 10, nil)
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim: %d deliveries, %v", len(ds), err)
	}
	if err := st.Finish(ctx, alerts.Outcome{Attempt: alerts.Attempt{DeliveryID: "d-dr", N: 1, Start: now, Outcome: alerts.OutcomeDelivered},
		State: alerts.StateDelivered}); err != nil {
		t.Fatal(err)
	}

	helpAt := now.Add(time.Second)
	help := alerts.AnswerRecord{Answer: alerts.AnswerHelp, GiveUpAfter: time.Hour,
		Note: balance.AlertNote{AlertID: "f1", Kind: alerts.NotePatientAnswer, Author: "ada", Text: "I need help (answered in the app)", CreatedAt: helpAt}}
	var wg sync.WaitGroup
	results := make([]alerts.AnswerResult, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() { results[i], errs[i] = st.Answer(ctx, help) })
	}
	wg.Wait()
	recorded := 0
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("answer %d: %v", i, errs[i])
		}
		if results[i].Recorded {
			recorded++
			if results[i].Expedited != 1 || results[i].Updates != 1 {
				t.Errorf("help: expedited %d, updates %d; want 1, 1", results[i].Expedited, results[i].Updates)
			}
		}
	}
	if recorded != 1 {
		t.Errorf("help pressed twice at once recorded %d times; want once", recorded)
	}

	type row struct{ ID, Recipient, Reason, State string }
	deliveries := func() (map[string]alerts.Delivery, []row) {
		ds, err := st.Deliveries(ctx, "f1")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]alerts.Delivery{}
		var rows []row
		for _, d := range ds {
			m[d.ID] = d
			rows = append(rows, row{d.ID, d.Recipient, d.Reason, d.State})
		}
		return m, rows
	}
	updID := alerts.AnswerDeliveryID("f1", "dr", alerts.AnswerHelp)
	m, rows := deliveries()
	want := []row{{"d-dr", "dr", alerts.ReasonInitial, alerts.StateDelivered}, {"d-night", "night", alerts.ReasonEscalation, alerts.StatePending},
		{updID, "dr", alerts.ReasonUpdate, alerts.StatePending}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("deliveries after help (-want +got):\n%s", diff)
	}
	if !m["d-night"].NextAt.Equal(helpAt) || !m[updID].NextAt.Equal(helpAt) {
		t.Errorf("escalation due %s, update due %s; want both at the answer, %s", m["d-night"].NextAt, m[updID].NextAt, helpAt)
	}

	okAt := now.Add(2 * time.Second)
	ok := alerts.AnswerRecord{Answer: alerts.AnswerOK, ResolveReason: `the patient answered "I'm OK" in the app at 08:00`, GiveUpAfter: time.Hour,
		Note: balance.AlertNote{AlertID: "f1", Kind: alerts.NotePatientAnswer, Author: "ada", Text: "I'm OK (answered in the app)", CreatedAt: okAt}}
	res, err := st.Answer(ctx, ok)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Recorded || res.Previous != alerts.AnswerHelp || res.Alert.Status != balance.AlertResolved || res.Alert.ResolvedReason != ok.ResolveReason {
		t.Errorf("I'm OK: %+v", res)
	}
	_, rows = deliveries()
	want = []row{{"d-dr", "dr", alerts.ReasonInitial, alerts.StateDelivered}, {"d-night", "night", alerts.ReasonEscalation, alerts.StateCancelled},
		{updID, "dr", alerts.ReasonUpdate, alerts.StateCancelled},
		{alerts.DeliveryID("f1", "dr", alerts.ReasonResolved, 0), "dr", alerts.ReasonResolved, alerts.StatePending}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("deliveries after I'm OK (-want +got):\n%s", diff)
	}

	late := help
	late.Note.CreatedAt = now.Add(3 * time.Second)
	if res, err := st.Answer(ctx, late); err != nil || res.Recorded || res.Previous != alerts.AnswerOK {
		t.Errorf("help on the resolved alert: %+v, %v; want nothing recorded", res, err)
	}
	ns, err := st.Notes(ctx, "f1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range ns {
		got = append(got, alerts.AnswerOf(n)+" "+n.CreatedAt.Sub(now).String())
	}
	if diff := cmp.Diff([]string{"help 1s", "ok 2s"}, got); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if _, err := st.Answer(ctx, alerts.AnswerRecord{Answer: alerts.AnswerOK, Note: balance.AlertNote{AlertID: "nope"}}); balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("answer on an unknown alert: %v; want not_found", err)
	}
}
