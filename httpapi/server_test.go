package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/httpapi"
	"github.com/balance-pt/balance/internal/route"
	"github.com/balance-pt/balance/internal/storetest"
	"github.com/balance-pt/balance/sqlite"
)

func newServer(t *testing.T) (*httptest.Server, *sqlite.SampleStore, *[]string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	state, err := sqlite.OpenState(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	store, err := sqlite.OpenSamples(ctx, filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var bound []string
	s := &httpapi.Server{Registry: state, Quarantine: state, Store: store, MaxSamples: 150,
		OnBind: func(id string) { bound = append(bound, id) }}
	mux := route.New(route.NoLogin{})
	s.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, store, &bound
}

func call(t *testing.T, method, url, body string) (int, map[string]any, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp.StatusCode, m, string(b)
}

func TestPatientsDevicesAndBinding(t *testing.T) {
	srv, _, bound := newServer(t)
	u := srv.URL + "/api/v1"
	if st, _, b := call(t, "POST", u+"/patients", `{"id":"p-001","name":"Jane","height_m":1.68,"sensor_height_m":0.95,"neuropathy":true}`); st != 201 {
		t.Fatalf("create patient: %d %s", st, b)
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad json", "POST", "/patients", `{"id":`, 400, balance.EINVALID},
		{"unknown field", "POST", "/patients", `{"id":"p2","age":3}`, 400, balance.EINVALID},
		{"bad patient id", "POST", "/patients", `{"id":"a b"}`, 400, balance.EINVALID},
		{"unknown patient", "GET", "/patients/nobody", "", 404, balance.ENOTFOUND},
		{"device for missing patient", "POST", "/devices", `{"id":"w1","patient_id":"ghost"}`, 404, balance.ENOTFOUND},
		{"bad device id", "POST", "/devices", `{"id":"w/1"}`, 400, balance.EDEVICEID},
		{"create device", "POST", "/devices", `{"id":"w1","patient_id":"p-001"}`, 201, ""},
		{"duplicate device", "POST", "/devices", `{"id":"w1"}`, 409, balance.ECONFLICT},
		{"unbind", "PUT", "/devices/w1/binding", `{"patient_id":""}`, 200, ""},
		{"bind", "PUT", "/devices/w1/binding", `{"patient_id":"p-001"}`, 200, ""},
		{"bind unknown device", "PUT", "/devices/w9/binding", `{"patient_id":"p-001"}`, 404, balance.ENOTFOUND},
		{"latest without data", "GET", "/devices/w1/latest", "", 404, balance.ENOTFOUND},
		{"bad interval", "GET", "/devices/w1/samples?from=yesterday", "", 400, balance.EINVALID},
		{"bad quarantine limit", "GET", "/quarantine?limit=0", "", 400, balance.EINVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, m, b := call(t, c.method, u+c.path, c.body)
			if st != c.status {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, st, b, c.status)
			}
			if c.code != "" && m["error"] != c.code {
				t.Errorf("error code = %v, want %s (body %s)", m["error"], c.code, b)
			}
		})
	}
	if strings.Join(*bound, ",") != "w1,w1,w1" {
		t.Errorf("OnBind calls = %v, want one per create/bind/unbind of w1", *bound)
	}
	st, m, _ := call(t, "GET", u+"/patients/p-001", "")
	if st != 200 || len(m["devices"].([]any)) != 1 {
		t.Fatalf("patient view = %d %v", st, m)
	}
}

