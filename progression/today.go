package progression

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/balance-pt/balance"
)

// TodayExercise is one thing to do today, in plain words.
type TodayExercise struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Category is the catalog's (balance, strength, flexibility, aerobic,
	// otago); empty for the balance level itself.
	Category     string `json:"category,omitempty"`
	Instructions string `json:"instructions"`
	Dose         string `json:"dose,omitempty"`
}

// Today is the patient-facing answer to "what do I do today, and why?".
type Today struct {
	PatientID string `json:"patient_id"`
	Date      string `json:"date"`
	// Message sums up the day in one or two sentences.
	Message string `json:"message"`
	// Balance is today's balance exercise (the plan's level).
	Balance TodayExercise `json:"balance"`
	// Also are the other exercises of the plan.
	Also []TodayExercise `json:"also"`
	// Cautions apply to today's exercises (those for neuropathy only when
	// the patient has it).
	Cautions []string `json:"cautions"`
	// Why explains the current level and what comes next.
	Why []string `json:"why"`
	// ThisWeek is the sessions done and planned this week.
	ThisWeek WeekAdherence `json:"this_week"`
	// WaitingForTherapist is set while a suggested step up awaits approval.
	WaitingForTherapist bool `json:"waiting_for_therapist"`
}

// Today returns what the patient should do today and why.
func (s *Service) Today(ctx context.Context, patientID string) (Today, error) {
	p, err := s.Store.Plan(ctx, patientID)
	if balance.ErrorCode(err) == balance.ENOTFOUND {
		return Today{}, balance.Errorf(balance.ENOTFOUND, "no exercise plan yet for %s: your therapist will set one", patientID)
	}
	if err != nil {
		return Today{}, err
	}
	in, err := s.input(ctx, p)
	if err != nil {
		return Today{}, err
	}
	t := Today{PatientID: patientID, Date: in.Now.Format("Monday 2 January 2006"), Also: []TodayExercise{}, Cautions: []string{}, Why: []string{}}
	lvl := s.Catalog.Level(p.LevelID)
	if lvl == nil {
		return t, balance.Errorf(balance.ENOTFOUND, "your level %q is no longer in the catalog: please contact your therapist", p.LevelID)
	}
	t.Balance = TodayExercise{ID: lvl.ID, Name: lvl.Name, Instructions: lvl.Instructions}
	seen := map[string]bool{}
	addCautions := func(cs []Caution) {
		for _, c := range cs {
			if (c.When == CautionAlways || c.When == CautionNeuropathy && in.Neuropathy) && !seen[c.Text] {
				seen[c.Text] = true
				t.Cautions = append(t.Cautions, c.Text)
			}
		}
	}
	addCautions(lvl.Cautions)
	for _, id := range append(append([]string{}, lvl.Exercises...), p.Exercises...) {
		if e := s.Catalog.Exercise(id); e != nil {
			if !slices.Contains(lvl.Exercises, id) {
				t.Also = append(t.Also, TodayExercise{ID: e.ID, Name: e.Name, Category: e.Category, Instructions: e.Instructions, Dose: e.Dose})
			}
			addCautions(e.Cautions)
		}
	}

	// Why: the last change that brought the patient here.
	for _, c := range in.Changes {
		if c.Status == balance.ChangeApplied && c.ToLevel == p.LevelID {
			switch c.Kind {
			case balance.ChangeProgress:
				t.Why = append(t.Why, "You moved up to this level on "+c.Time.Format("2 January")+" because you did well:")
			case balance.ChangeRegress:
				t.Why = append(t.Why, "You moved to this easier level on "+c.Time.Format("2 January")+" to keep you safe:")
			case balance.ChangeOverride:
				t.Why = append(t.Why, "Your therapist moved you to this level on "+c.Time.Format("2 January")+":")
			default:
				t.Why = append(t.Why, "Your therapist chose this level for you on "+c.Time.Format("2 January")+".")
				if c.Note != "" {
					t.Why = append(t.Why, c.Note)
				}
			}
			if c.Kind != balance.ChangeAssign {
				for _, r := range c.Reasons {
					if !strings.HasPrefix(r.Code, "step_") {
						t.Why = append(t.Why, r.Text)
					}
				}
			}
			break
		}
	}
	for _, c := range in.Changes {
		if c.Status == balance.ChangePending {
			t.WaitingForTherapist = true
		}
	}
	d := Evaluate(s.Catalog, s.Rules, in)
	for _, r := range d.Reasons {
		if !strings.HasPrefix(r.Code, "step_") && r.Code != "sensory_last" {
			t.Why = append(t.Why, r.Text)
		}
	}
	weeks := Adherence(p, in.Sessions, in.Now, 1)
	t.ThisWeek = weeks[len(weeks)-1]

	left := max(0, t.ThisWeek.Planned-t.ThisWeek.Done)
	switch {
	case d.Action == Regress:
		t.Message = "Please use the easier exercise below today and tell your therapist how you are."
		if nl := s.Catalog.Level(d.To); nl != nil {
			t.Balance = TodayExercise{ID: nl.ID, Name: nl.Name, Instructions: nl.Instructions}
		}
	case left == 0:
		t.Message = fmt.Sprintf("You have done all %d sessions planned this week. Well done! An extra session is fine if you feel up to it.", t.ThisWeek.Planned)
	default:
		t.Message = fmt.Sprintf("Today: %s. %d of %d sessions done this week.", lvl.Name, t.ThisWeek.Done, t.ThisWeek.Planned)
	}
	if t.WaitingForTherapist && d.Action != Regress {
		t.Message += " Your therapist is reviewing a step up; keep going at this level until then."
	}
	return t, nil
}
