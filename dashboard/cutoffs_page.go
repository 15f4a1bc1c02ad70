package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// The cut-offs page of a patient (the patient's clinicians): the
// fall-risk cut-offs that apply, the clinic's or the patient's own, and a
// form to set the patient's own or go back to the clinic's. Monitoring's
// risk assessment and the charts use them from the next assessment on.

// cutoffField is one cut-off of the form.
type cutoffField struct {
	Name, Label, Unit, Value string
	// Worse says which way the risk rises ("below" or "from").
	Worse string
}

// cutoffsPage is the data of the cut-offs template.
type cutoffsPage struct {
	Patient balance.Patient
	Fields  []cutoffField
	// Own is the patient's own cut-offs when set.
	Own   *balance.Cutoffs
	Error string
	Done  string
}

// cutoffDefs are the fields of balance.Cutoffs in the form's order.
var cutoffDefs = []struct {
	name, label, unit, worse string
	get                      func(*balance.Cutoffs) *float64
}{
	{"gait_speed_moderate_mps", "Gait speed, moderate risk", "m/s", "below", func(c *balance.Cutoffs) *float64 { return &c.GaitSpeedModerate }},
	{"gait_speed_high_mps", "Gait speed, high risk", "m/s", "below", func(c *balance.Cutoffs) *float64 { return &c.GaitSpeedHigh }},
	{"tug_moderate_s", "Timed Up and Go, moderate risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.TUGModerate }},
	{"tug_high_s", "Timed Up and Go, high risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.TUGHigh }},
	{"sts5_moderate_s", "Five-times sit-to-stand, moderate risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.STSModerate }},
	{"sts5_high_s", "Five-times sit-to-stand, high risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.STSHigh }},
	{"tandem_moderate_s", "Tandem stance held, moderate risk", "s", "below", func(c *balance.Cutoffs) *float64 { return &c.TandemModerate }},
	{"tandem_high_s", "Tandem stance held, high risk", "s", "below", func(c *balance.Cutoffs) *float64 { return &c.TandemHigh }},
	{"stride_time_sd_moderate_s", "Stride-time variability (SD), moderate risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.StrideSDModerate }},
	{"stride_time_sd_high_s", "Stride-time variability (SD), high risk", "s", "from", func(c *balance.Cutoffs) *float64 { return &c.StrideSDHigh }},
}

// cutoffFields fills the form from c.
func cutoffFields(c balance.Cutoffs) []cutoffField {
	out := make([]cutoffField, 0, len(cutoffDefs))
	for _, d := range cutoffDefs {
		out = append(out, cutoffField{Name: d.name, Label: d.label, Unit: d.unit, Worse: d.worse, Value: strconv.FormatFloat(*d.get(&c), 'f', -1, 64)})
	}
	return out
}

// pageCutoffs shows the cut-offs that apply to the patient.
func (s *Server) pageCutoffs(w http.ResponseWriter, r *http.Request) {
	_, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	d, err := s.cutoffsData(r, id)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "saved":
		d.Done = "The patient's own cut-offs are saved; the next risk assessment uses them."
	case "cleared":
		d.Done = "The clinic's cut-offs apply again."
	}
	s.render(w, r, "cutoffs.html", "Risk cut-offs", d)
}

// cutoffsData reads the patient and the cut-offs that apply.
func (s *Server) cutoffsData(r *http.Request, id string) (cutoffsPage, error) {
	var d cutoffsPage
	if s.deps.Cutoffs == nil {
		return d, balance.Errorf(balance.EUNAVAILABLE, "cut-offs cannot be changed in this system")
	}
	p, err := s.deps.Registry.Patient(r.Context(), id)
	if err != nil {
		return d, err
	}
	d.Patient = p
	th, err := s.cfg.Thresholds(r.Context(), id, p.Neuropathy)
	if err != nil {
		return d, err
	}
	d.Fields = cutoffFields(th.Cutoffs())
	if own, ok, err := s.deps.Cutoffs.PatientCutoffs(r.Context(), id); err != nil {
		return d, err
	} else if ok {
		d.Own = &own
	}
	return d, nil
}

// postCutoffs saves the patient's own cut-offs, or with action=clinic
// goes back to the clinic's.
func (s *Server) postCutoffs(w http.ResponseWriter, r *http.Request) {
	u, id, ok := s.patientAccess(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if s.deps.Cutoffs == nil {
		s.pageError(w, r, balance.Errorf(balance.EUNAVAILABLE, "cut-offs cannot be changed in this system"))
		return
	}
	if r.PostFormValue("action") == "clinic" {
		if err := s.deps.Cutoffs.SetPatientCutoffs(r.Context(), id, nil); err != nil {
			s.pageError(w, r, err)
			return
		}
		s.cfg.Log.Info("patient cut-offs cleared", "patient", id, "by", u.Username)
		http.Redirect(w, r, "/patients/"+id+"/cutoffs?done=cleared", http.StatusSeeOther)
		return
	}
	c := balance.Cutoffs{By: u.Username, UpdatedAt: s.now()}
	var problems []string
	for _, d := range cutoffDefs {
		raw := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue(d.name)), ",", ".")
		if raw == "" {
			raw = "0"
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			problems = append(problems, d.label+" must be a number ("+d.unit+"), or 0 for none")
			continue
		}
		*d.get(&c) = v
	}
	err := error(nil)
	if len(problems) > 0 {
		err = balance.Errorf(balance.EINVALID, "%s", strings.Join(problems, "; "))
	} else {
		err = s.deps.Cutoffs.SetPatientCutoffs(r.Context(), id, &c)
	}
	if err != nil {
		if balance.ErrorCode(err) != balance.EINVALID {
			s.pageError(w, r, err)
			return
		}
		d, derr := s.cutoffsData(r, id)
		if derr != nil {
			s.pageError(w, r, derr)
			return
		}
		d.Fields = cutoffFields(c) // what was typed
		for i, def := range cutoffDefs {
			d.Fields[i].Value = r.PostFormValue(def.name)
		}
		d.Error = balance.ErrorMessage(err)
		s.renderStatus(w, r, http.StatusBadRequest, "cutoffs.html", "Risk cut-offs", d)
		return
	}
	s.cfg.Log.Info("patient cut-offs set", "patient", id, "by", u.Username)
	http.Redirect(w, r, "/patients/"+id+"/cutoffs?done=saved", http.StatusSeeOther)
}
