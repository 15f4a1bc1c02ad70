package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/analysis"
	"github.com/balance-pt/balance/recording"
)

// Long recordings. `balance analyze` reads the first analyzeHeadS seconds
// of a file into memory; when the file ends there, the recording is
// analysed whole (analyzeRecording). Otherwise it is streamed in bounded
// memory (docs/performance.md, "analyze on a day"):
//
//   - gait by analysis.GaitStream (Gait's result on the whole recording,
//     found a chunk at a time);
//   - falls by a FallDetector without an upright axis over every sample,
//     while analysis.FallWindows keeps the stretches around impacts; once
//     the axis is known at the end (learned from all the walking bouts, as
//     fallUp does, or declared), the falls are those of DetectFalls with it
//     over those stretches (exactly those of the whole recording: see
//     FallWindows); with no axis, those of the detector without one;
//   - sway and the clinical tests only within --from/--to: the window and
//     the SwayForwardMaxSec of samples on either side (where walking gives
//     the forward axis) are kept and analysed as a whole recording; a
//     window longer than analyzeHeadS is streamed like a whole file.

// analyzeHeadS is how much of a recording, s, is read into memory before
// deciding between the whole and the streaming analysis (30 min: 180 000
// samples, 10 MB at 100 Hz). A variable so that tests can force streaming.
var analyzeHeadS = 1800.0

// analyzeGaitChunkS is the chunk of analysis.NewGaitStream (0: its
// default); tests make it small.
var analyzeGaitChunkS = 0.0

// analyzeReadChunk is how many samples are read at a time while streaming.
const analyzeReadChunk = 4096

// readHead reads samples of s until it has more than headS seconds or the
// file ends, and says which (done: the recording is complete).
func readHead(s *recording.Stream, headS float64) (rec recording.Recording, done bool, err error) {
	limit := int(math.Ceil(headS * s.RateHz))
	var samples []balance.Sample
	for len(samples) <= limit {
		if len(samples) == cap(samples) {
			samples = slices.Grow(samples, min(max(4096, len(samples)), limit+1-len(samples)))
		}
		n, err := s.Read(samples[len(samples):cap(samples)])
		samples = samples[:len(samples)+n]
		if err == io.EOF {
			done = true
			break
		}
		if err != nil {
			return recording.Recording{}, false, err
		}
	}
	return recording.Recording{Samples: samples, RateHz: s.RateHz, Source: s.Source, HasGyro: s.HasGyro, Meta: s.Meta}, done, nil
}

// analyzeFile reads and analyses o.file: whole when it is at most
// analyzeHeadS long, else streamed.
func analyzeFile(ctx context.Context, o analyzeOptions, opts recording.Options) (*analyzeDoc, error) {
	st, err := recording.OpenFile(o.file, opts)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	doc, err := analyzeOpened(ctx, o, st)
	if err != nil {
		return nil, err
	}
	if n := st.Meta["frames_skipped"]; n != "" {
		doc.Notes = append(doc.Notes, fmt.Sprintf("%s damaged spots in the file (%s bytes) were skipped: their samples are missing, a gap in time", n, st.Meta["bytes_skipped"]))
	}
	return doc, nil
}

