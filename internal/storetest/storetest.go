// Package storetest is the contract test suite every balance.SampleStore
// adapter must pass: the InfluxDB adapter against a real InfluxDB and the
// embedded SQLite store run the same tests.
//
// Fixtures are placed by a clock, never at fixed dates: a store with a
// retention policy drops points older than its retention, so a fixed date
// turns into a failure once enough days have passed. Every write the suite
// makes is checked against the store's retention first (CheckRetention), and
// the suite can be run with the clock moved ahead to prove that no fixture
// depends on today's date.
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

// Options say how the suite places its fixtures in time.
type Options struct {
	// Now is the clock the fixtures are placed by; nil means time.Now. A
	// clock moved ahead shows that no fixture depends on today's date.
	Now func() time.Time
	// Retention is how long the store keeps samples before its clock's now
	// (0: forever). Every fixture is checked against it before it is
	// written, so an expired fixture fails with its cause instead of a
	// store error (or, worse, a store that silently drops it).
	Retention time.Duration
}

// Run runs the contract suite.
func Run(t *testing.T, newStore Factory, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f fixture)
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
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	run := rand.Uint32()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := now()
			tc.fn(t, fixture{
				s:         newStore(t),
				id:        fmt.Sprintf("st%08x-%d", run, i),
				t0:        Base(clock),
				now:       clock,
				retention: opts.Retention,
			})
		})
	}
}

// fixture is what one contract test works with: the store, its own id
// prefix, the base time of its samples and the retention they must keep to.
type fixture struct {
	s         balance.SampleStore
	id        string
	t0        time.Time
	now       time.Time
	retention time.Duration
}

// Base returns the base time for generated samples at clock time now: the
// start of the previous hour (UTC). Fixtures span at most two hours after
// it, so they lie within any retention of a day or more.
func Base(now time.Time) time.Time {
	return now.UTC().Truncate(time.Hour).Add(-time.Hour)
}

