package progression

import (
	"net/http"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/httpjson"
	"github.com/balance-pt/balance/internal/route"
)

// Routes registers the progression routes on m; every route but the
// catalog is about the patient {id}, whom the viewer must see. "Who acted"
// is the logged-in user (balance.Actor):
//
//	GET  /api/v1/catalog
//	GET  /api/v1/patients/{id}/plan
//	PUT  /api/v1/patients/{id}/plan
//	GET  /api/v1/patients/{id}/plan/history
//	POST /api/v1/patients/{id}/plan/suggestions/{sid}/approve
//	POST /api/v1/patients/{id}/plan/suggestions/{sid}/reject
//	POST /api/v1/patients/{id}/plan/override
//	POST /api/v1/patients/{id}/plan/evaluate
//	GET  /api/v1/patients/{id}/today
//	POST /api/v1/patients/{id}/sessions/{sid}/feedback  (the patient too)
//	GET  /api/v1/patients/{id}/sessions/{sid}/feedback  (the patient too)
func (s *Service) Routes(m *route.Mux) {
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request) (int, any, error)) {
		rule := route.Patient("id")
		switch pattern {
		case "GET /api/v1/catalog":
			rule = route.User
		case feedbackPOST, feedbackGET, "GET /api/v1/patients/{id}/today":
			rule = route.Own("id") // the patient too, in the app on their phone
		}
		m.Handle(pattern, rule, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, v, err := f(w, r)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			writeJSON(w, st, v)
		}))
	}
	h("GET /api/v1/catalog", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		return 200, s.Catalog, nil
	})
	h("GET /api/v1/patients/{id}/plan", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		v, err := s.View(r.Context(), r.PathValue("id"))
		return 200, v, err
	})
	h("PUT /api/v1/patients/{id}/plan", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		var req PlanRequest
		if err := readJSON(r, &req); err != nil {
			return 0, nil, err
		}
		p, err := s.SetPlan(r.Context(), r.PathValue("id"), req)
		return 200, p, err
	})
	h("GET /api/v1/patients/{id}/plan/history", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		cs, err := s.History(r.Context(), r.PathValue("id"))
		if cs == nil {
			cs = []balance.PlanChange{}
		}
		return 200, cs, err
	})
	decide := func(approve bool) func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		return func(w http.ResponseWriter, r *http.Request) (int, any, error) {
			var req struct {
				By   string `json:"by"`
				Note string `json:"note"`
			}
			if r.ContentLength != 0 {
				if err := readJSON(r, &req); err != nil {
					return 0, nil, err
				}
			}
			c, err := s.Decide(r.Context(), r.PathValue("id"), r.PathValue("sid"), approve, req.By, req.Note)
			return 200, c, err
		}
	}
	h("POST /api/v1/patients/{id}/plan/suggestions/{sid}/approve", decide(true))
	h("POST /api/v1/patients/{id}/plan/suggestions/{sid}/reject", decide(false))
	h("POST /api/v1/patients/{id}/plan/override", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		var req OverrideRequest
		if err := readJSON(r, &req); err != nil {
			return 0, nil, err
		}
		c, err := s.Override(r.Context(), r.PathValue("id"), req)
		return 200, c, err
	})
	h("POST /api/v1/patients/{id}/plan/evaluate", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		d, c, err := s.Evaluate(r.Context(), r.PathValue("id"))
		return 200, map[string]any{"decision": d, "change": c}, err
	})
	h("GET /api/v1/patients/{id}/today", func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		t, err := s.Today(r.Context(), r.PathValue("id"))
		return 200, t, err
	})
	h(feedbackPOST, func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		var req FeedbackRequest
		if err := readJSON(r, &req); err != nil {
			return 0, nil, err
		}
		res, err := s.SubmitFeedback(r.Context(), r.PathValue("id"), r.PathValue("sid"), req)
		if res.Replaced {
			return http.StatusOK, res, err
		}
		return http.StatusCreated, res, err
	})
	h(feedbackGET, func(w http.ResponseWriter, r *http.Request) (int, any, error) {
		f, err := s.FeedbackOn(r.Context(), r.PathValue("id"), r.PathValue("sid"))
		return 200, f, err
	})
}

// The "How did it go" routes: the patient answers about their own session
// (route.Own), staff who may see the patient read the answer.
const (
	feedbackPOST = "POST /api/v1/patients/{id}/sessions/{sid}/feedback"
	feedbackGET  = "GET /api/v1/patients/{id}/sessions/{sid}/feedback"
)

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpjson.Error(w, r, s.log(), 0, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

func readJSON(r *http.Request, v any) error { return httpjson.Read(r, v) }
