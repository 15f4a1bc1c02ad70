// Package storetest is the contract test suite every balance.SampleStore
// adapter must pass: the InfluxDB adapter against a real InfluxDB and the
// embedded SQLite store run the same tests.
package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
)

// Factory returns a store for one test; it may return the same store for
// every test, since each test uses its own device and patient ids.
type Factory func(t *testing.T) balance.SampleStore

// Run runs the contract suite.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s balance.SampleStore, id string)
	}{
		{"RoundTripExactValues", testRoundTrip},
		{"RewriteIsIdempotent", testIdempotent},
		{"QueryByPatient", testByPatient},
		{"HalfOpenInterval", testInterval},
		{"LatestSample", testLatest},
		{"DevicePassedOn", testDevicePassedOn},
		{"LargeBatchChecksum", testLargeBatch},
		{"Measurements", testMeasurements},
	}
	run := rand.Uint32()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			tc.fn(t, s, fmt.Sprintf("st%08x-%d", run, i))
		})
	}
}

// T0 is a fixed, recent base time for generated samples (storage does not
// care how old data is; the clock check is ingest's job).
var T0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

// MakeBatch returns n samples at rateHz starting at start, with values that
// exercise signs, small and large magnitudes and full float64 precision.
func MakeBatch(device, patient string, start time.Time, n int, rateHz float64, seed uint64) *balance.Batch {
	r := rand.New(rand.NewPCG(seed, 7))
	b := &balance.Batch{DeviceID: device, PatientID: patient, RateHz: rateHz, Seq: seed}
	for i := 0; i < n; i++ {
		var s balance.Sample
		s.TimeNS = start.UnixNano() + int64(math.Round(float64(i)*1e9/rateHz))
		for k := 0; k < 3; k++ {
			s.Acc[k] = r.NormFloat64() * 3
			s.Gyro[k] = r.NormFloat64() * 0.5
		}
		s.Acc[2] += balance.StandardGravity
		b.Samples = append(b.Samples, s)
	}
	return b
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func write(t *testing.T, s balance.SampleStore, bs ...*balance.Batch) {
	t.Helper()
	if err := s.WriteBatches(ctx(t), bs); err != nil {
		t.Fatalf("WriteBatches: %v", err)
	}
}

func testRoundTrip(t *testing.T, s balance.SampleStore, id string) {
	b := MakeBatch(id+"-d", id+"-p", T0, 250, 100, 1)
	write(t, s, b)
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: T0, To: T0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("ReadSamples: %v", err)
	}
	// Values must come back bit-exact; times at the storage precision (1 µs).
	if diff := cmp.Diff(b.Samples, got); diff != "" {
		t.Fatalf("ReadSamples differs from what was written (-want +got):\n%s", diff)
	}
}

func testIdempotent(t *testing.T, s balance.SampleStore, id string) {
	b := MakeBatch(id+"-d", id+"-p", T0, 100, 100, 2)
	write(t, s, b)
	write(t, s, b)    // a redelivered message
	write(t, s, b, b) // a batch resent twice in one write
	half := *b        // an overlapping resend of the second half
	half.Samples = b.Samples[50:]
	write(t, s, &half)
	n, err := s.CountSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: T0, To: T0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("CountSamples after resends = %d, want 100 (each sample once)", n)
	}
}

