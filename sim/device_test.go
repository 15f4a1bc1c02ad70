package sim

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"gonum.org/v1/gonum/floats/scalar"
)

var t0 = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

// walkLoop is a few seconds of walking through a typical sensor.
func walkLoop(t testing.TB) *LoopSource {
	t.Helper()
	s := NewScenario(DefaultBody(), 100, 1)
	s.Walk(NormalWalk(DefaultBody(), 12))
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	return &LoopSource{Samples: s.Samples(TypicalSensor(), 0)}
}

// decodeAll decodes the IMU messages of msgs with the wire decoder.
func decodeAll(t *testing.T, msgs []Message, now time.Time) []balance.Batch {
	t.Helper()
	d := wire.NewDecoder(wire.DefaultLimits())
	var out []balance.Batch
	for _, m := range msgs {
		if m.Kind != wire.KindIMU {
			continue
		}
		dev, kind, err := wire.ParseTopic(m.Topic)
		if err != nil || kind != wire.KindIMU {
			t.Fatalf("topic %q: %v", m.Topic, err)
		}
		var b balance.Batch
		if _, err := d.DecodeIMU(dev, m.Payload, now, &b); err != nil {
			t.Fatalf("decode seq %d: %v", m.Seq, err)
		}
		out = append(out, b)
	}
	return out
}

func TestDeviceBatchesDecodeInEveryEncoding(t *testing.T) {
	for _, enc := range []Encoding{EncodingJSON, EncodingBinary, EncodingLP} {
		src := walkLoop(t)
		d, err := NewDevice(DeviceConfig{ID: "dev-" + string(enc), Encoding: enc, ClockOffset: 1500 * time.Millisecond}, src, t0, 1)
		if err != nil {
			t.Fatal(err)
		}
		msgs := d.Advance(t0.Add(10050*time.Millisecond), nil)
		if msgs[0].Kind != wire.KindStatus || !msgs[0].Retained {
			t.Fatalf("%s: first message %v, want a retained status", enc, msgs[0].Kind)
		}
		st, err := wire.DecodeStatus(d.ID(), msgs[0].Payload, t0)
		if err != nil || !st.Online || st.BatteryPct != 100 {
			t.Errorf("%s: status %+v, %v", enc, st, err)
		}
		bs := decodeAll(t, msgs, t0.Add(time.Minute))
		if len(bs) != 10 {
			t.Fatalf("%s: %d batches in 10.05 s, want 10", enc, len(bs))
		}
		// Values: JSON and line protocol are exact; binary quantises to
		// half a step of its scale.
		tolA, tolG := 0.0, 0.0
		if enc == EncodingBinary {
			tolA, tolG = binaryAccScale/2*1.0001, binaryGyroScale/2*1.0001
		}
		k := 0
		for i, b := range bs {
			if b.Seq != uint64(i+1) || len(b.Samples) != 100 {
				t.Errorf("%s: batch %d has seq %d and %d samples", enc, i, b.Seq, len(b.Samples))
			}
			for _, smp := range b.Samples {
				// Device time = start + offset + k/rate, on the device's grid.
				want := t0.Add(1500*time.Millisecond).UnixNano() + int64(k)*10_000_000
				if enc == EncodingBinary {
					want = want / 1000 * 1000 // the frame carries t0 in µs
				}
				if smp.TimeNS != want {
					t.Fatalf("%s: sample %d at %d, want %d", enc, k, smp.TimeNS, want)
				}
				ref := src.Samples[k%len(src.Samples)]
				for a := 0; a < 3; a++ {
					if math.Abs(smp.Acc[a]-ref.Acc[a]) > tolA || math.Abs(smp.Gyro[a]-ref.Gyro[a]) > tolG {
						t.Fatalf("%s: sample %d: %v/%v, sent %v/%v", enc, k, smp.Acc, smp.Gyro, ref.Acc, ref.Gyro)
					}
				}
				k++
			}
		}
	}
}