func TestSamplesAreCappedAndServed(t *testing.T) {
	srv, store, _ := newServer(t)
	u := srv.URL + "/api/v1"
	call(t, "POST", u+"/patients", `{"id":"p"}`)
	call(t, "POST", u+"/devices", `{"id":"w","patient_id":"p"}`)
	t0 := storetest.Base(time.Now())
	b := storetest.MakeBatch("w", "p", t0, 200, 100, 1)
	if err := store.WriteBatches(context.Background(), []*balance.Batch{b}); err != nil {
		t.Fatal(err)
	}
	from := t0.Format(time.RFC3339Nano)
	to := t0.Add(time.Second).Format(time.RFC3339Nano)
	st, m, body := call(t, "GET", u+"/devices/w/samples?from="+from+"&to="+to, "")
	if st != 200 || m["count"].(float64) != 100 {
		t.Fatalf("1 s of samples = %d count %v: %s", st, m["count"], body)
	}
	// 200 samples exceed MaxSamples (150): the API asks to narrow the interval.
	to2 := t0.Add(3 * time.Second).Format(time.RFC3339Nano)
	if st, m, _ := call(t, "GET", u+"/patients/p/samples?from="+from+"&to="+to2, ""); st != 400 || !strings.Contains(m["message"].(string), "narrow") {
		t.Fatalf("over the cap = %d %v", st, m)
	}
	st, m, _ = call(t, "GET", u+"/devices/w/latest", "")
	if st != 200 || m["acc"].([]any)[0].(float64) != b.Samples[199].Acc[0] {
		t.Fatalf("latest = %d %v", st, m)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	srv, _, _ := newServer(t)
	if st, m, _ := call(t, "GET", srv.URL+"/healthz", ""); st != 200 || m["status"] != "ok" {
		t.Fatalf("/healthz = %d %v", st, m)
	}
	if st, m, _ := call(t, "GET", srv.URL+"/readyz", ""); st != 200 || m["ready"] != true {
		t.Fatalf("/readyz with a reachable store = %d %v", st, m)
	}
}

// TestReadinessShowsNoInternalErrors: /readyz is open, so a failing store
// is reported as unavailable without its error text (which the log keeps).
func TestReadinessShowsNoInternalErrors(t *testing.T) {
	srv, store, _ := newServer(t)
	store.Close()
	st, m, body := call(t, "GET", srv.URL+"/readyz", "")
	if st != 503 || m["ready"] != false {
		t.Fatalf("/readyz with a closed store = %d %v", st, m)
	}
	if checks, _ := m["checks"].(map[string]any); checks["store"] != "unavailable" {
		t.Errorf("store check %v, want \"unavailable\"", m["checks"])
	}
	for _, leak := range []string{"sql", "closed", "database"} {
		if strings.Contains(body, leak) {
			t.Errorf("/readyz body shows internal error text (%q): %s", leak, body)
		}
	}
}

// TestDevicePassedOnHidesEarlierWearer: once a device is bound to another
// patient, its device routes no longer show the earlier wearer's samples.
func TestDevicePassedOnHidesEarlierWearer(t *testing.T) {
	srv, store, _ := newServer(t)
	u := srv.URL + "/api/v1"
	call(t, "POST", u+"/patients", `{"id":"p"}`)
	call(t, "POST", u+"/patients", `{"id":"q"}`)
	call(t, "POST", u+"/devices", `{"id":"w","patient_id":"p"}`)
	t0 := storetest.Base(time.Now())
	if err := store.WriteBatches(context.Background(), []*balance.Batch{storetest.MakeBatch("w", "p", t0, 100, 100, 1)}); err != nil {
		t.Fatal(err)
	}
	from := t0.Format(time.RFC3339Nano)
	to := t0.Add(time.Minute).Format(time.RFC3339Nano)
	if st, m, _ := call(t, "GET", u+"/devices/w/samples?from="+from+"&to="+to, ""); st != 200 || m["count"].(float64) != 100 {
		t.Fatalf("while worn by p: %d %v", st, m["count"])
	}
	if st, _, b := call(t, "PUT", u+"/devices/w/binding", `{"patient_id":"q"}`); st != 200 {
		t.Fatalf("rebind: %d %s", st, b)
	}
	if st, m, _ := call(t, "GET", u+"/devices/w/samples?from="+from+"&to="+to, ""); st != 200 || m["count"].(float64) != 0 {
		t.Fatalf("after passing the device to q: %d, %v samples; want none of p's", st, m["count"])
	}
	if st, _, _ := call(t, "GET", u+"/devices/w/latest", ""); st != 404 {
		t.Fatalf("latest after passing the device on = %d, want 404 (no sample of q yet)", st)
	}
}

// TestReadinessChecksTheStateDatabase: with State set, /readyz answers 503
// with checks.state "unavailable" once the state database is closed, and
// 200 with "ok" before.
func TestReadinessChecksTheStateDatabase(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	state, err := sqlite.OpenState(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.OpenSamples(ctx, filepath.Join(dir, "samples.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	mux := route.New(route.NoLogin{})
	(&httpapi.Server{Registry: state, Quarantine: state, Store: store, State: state}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if st, m, _ := call(t, "GET", srv.URL+"/readyz", ""); st != 200 || m["checks"].(map[string]any)["state"] != "ok" {
		t.Fatalf("/readyz with an open state database = %d %v", st, m)
	}
	state.Close()
	st, m, _ := call(t, "GET", srv.URL+"/readyz", "")
	if st != 503 || m["checks"].(map[string]any)["state"] != "unavailable" {
		t.Fatalf("/readyz with a closed state database = %d %v", st, m)
	}
}