func testByPatient(t *testing.T, s balance.SampleStore, id string) {
	a := MakeBatch(id+"-a", id+"-p", T0, 30, 100, 3)
	b := MakeBatch(id+"-b", id+"-p", T0.Add(time.Second), 20, 100, 4)
	other := MakeBatch(id+"-c", id+"-q", T0, 40, 100, 5)
	write(t, s, a, b, other)
	n, err := s.CountSamples(ctx(t), balance.SampleQuery{PatientID: id + "-p", From: T0, To: T0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Errorf("CountSamples(patient p) = %d, want 30+20", n)
	}
	n, err = s.CountSamples(ctx(t), balance.SampleQuery{PatientID: id + "-q", From: T0, To: T0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 {
		t.Errorf("CountSamples(patient q) = %d, want 40", n)
	}
}

func testInterval(t *testing.T, s balance.SampleStore, id string) {
	b := MakeBatch(id+"-d", id+"-p", T0, 100, 100, 6) // T0 .. T0+990 ms
	write(t, s, b)
	// [T0+100ms, T0+200ms) holds samples 10..19 exactly.
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: T0.Add(100 * time.Millisecond), To: T0.Add(200 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Samples[10:20], got); diff != "" {
		t.Fatalf("half-open interval (-want +got):\n%s", diff)
	}
}

func testLatest(t *testing.T, s balance.SampleStore, id string) {
	b := MakeBatch(id+"-d", id+"-p", T0, 100, 100, 7)
	write(t, s, b)
	got, err := s.LatestSample(ctx(t), b.DeviceID, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Samples[99], got); diff != "" {
		t.Errorf("LatestSample (-want +got):\n%s", diff)
	}
	_, err = s.LatestSample(ctx(t), id+"-nobody", "")
	if balance.ErrorCode(err) != balance.ENOTFOUND {
		t.Errorf("LatestSample(unknown) error = %v, want code %s", err, balance.ENOTFOUND)
	}
}

// testDevicePassedOn: a device worn by patient p, then passed on to q. A
// query by device and patient returns only that patient's part, and the
// latest sample for q is q's.
func testDevicePassedOn(t *testing.T, s balance.SampleStore, id string) {
	d := id + "-d"
	first := MakeBatch(d, id+"-p", T0, 50, 100, 10)
	second := MakeBatch(d, id+"-q", T0.Add(time.Minute), 30, 100, 11)
	write(t, s, first, second)
	all := balance.SampleQuery{DeviceID: d, From: T0, To: T0.Add(time.Hour)}
	if n, err := s.CountSamples(ctx(t), all); err != nil || n != 80 {
		t.Fatalf("CountSamples(device) = %d, %v; want 80", n, err)
	}
	q := all
	q.PatientID = id + "-q"
	got, err := s.ReadSamples(ctx(t), q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(second.Samples, got); diff != "" {
		t.Fatalf("ReadSamples(device, new wearer) (-want +got):\n%s", diff)
	}
	p := all
	p.PatientID = id + "-p"
	if n, err := s.CountSamples(ctx(t), p); err != nil || n != 50 {
		t.Fatalf("CountSamples(device, first wearer) = %d, %v; want 50", n, err)
	}
	last, err := s.LatestSample(ctx(t), d, id+"-p")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.Samples[49], last); diff != "" {
		t.Errorf("LatestSample(device, first wearer) (-want +got):\n%s", diff)
	}
}

// Checksum is an order-independent checksum of samples: the sum over samples of
// a hash of the time and the bits of each value, used to show that exactly the
// same data came back.
func Checksum(ss []balance.Sample) uint64 {
	var sum uint64
	for _, s := range ss {
		h := uint64(s.TimeNS/1000) * 0x9E3779B97F4A7C15
		for _, v := range s.Acc {
			h = (h ^ math.Float64bits(v)) * 0x100000001B3
		}
		for _, v := range s.Gyro {
			h = (h ^ math.Float64bits(v)) * 0x100000001B3
		}
		sum += h
	}
	return sum
}

func testLargeBatch(t *testing.T, s balance.SampleStore, id string) {
	b := MakeBatch(id+"-d", id+"-p", T0, 12345, 100, 8)
	write(t, s, b)
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: T0, To: T0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(b.Samples) || Checksum(got) != Checksum(b.Samples) {
		t.Fatalf("read %d samples checksum %x, want %d checksum %x", len(got), Checksum(got), len(b.Samples), Checksum(b.Samples))
	}
}

func testMeasurements(t *testing.T, s balance.SampleStore, id string) {
	p := id + "-p"
	m1 := balance.Measurement{Name: "sway", PatientID: p, Time: T0, Tags: map[string]string{"stance": "tandem"}, Fields: map[string]float64{"rms_ml": 0.12, "jerk": 3.5}}
	m2 := balance.Measurement{Name: "sway", PatientID: p, Time: T0, Tags: map[string]string{"stance": "feet_together"}, Fields: map[string]float64{"rms_ml": 0.05, "jerk": 1.5}}
	m3 := balance.Measurement{Name: "sway", PatientID: p, Time: T0.Add(time.Hour), Tags: map[string]string{"stance": "tandem"}, Fields: map[string]float64{"rms_ml": 0.1, "jerk": 3}}
	if err := s.WriteMeasurements(ctx(t), []balance.Measurement{m1, m2, m3}); err != nil {
		t.Fatalf("WriteMeasurements: %v", err)
	}
	// Rewriting m1 with a new value replaces it.
	m1b := m1
	m1b.Fields = map[string]float64{"rms_ml": 0.13, "jerk": 3.5}
	if err := s.WriteMeasurements(ctx(t), []balance.Measurement{m1b}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadMeasurements(ctx(t), balance.MeasurementQuery{Name: "sway", PatientID: p, From: T0, To: T0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatalf("ReadMeasurements: %v", err)
	}
	want := []balance.Measurement{m2, m1b, m3} // by time, then tags
	norm := func(ms []balance.Measurement) []balance.Measurement {
		out := append([]balance.Measurement(nil), ms...)
		for i := range out {
			out[i].Time = out[i].Time.UTC()
		}
		return out
	}
	if diff := cmp.Diff(norm(want), norm(got)); diff != "" {
		t.Fatalf("ReadMeasurements (-want +got):\n%s", diff)
	}
}