func TestDeviceClockDriftAndBattery(t *testing.T) {
	// 1000 ppm fast: after 1000 s of simulation the device has made one
	// second more of samples (100 100 instead of 100 000).
	d, _ := NewDevice(DeviceConfig{ID: "drift", DriftPPM: 1000, StatusEvery: 10 * time.Minute}, walkLoop(t), t0, 1)
	for s := 10; s <= 1000; s += 10 {
		d.Advance(t0.Add(time.Duration(s)*time.Second), nil)
	}
	if got := d.Stats().Samples; got != 100100 {
		t.Errorf("samples after 1000 s at +1000 ppm: %d, want 100100", got)
	}
	// The last status before an hour: decode it and check the battery and
	// device clock at the simulation time it was made.
	var last Message
	var at time.Time
	for s := 1010; s <= 3600; s += 10 {
		now := t0.Add(time.Duration(s) * time.Second)
		for _, m := range d.Advance(now, nil) {
			if m.Kind == wire.KindStatus {
				last, at = m, now
			}
		}
	}
	st, err := wire.DecodeStatus("drift", last.Payload, t0)
	el := at.Sub(t0)
	// Drain 4 %/h from 100 %; the clock gains 1000 ppm of the elapsed time.
	if err != nil || !scalar.EqualWithinAbs(st.BatteryPct, 100-4*el.Hours(), 0.051) {
		t.Errorf("status after %v: %+v, %v", el, st, err)
	}
	wantAhead := time.Duration(float64(el) * 1e-3)
	if ahead := st.DeviceTime.Sub(at); ahead < wantAhead-time.Millisecond || ahead > wantAhead+time.Millisecond {
		t.Errorf("device clock ahead by %v after %v, want %v", ahead, el, wantAhead)
	}
}

func seqs(msgs []Message) []uint64 {
	var s []uint64
	for _, m := range msgs {
		if m.Kind == wire.KindIMU {
			s = append(s, m.Seq)
		}
	}
	return s
}

func TestDeviceDuplicatesReorderAndOffline(t *testing.T) {
	d, _ := NewDevice(DeviceConfig{ID: "dup", DuplicateProb: 1}, walkLoop(t), t0, 1)
	if got := seqs(d.Advance(t0.Add(3*time.Second), nil)); !slices.Equal(got, []uint64{1, 1, 2, 2, 3, 3}) {
		t.Errorf("duplicates: seqs %v", got)
	}
	d, _ = NewDevice(DeviceConfig{ID: "reorder", ReorderProb: 1}, walkLoop(t), t0, 1)
	if got := seqs(d.Advance(t0.Add(4*time.Second), nil)); !slices.Equal(got, []uint64{2, 1, 4, 3}) {
		t.Errorf("reordering: seqs %v", got)
	}
	// Certain to drop the link at the first minute check; buffered batches
	// come back in order after the status on reconnect, none lost.
	d, _ = NewDevice(DeviceConfig{ID: "offline", OfflineProb: 1, OfflineMeanS: 30}, walkLoop(t), t0, 1)
	var all []Message
	now := t0
	wentOff, cameBack := false, false
	for i := 0; i < 600; i++ {
		now = now.Add(time.Second)
		out := d.Advance(now, nil)
		if !d.Online() {
			wentOff = true
			if len(out) != 0 {
				t.Fatalf("offline device sent %d messages", len(out))
			}
		} else if wentOff && !cameBack && len(out) > 0 {
			cameBack = true
			if out[0].Kind != wire.KindStatus {
				t.Errorf("first message after reconnect is %v, want status", out[0].Kind)
			}
		}
		all = append(all, out...)
	}
	if !wentOff || !cameBack {
		t.Fatalf("went offline %v, came back %v", wentOff, cameBack)
	}
	got := seqs(all)
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("seq %d at position %d: batches lost or out of order", s, i)
		}
	}
	if len(got) != 600 {
		t.Errorf("%d batches in 600 s", len(got))
	}
}