// analyzeOpened analyses the recording st: whole when it is at most
// analyzeHeadS long, else streamed.
func analyzeOpened(ctx context.Context, o analyzeOptions, st *recording.Stream) (*analyzeDoc, error) {
	rec, done, err := readHead(st, analyzeHeadS)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if done {
		if o.from > 0 || o.to > 0 {
			o.whole = rec.Samples
			if rec, err = window(rec, o.from, o.to); err != nil {
				return nil, err
			}
		}
		return analyzeRecording(o, rec)
	}
	if o.from > 0 || o.to > 0 {
		return analyzeWindowStream(ctx, o, st, rec)
	}
	a, err := newStreamAnalysis(o, st, rec.Samples[0].TimeNS, rec)
	if err != nil {
		return nil, err
	}
	if err := a.feed(rec.Samples); err != nil {
		return nil, err
	}
	rec = recording.Recording{} // the head is no longer needed
	buf := make([]balance.Sample, analyzeReadChunk)
	for {
		n, err := st.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := a.feed(buf[:n]); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	doc, err := a.finish(st.Meta)
	if err != nil {
		return nil, err
	}
	if o.test != "auto" && o.test != "none" {
		doc.Notes = append(doc.Notes, fmt.Sprintf("%s: not run: the recording is longer than %g min; give --from/--to around the test", o.test, analyzeHeadS/60))
	}
	return doc, nil
}

// streamAnalysis is the bounded-memory analysis of a long recording (or
// of a long --from/--to window of one): gait and falls.
type streamAnalysis struct {
	o       analyzeOptions
	fs      float64
	t0      int64
	n       int
	doc     *analyzeDoc
	gait    *analysis.GaitStream
	gaitErr error
	det     *analysis.FallDetector
	wins    *analysis.FallWindows
	falls0  []analysis.FallEvent // the detector's without an upright axis
}

// newStreamAnalysis starts the analysis of samples from time t0 on; head
// holds the header (and metadata read so far: the wearer's height).
func newStreamAnalysis(o analyzeOptions, st *recording.Stream, t0 int64, head recording.Recording) (*streamAnalysis, error) {
	fs := st.RateHz
	a := &streamAnalysis{o: o, fs: fs, t0: t0}
	a.doc = &analyzeDoc{
		Schema: "balance-analyze/1", File: filepath.Base(o.file), Format: st.Source, RateHz: fs,
		StartUnixNS: t0, HasGyro: st.HasGyro,
		Daily: []analysis.DailyGait{}, Falls: []fallDoc{}, Notes: []string{},
	}
	a.doc.Wearer = wearer(o, head)
	g, err := analysis.NewGaitStream(fs, analysis.GaitParams{HeightM: a.doc.Wearer.HeightM, SensorHeightM: a.doc.Wearer.SensorHeightM}, st.HasGyro, analyzeGaitChunkS)
	if err != nil {
		a.gaitErr = err
	}
	a.gait = g
	if analysis.CheckRate(fs) == nil {
		a.det = analysis.NewFallDetector(fs, analysis.FallConfig{})
		a.wins = analysis.NewFallWindows(fs, analysis.FallConfig{})
	}
	return a, nil
}

// feed analyses the next samples.
func (a *streamAnalysis) feed(p []balance.Sample) error {
	a.n += len(p)
	if a.gaitErr == nil {
		a.gaitErr = a.gait.Push(p)
	}
	if a.det == nil {
		return nil
	}
	for i := range p {
		if ev, ok := a.det.Push(p[i]); ok {
			a.falls0 = append(a.falls0, ev)
		}
	}
	a.wins.PushAll(p)
	return nil
}

// finish completes the analysis; meta is the file's metadata, complete.
func (a *streamAnalysis) finish(meta map[string]string) (*analyzeDoc, error) {
	doc := a.doc
	doc.Samples, doc.DurationS = a.n, float64(a.n)/a.fs
	err := a.gaitErr
	var gait analysis.GaitResult
	if err == nil {
		gait, err = a.gait.Result()
	}
	switch {
	case err == nil:
		doc.Gait = &gait
		doc.Daily = analysis.AggregateDaily(gait.Bouts)
	case analysis.IsInputError(err):
		doc.Notes = append(doc.Notes, "gait not analysed: "+balance.ErrorMessage(err)+" ("+err.Error()+")")
	default:
		return nil, err
	}
	if a.det == nil {
		doc.FallsUp = fallUpDoc{Source: string(analysis.UpNone)}
		return doc, nil
	}
	falls0 := append(a.falls0, a.det.Flush()...)
	up, note := fallUpFrom(a.o, meta, doc.Gait, a.gait.Up)
	doc.FallsUp = up
	if note != "" {
		doc.Notes = append(doc.Notes, note)
	}
	events := falls0
	if up.Axis != ([3]float64{}) {
		wins, _ := a.wins.Windows()
		events = analysis.DetectFallsIn(wins, a.fs, analysis.FallConfig{Up: up.Axis})
	}
	for _, ev := range events {
		doc.Falls = append(doc.Falls, fallFrom(ev, a.t0))
	}
	return doc, nil
}

// analyzeWindowStream analyses the --from/--to window of a recording
// longer than analyzeHeadS whose head is head: the window and
// SwayForwardMaxSec of samples on either side are kept and analysed as
// the whole path does; a window longer than analyzeHeadS is streamed
// (gait and falls; sway and tests are then not run, as a note says).
func analyzeWindowStream(ctx context.Context, o analyzeOptions, st *recording.Stream, head recording.Recording) (*analyzeDoc, error) {
	fs := st.RateHz
	t0 := head.Samples[0].TimeNS
	lo, hi := t0+int64(o.from*1e9), int64(math.MaxInt64)
	if o.to > 0 {
		hi = t0 + int64(o.to*1e9)
	}
	side := int(analysis.SwayForwardMaxSec * fs)
	limit := int(math.Ceil(analyzeHeadS * fs))
	var before, win, after []balance.Sample
	var a *streamAnalysis
	take := func(p []balance.Sample) error {
		for i := range p {
			s := p[i]
			switch {
			case s.TimeNS < lo:
				if len(before) == 2*side {
					before = append(before[:0], before[side:]...)
				}
				before = append(before, s)
			case s.TimeNS < hi && a != nil:
				if err := a.feed(p[i : i+1]); err != nil {
					return err
				}
			case s.TimeNS < hi:
				win = append(win, s)
				if len(win) > limit {
					var err error
					if a, err = newStreamAnalysis(o, st, win[0].TimeNS, head); err != nil {
						return err
					}
					if err := a.feed(win); err != nil {
						return err
					}
					win, before = nil, nil
				}
			case len(after) < side && a == nil:
				after = append(after, s)
			}
		}
		return nil
	}
	if err := take(head.Samples); err != nil {
		return nil, err
	}
	head.Samples = nil
	buf := make([]balance.Sample, analyzeReadChunk)
	for {
		n, err := st.Read(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := take(buf[:n]); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if a != nil {
		doc, err := a.finish(st.Meta)
		if err != nil {
			return nil, err
		}
		if o.test != "none" {
			doc.Notes = append(doc.Notes, fmt.Sprintf("sway and tests: not run: the --from/--to window is longer than %g min", analyzeHeadS/60))
		}
		return doc, nil
	}
	if len(win) == 0 {
		return nil, balance.Errorf(balance.EINVALID, "no samples between %v and %v s", o.from, o.to)
	}
	if len(before) > side {
		before = before[len(before)-side:]
	}
	o.whole = slices.Concat(before, win, after)
	rec := recording.Recording{Samples: o.whole[len(before) : len(before)+len(win)], RateHz: fs, Source: st.Source, HasGyro: st.HasGyro, Meta: st.Meta}
	return analyzeRecording(o, rec)
}
