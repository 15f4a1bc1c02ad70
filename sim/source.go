package sim

import (
	"math/rand/v2"

	"github.com/balance-pt/balance"
)

// Mark is the start or stop of a session within a chunk of readings.
type Mark struct {
	Offset    int    // index of the sample in the chunk the mark belongs to
	Action    string // "start" or "stop"
	Kind      string // a balance.Session* kind
	SessionID string
	// ExerciseID names the exercise of an exercise session.
	ExerciseID string
}

// Source yields the successive sensor readings of one wearer. TimeNS of the
// readings is left for the device to stamp.
type Source interface {
	// Next appends the next n readings to dst and returns the session
	// marks that fall within them.
	Next(dst []balance.Sample, n int) ([]balance.Sample, []Mark)
}

// LoopSource cycles a fixed list of readings: cheap, for load tests.
type LoopSource struct {
	Samples []balance.Sample
	pos     int
}

// Next implements Source.
func (l *LoopSource) Next(dst []balance.Sample, n int) ([]balance.Sample, []Mark) {
	if len(l.Samples) == 0 {
		return dst, nil
	}
	for i := 0; i < n; i++ {
		dst = append(dst, l.Samples[l.pos])
		l.pos++
		if l.pos == len(l.Samples) {
			l.pos = 0
		}
	}
	return dst, nil
}

// DaySource generates a patient's wear days block by block, on demand: it
// keeps at most one activity block (minutes) of readings in memory. Days
// follow each other without a night: device time runs on while the plan
// restarts at the next day.
type DaySource struct {
	Model  PatientModel
	Sensor Sensor
	RateHz float64
	// Assigned, when set, returns the exercise id (ExerciseID form) the
	// patient's therapist assigned; exercise sessions then practise it
	// when it names a static stance. Otherwise the patient practises their
	// LevelFor rung.
	Assigned func() string
	// OnSegment, when set, receives every ground-truth segment with its
	// times in seconds since the source started (the first reading).
	OnSegment func(day int, seg Segment)

	day     int
	plan    []Activity
	next    int     // next activity of plan
	posS    float64 // seconds of the current day already generated
	baseS   float64 // seconds generated before the current day
	chunk   []balance.Sample
	marks   []Mark
	at      int
	blockNo uint64
	err     error
}

// Err returns the first error met while generating.
func (d *DaySource) Err() error { return d.err }

// Next implements Source.
func (d *DaySource) Next(dst []balance.Sample, n int) ([]balance.Sample, []Mark) {
	var marks []Mark
	base := len(dst)
	for n > 0 {
		if d.at >= len(d.chunk) {
			if !d.refill() {
				// Never leave the caller short: pad with the last reading.
				var last balance.Sample
				if len(dst) > 0 {
					last = dst[len(dst)-1]
				}
				for ; n > 0; n-- {
					dst = append(dst, last)
				}
				break
			}
		}
		k := min(n, len(d.chunk)-d.at)
		for _, m := range d.marks {
			if m.Offset >= d.at && m.Offset < d.at+k {
				m.Offset = m.Offset - d.at + len(dst) - base
				marks = append(marks, m)
			}
		}
		dst = append(dst, d.chunk[d.at:d.at+k]...)
		d.at += k
		n -= k
	}
	return dst, marks
}

// refill generates the next block: the next planned activity if it is
// due, otherwise up to a minute of sitting (blocks stay small: a few MB).
func (d *DaySource) refill() bool {
	if d.err != nil || d.RateHz <= 0 {
		return false
	}
	if d.plan == nil || d.posS >= WearS {
		if d.plan != nil {
			d.day++
			d.baseS += d.posS
		}
		d.plan, d.next, d.posS = d.Model.Day(d.day), 0, 0
	}
	d.blockNo++
	body := d.Model.BodyOn(d.day)
	s := NewScenario(body, d.RateHz, d.Model.Seed^(d.blockNo*0x9e3779b97f4a7c15))
	s.StartSitting()
	if d.next < len(d.plan) && d.plan[d.next].StartS <= d.posS {
		a := d.plan[d.next]
		if a.Kind == "exercise" && d.Assigned != nil {
			if c, err := ParseExerciseID(d.Assigned()); err == nil {
				a.Stance = &c
			}
		}
		a.build(s)
		d.next++
	} else {
		gap := float64(WearS) - d.posS
		if d.next < len(d.plan) {
			gap = d.plan[d.next].StartS - d.posS
		}
		s.Sit(min(max(gap, 1), 60))
	}
	if err := s.Err(); err != nil {
		d.err = err
		return false
	}
	d.chunk = s.Samples(d.Sensor, 0)
	d.at = 0
	d.marks = d.marks[:0]
	for i, seg := range s.Segments() {
		if seg.Session != "" {
			id := sessionID(d.Model.Seed, d.blockNo, i)
			var ex string
			if seg.Session == balance.SessionExercise && seg.Stance != nil {
				ex = seg.Stance.ExerciseID()
			}
			d.marks = append(d.marks,
				Mark{Offset: int(seg.StartS * d.RateHz), Action: "start", Kind: seg.Session, SessionID: id, ExerciseID: ex},
				Mark{Offset: max(0, int(seg.EndS*d.RateHz)-1), Action: "stop", Kind: seg.Session, SessionID: id, ExerciseID: ex})
		}
		if d.OnSegment != nil {
			d.OnSegment(d.day, seg.Shifted(d.baseS+d.posS))
		}
	}
	d.posS += s.DurationS()
	return len(d.chunk) > 0
}

// sessionID is a deterministic session id.
func sessionID(seed, block uint64, i int) string {
	r := rand.New(rand.NewPCG(seed, block<<8|uint64(i)))
	const hex = "0123456789abcdef"
	b := make([]byte, 16)
	for k := range b {
		b[k] = hex[r.IntN(16)]
	}
	return string(b)
}