func TestDeviceRejectsBadConfig(t *testing.T) {
	for _, c := range []DeviceConfig{
		{ID: "bad id"},
		{ID: "ok", RateHz: 5},
		{ID: "ok", BatchS: 1000},
		{ID: "ok", Encoding: "xml"},
		{ID: "ok", Encoding: EncodingMixed},
	} {
		if _, err := NewDevice(c, walkLoop(t), t0, 1); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func TestDaySourceSessionsAndTruth(t *testing.T) {
	m := PatientModel{Patient: balance.Patient{HeightM: 1.6, Neuropathy: true}, Baseline: 0.5, Adherence: 1, Seed: 3}
	var segs []Segment
	src := &DaySource{Model: m, Sensor: TypicalSensor(), RateHz: 50, OnSegment: func(_ int, s Segment) { segs = append(segs, s) }}
	d, err := NewDevice(DeviceConfig{ID: "day", RateHz: 50, Encoding: EncodingBinary}, src, t0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Four hours of the first day: the morning sway test and exercise
	// sessions must appear as start/stop event pairs.
	var msgs []Message
	for s := 60; s <= 4*3600; s += 60 {
		msgs = d.Advance(t0.Add(time.Duration(s)*time.Second), msgs)
	}
	if src.Err() != nil {
		t.Fatal(src.Err())
	}
	open := map[string]bool{}
	starts := 0
	for _, msg := range msgs {
		if msg.Kind != wire.KindEvent {
			continue
		}
		e, err := wire.DecodeEvent("day", msg.Payload, t0.Add(4*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		switch e.Action {
		case "start":
			open[e.SessionID] = true
			starts++
		case "stop":
			if !open[e.SessionID] {
				t.Errorf("stop of %s without start", e.SessionID)
			}
			delete(open, e.SessionID)
		}
	}
	if starts == 0 || len(open) > 1 {
		t.Errorf("%d sessions started, %d left open", starts, len(open))
	}
	// Truth covers the time without gaps.
	for i := 1; i < len(segs); i++ {
		if math.Abs(segs[i].StartS-segs[i-1].EndS) > 0.02 {
			t.Fatalf("gap between segment %d (%s, ends %.2f) and %d (%s, starts %.2f)", i-1, segs[i-1].Kind, segs[i-1].EndS, i, segs[i].Kind, segs[i].StartS)
		}
	}
	if m.ImpairmentOn(28) >= m.ImpairmentOn(0) || (PatientModel{Baseline: 0.5}).ImpairmentOn(28) <= 0.5 {
		t.Error("impairment does not improve with adherence or decline without")
	}
}

func TestDaySourcePractisesAssignedLevel(t *testing.T) {
	m := PatientModel{Patient: balance.Patient{HeightM: 1.7}, Baseline: 0.3, Adherence: 1, Seed: 4}
	src := &DaySource{Model: m, Sensor: Sensor{}, RateHz: 20, Assigned: func() string { return "tandem-one-hand" }}
	var segs []Segment
	src.OnSegment = func(_ int, s Segment) { segs = append(segs, s) }
	var buf []balance.Sample
	var marks []Mark
	for i := 0; i < 4*3600; i++ { // four hours, a second at a time
		var mk []Mark
		buf, mk = src.Next(buf[:0], 20)
		marks = append(marks, mk...)
	}
	ex := 0
	for _, mk := range marks {
		if mk.Kind == balance.SessionExercise {
			ex++
			if mk.ExerciseID != "tandem-one-hand" {
				t.Errorf("exercise session marked %q", mk.ExerciseID)
			}
		}
	}
	held := 0
	for _, s := range segs {
		if s.Session == balance.SessionExercise {
			if s.Stance == nil || s.Stance.Support != "one_hand" || s.Stance.Stance != Tandem {
				t.Errorf("exercise segment stance %+v", s.Stance)
			}
			held++
		}
	}
	if ex == 0 || held == 0 {
		t.Errorf("%d exercise marks and %d segments in the first four hours", ex, held)
	}
}
