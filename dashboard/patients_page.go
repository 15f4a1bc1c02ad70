package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// The patient form (administrators): add a patient, or edit the details
// alert recipients and the analysis use (name, date of birth, neuropathy,
// heights, phone, address, another person to call). A plain form post;
// errors come back on the form in words, with what was typed kept.

// patientForm is the data of the patient form template.
type patientForm struct {
	New     bool
	Patient balance.Patient
	// Height and SensorHeight are the heights as typed (cm), "" if unknown.
	Height, SensorHeight string
	Error                string
}

// pagePatientNew shows an empty form.
func (s *Server) pagePatientNew(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPatients(w, r) {
		return
	}
	s.render(w, r, "patient_form.html", "Add a patient", patientForm{New: true})
}

// pagePatientEdit shows the form filled with the patient's details.
func (s *Server) pagePatientEdit(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPatients(w, r) {
		return
	}
	p, err := s.deps.Registry.Patient(r.Context(), r.PathValue("pid"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "patient_form.html", "Edit "+p.Name, patientForm{Patient: p, Height: centimetres(p.HeightM), SensorHeight: centimetres(p.SensorHeightM)})
}

// postPatient adds a patient (POST /admin/patients) or saves an edit (POST
// /admin/patients/{pid}), then shows the patient's page.
func (s *Server) postPatient(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdminPatients(w, r) {
		return
	}
	f := patientForm{New: r.PathValue("pid") == ""}
	p := &f.Patient
	p.ID = strings.TrimSpace(r.PostFormValue("id"))
	if !f.New {
		p.ID = r.PathValue("pid")
		old, err := s.deps.Registry.Patient(r.Context(), p.ID)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		p.CreatedAt = old.CreatedAt
	}
	p.Name = strings.TrimSpace(r.PostFormValue("name"))
	p.Neuropathy = r.PostFormValue("neuropathy") == "yes"
	p.Phone = strings.TrimSpace(r.PostFormValue("phone"))
	p.Address = strings.TrimSpace(r.PostFormValue("address"))
	p.Contact = strings.TrimSpace(r.PostFormValue("contact"))
	f.Height, f.SensorHeight = strings.TrimSpace(r.PostFormValue("height_cm")), strings.TrimSpace(r.PostFormValue("sensor_height_cm"))
	err := func() error {
		var err error
		if p.DateOfBirth, err = balance.ParseDate(strings.TrimSpace(r.PostFormValue("date_of_birth"))); err != nil {
			return err
		}
		if p.HeightM, err = metres("height", f.Height); err != nil {
			return err
		}
		if p.SensorHeightM, err = metres("sensor height", f.SensorHeight); err != nil {
			return err
		}
		if p.Name == "" {
			return balance.Errorf(balance.EINVALID, "the patient needs a name")
		}
		if f.New {
			if _, err := s.deps.Registry.Patient(r.Context(), p.ID); err == nil {
				return balance.Errorf(balance.ECONFLICT, "a patient with the id %q exists already; choose another id", p.ID)
			}
		}
		return s.deps.Registry.CreatePatient(r.Context(), *p)
	}()
	if err != nil {
		st := http.StatusBadRequest
		switch balance.ErrorCode(err) {
		case balance.EINVALID:
		case balance.ECONFLICT:
			st = http.StatusConflict
		default:
			s.pageError(w, r, err)
			return
		}
		f.Error = balance.ErrorMessage(err)
		s.renderStatus(w, r, st, "patient_form.html", "Patient details", f)
		return
	}
	s.cfg.Log.Info("patient saved", "patient", p.ID, "new", f.New, "by", balance.Actor(r.Context(), ""))
	http.Redirect(w, r, "/patients/"+p.ID, http.StatusSeeOther)
}

// requireAdminPatients refuses everyone but administrators (who alone may
// add patients, as POST /api/v1/patients).
func (s *Server) requireAdminPatients(w http.ResponseWriter, r *http.Request) bool {
	if !balance.ViewerFromContext(r.Context()).IsAdmin() {
		s.pageError(w, r, balance.Errorf(balance.EFORBIDDEN, "only an administrator may add patients or change their details"))
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	return true
}

// metres reads a height typed in centimetres ("" = unknown).
func metres(what, cm string) (float64, error) {
	if cm == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(cm, ",", "."), 64)
	if err != nil || v < 0 {
		return 0, balance.Errorf(balance.EINVALID, "the %s must be a number of centimetres, like 172", what)
	}
	return v / 100, nil
}

// centimetres writes a height in metres as whole centimetres ("" if 0).
func centimetres(m float64) string {
	if m <= 0 {
		return ""
	}
	return strconv.FormatFloat(m*100, 'f', 0, 64)
}
