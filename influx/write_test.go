package influx_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/influx"
)

// writeRequest is what a fake InfluxDB saw of one write.
type writeRequest struct {
	Path, Precision, Bucket, Encoding string
	Body                              string
}

// fakeWriter records the /api/v2/write requests it answers with 204.
func fakeWriter(t *testing.T) (url string, seen func() []writeRequest) {
	t.Helper()
	var mu sync.Mutex
	var reqs []writeRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		reqs = append(reqs, writeRequest{Path: r.URL.Path, Precision: r.URL.Query().Get("precision"),
			Bucket: r.URL.Query().Get("bucket"), Encoding: r.Header.Get("Content-Encoding"), Body: string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []writeRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]writeRequest(nil), reqs...)
	}
}

// TestWriteBatchesBody checks that each request carries exactly the line
// protocol of its batches (AppendSampleLines, without the last newline),
// with and without gzip, and that consecutive requests do not share a body.
func TestWriteBatchesBody(t *testing.T) {
	mk := func(dev, pat string, t0 int64, v float64) *balance.Batch {
		return &balance.Batch{DeviceID: dev, PatientID: pat, Samples: []balance.Sample{
			{TimeNS: t0, Acc: [3]float64{v, -9.80665, 0.0023942184448242188}, Gyro: [3]float64{1e-7, -2.5, 34.906585039886586}},
			{TimeNS: t0 + 10_000_000, Acc: [3]float64{0, 1, 2}, Gyro: [3]float64{3, 4, 5}},
		}}
	}
	requests := [][]*balance.Batch{
		{mk("d1", "p1", 1_700_000_000_000_000_000, 0.1), mk("d2", "", 1_700_000_000_000_000_500, 0.2)},
		{mk("d3", "p3", 1_700_000_001_000_000_000, 0.3)},
		{},
		{{DeviceID: "d4"}},
	}
	for _, tc := range []struct {
		name     string
		gzip     bool
		encoding string
	}{
		{"plain", false, ""},
		{"gzip", true, "gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, seen := fakeWriter(t)
			s, err := influx.New(influx.Config{URL: url, RawBucket: "balance/raw", DerivedBucket: "balance/autogen", GZip: tc.gzip})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var want []writeRequest
			for _, bs := range requests {
				if err := s.WriteBatches(context.Background(), bs); err != nil {
					t.Fatal(err)
				}
				var lines []byte
				for _, b := range bs {
					lines = influx.AppendSampleLines(lines, b)
				}
				if len(lines) > 0 { // an empty write sends nothing
					want = append(want, writeRequest{Path: "/api/v2/write", Precision: "us", Bucket: "balance/raw",
						Encoding: tc.encoding, Body: string(bytes.TrimSuffix(lines, []byte("\n")))})
				}
			}
			if diff := cmp.Diff(want, seen()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}