// CheckRetention returns an error naming the first of times that a store
// keeping data for retention before now would drop; retention 0 keeps
// everything.
func CheckRetention(now time.Time, retention time.Duration, times ...time.Time) error {
	if retention <= 0 {
		return nil
	}
	oldest := now.Add(-retention)
	for _, at := range times {
		if at.Before(oldest) {
			return fmt.Errorf("fixture time %s is older than the store's retention (%s before %s): the store would drop it; place fixtures relative to the clock (storetest.Base)",
				at.UTC().Format(time.RFC3339), retention, now.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

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

// write checks bs against the retention, then writes them.
func (f fixture) write(t *testing.T, bs ...*balance.Batch) {
	t.Helper()
	for _, b := range bs {
		if len(b.Samples) == 0 {
			continue
		}
		first, last := time.Unix(0, b.Samples[0].TimeNS), time.Unix(0, b.Samples[len(b.Samples)-1].TimeNS)
		if err := CheckRetention(f.now, f.retention, first, last); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.WriteBatches(ctx(t), bs); err != nil {
		t.Fatalf("WriteBatches: %v", err)
	}
}

// writeMeasurements checks ms against the retention, then writes them.
func (f fixture) writeMeasurements(t *testing.T, ms ...balance.Measurement) {
	t.Helper()
	for _, m := range ms {
		if err := CheckRetention(f.now, f.retention, m.Time); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.WriteMeasurements(ctx(t), ms); err != nil {
		t.Fatalf("WriteMeasurements: %v", err)
	}
}

func testRoundTrip(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	b := MakeBatch(id+"-d", id+"-p", t0, 250, 100, 1)
	f.write(t, b)
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatalf("ReadSamples: %v", err)
	}
	// Values must come back bit-exact; times at the storage precision (1 µs).
	if diff := cmp.Diff(b.Samples, got); diff != "" {
		t.Fatalf("ReadSamples differs from what was written (-want +got):\n%s", diff)
	}
}

func testIdempotent(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	b := MakeBatch(id+"-d", id+"-p", t0, 100, 100, 2)
	f.write(t, b)
	f.write(t, b)    // a redelivered message
	f.write(t, b, b) // a batch resent twice in one write
	half := *b       // an overlapping resend of the second half
	half.Samples = b.Samples[50:]
	f.write(t, &half)
	n, err := s.CountSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("CountSamples after resends = %d, want 100 (each sample once)", n)
	}
}

func testByPatient(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	a := MakeBatch(id+"-a", id+"-p", t0, 30, 100, 3)
	b := MakeBatch(id+"-b", id+"-p", t0.Add(time.Second), 20, 100, 4)
	other := MakeBatch(id+"-c", id+"-q", t0, 40, 100, 5)
	f.write(t, a, b, other)
	n, err := s.CountSamples(ctx(t), balance.SampleQuery{PatientID: id + "-p", From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Errorf("CountSamples(patient p) = %d, want 30+20", n)
	}
	n, err = s.CountSamples(ctx(t), balance.SampleQuery{PatientID: id + "-q", From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 {
		t.Errorf("CountSamples(patient q) = %d, want 40", n)
	}
}

func testInterval(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	b := MakeBatch(id+"-d", id+"-p", t0, 100, 100, 6) // t0 .. t0+990 ms
	f.write(t, b)
	// [t0+100ms, t0+200ms) holds samples 10..19 exactly.
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: t0.Add(100 * time.Millisecond), To: t0.Add(200 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b.Samples[10:20], got); diff != "" {
		t.Fatalf("half-open interval (-want +got):\n%s", diff)
	}
}

func testLatest(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	b := MakeBatch(id+"-d", id+"-p", t0, 100, 100, 7)
	f.write(t, b)
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
func testDevicePassedOn(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	d := id + "-d"
	first := MakeBatch(d, id+"-p", t0, 50, 100, 10)
	second := MakeBatch(d, id+"-q", t0.Add(time.Minute), 30, 100, 11)
	f.write(t, first, second)
	all := balance.SampleQuery{DeviceID: d, From: t0, To: t0.Add(time.Hour)}
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

func testLargeBatch(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	b := MakeBatch(id+"-d", id+"-p", t0, 12345, 100, 8)
	f.write(t, b)
	got, err := s.ReadSamples(ctx(t), balance.SampleQuery{DeviceID: b.DeviceID, From: t0, To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(b.Samples) || Checksum(got) != Checksum(b.Samples) {
		t.Fatalf("read %d samples checksum %x, want %d checksum %x", len(got), Checksum(got), len(b.Samples), Checksum(b.Samples))
	}
}

func testMeasurements(t *testing.T, f fixture) {
	s, id, t0 := f.s, f.id, f.t0
	p := id + "-p"
	m1 := balance.Measurement{Name: "sway", PatientID: p, Time: t0, Tags: map[string]string{"stance": "tandem"}, Fields: map[string]float64{"rms_ml": 0.12, "jerk": 3.5}}
	m2 := balance.Measurement{Name: "sway", PatientID: p, Time: t0, Tags: map[string]string{"stance": "feet_together"}, Fields: map[string]float64{"rms_ml": 0.05, "jerk": 1.5}}
	m3 := balance.Measurement{Name: "sway", PatientID: p, Time: t0.Add(time.Hour), Tags: map[string]string{"stance": "tandem"}, Fields: map[string]float64{"rms_ml": 0.1, "jerk": 3}}
	f.writeMeasurements(t, m1, m2, m3)
	// Rewriting m1 with a new value replaces it.
	m1b := m1
	m1b.Fields = map[string]float64{"rms_ml": 0.13, "jerk": 3.5}
	f.writeMeasurements(t, m1b)
	got, err := s.ReadMeasurements(ctx(t), balance.MeasurementQuery{Name: "sway", PatientID: p, From: t0, To: t0.Add(2 * time.Hour)})
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
