package monitor

import "github.com/balance-pt/balance/internal/route"

// Routes registers the monitor's API on m; each route is about the patient
// {id}, whom the viewer must see:
//
//	GET /api/v1/patients/{id}/risk           current fall risk and its history
//	GET /api/v1/patients/{id}/sessions       measured sessions
//	GET /api/v1/patients/{id}/measurements   stored measurements
func (m *Monitor) Routes(mux *route.Mux) {
	patient := route.Patient("id")
	mux.Handle("GET /api/v1/patients/{id}/risk", patient, m.RiskHandler())
	mux.Handle("GET /api/v1/patients/{id}/sessions", patient, m.SessionsHandler())
	mux.Handle("GET /api/v1/patients/{id}/measurements", patient, m.MeasurementsHandler())
}
