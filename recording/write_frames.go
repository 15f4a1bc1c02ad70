package recording

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// Default scales of WriteFrames: the LSBs of sim.TypicalSensor, a 16-bit
// consumer MEMS IMU at ±8 g and ±2000 deg/s. 16·9.80665/65536 ≈
// 0.002394 m/s² per LSB and 4000·(π/180)/65536 ≈ 0.001065 rad/s per LSB.
const (
	DefaultFramesAccScale  = 16 * balance.StandardGravity / 65536
	DefaultFramesGyroScale = 4000 * math.Pi / 180 / 65536
)

// DefaultSamplesPerFrame is WriteFrames' default frame size: 1 s at 100 Hz.
const DefaultSamplesPerFrame = 100

// FramesOptions control WriteFrames. Zero fields mean the defaults.
type FramesOptions struct {
	// SamplesPerFrame is the most samples in one frame, 1 to
	// balance.MaxBatchSize (default DefaultSamplesPerFrame).
	SamplesPerFrame int
	// AccScale is the acceleration per count in m/s² per LSB (default
	// DefaultFramesAccScale); values beyond ±32767 counts are clamped to
	// them, as a sensor saturates.
	AccScale float64
	// GyroScale is the angular rate per count in rad/s per LSB (default
	// DefaultFramesGyroScale), used when the recording has a gyroscope.
	GyroScale float64
}

// metaWrittenByWriters are keys the writers give values of their own or
// that describe another file's layout, so Meta entries of these names are
// not copied.
var metaWrittenByWriters = map[string]bool{"format": true, "rate_hz": true, "acc_unit": true, "gyro_unit": true,
	"time_unit": true, "start_unix_ns": true, "frames_skipped": true, "bytes_skipped": true}

// WriteFrames writes rec in the frames format (see the package comment,
// "Frames"): the preamble "# format: balance-frames/1", "# rate_hz: …" and
// the rec.Meta entries in key order, then wire binary frames
// (wire.AppendBinary) with sequence numbers 0, 1, … at rec.RateHz (stored
// as float32), with gyroscope values when rec.HasGyro.
//
// Values are stored as int16 counts of opts' scales, so they read back
// within half a count (plus the float32 rounding of the scale), clamped to
// ±32767 counts. A frame carries its first sample's time in whole
// microseconds (floored) and no per-sample times: its samples are read back
// at t0 + round(i·10⁹/rate) ns. A frame therefore ends after
// opts.SamplesPerFrame samples, before a time gap (a step above 1.5
// sample periods), and before a sample more than half a period off the
// frame's grid; so every time reads back within half a period, and exactly
// when the samples lie on that grid and each frame's first time is a whole
// microsecond (as at 100 Hz from a whole-microsecond start). Sample times
// must increase, by at least 1 µs across a frame boundary.
func WriteFrames(w io.Writer, rec Recording, opts FramesOptions) error {
	fw, err := NewFramesWriter(w, rec.RateHz, rec.HasGyro, rec.Meta, opts)
	if err != nil {
		return err
	}
	if err := fw.Write(rec.Samples); err != nil {
		return err
	}
	return fw.Close()
}

// FramesWriter writes a recording in the frames format a chunk of samples
// at a time, as WriteFrames does for a whole Recording, in memory bounded
// by one frame: a day can be written as it is produced.
type FramesWriter struct {
	bw        *bufio.Writer
	opts      FramesOptions
	gyroScale float64 // 0: acc-only frames
	rate      float64 // the float32 rate, as the decoder reads it
	period    float64 // ns
	b         balance.Batch
	buf       []byte
	pending   []balance.Sample // the frame being filled
	t0        int64            // its t0 in ns, a whole µs
	lastNS    int64            // the previous frame's last time as read back
	n         int              // samples given so far
	prev      int64            // the last sample's time
	err       error
}

// NewFramesWriter checks opts (zero fields: the defaults), writes the
// preamble ("# format: balance-frames/1", "# rate_hz: …" and meta in key
// order) to w and returns the writer of the samples. Close writes the last
// frame.
func NewFramesWriter(w io.Writer, rateHz float64, hasGyro bool, meta map[string]string, opts FramesOptions) (*FramesWriter, error) {
	if err := checkRate(rateHz); err != nil {
		return nil, err
	}
	if opts.SamplesPerFrame == 0 {
		opts.SamplesPerFrame = DefaultSamplesPerFrame
	}
	if opts.AccScale == 0 {
		opts.AccScale = DefaultFramesAccScale
	}
	if opts.GyroScale == 0 {
		opts.GyroScale = DefaultFramesGyroScale
	}
	if opts.SamplesPerFrame < 1 || opts.SamplesPerFrame > balance.MaxBatchSize {
		return nil, balance.Errorf(balance.EINVALID, "frames: %d samples per frame is not in 1..%d", opts.SamplesPerFrame, balance.MaxBatchSize)
	}
	for _, s := range []float64{opts.AccScale, opts.GyroScale} {
		if f := float32(s); !(f > 0 && f <= math.MaxFloat32) {
			return nil, balance.Errorf(balance.EINVALID, "frames: scale %v is not a positive float32", s)
		}
	}
	fw := &FramesWriter{bw: bufio.NewWriterSize(w, 64<<10), opts: opts, b: balance.Batch{RateHz: rateHz},
		pending: make([]balance.Sample, 0, opts.SamplesPerFrame)}
	if hasGyro {
		fw.gyroScale = opts.GyroScale
	}
	// The frame's grid as the decoder computes it (wire: t0 + round(i·10⁹/rate)
	// with the float32 rate).
	fw.rate = float64(float32(rateHz))
	fw.period = 1e9 / fw.rate
	fmt.Fprintf(fw.bw, "# format: %s\n# rate_hz: %s\n", framesMagic, strconv.FormatFloat(rateHz, 'g', -1, 64))
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if !metaWrittenByWriters[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsRune(k, ':') || !safeMeta(k) || !safeMeta(meta[k]) {
			return nil, balance.Errorf(balance.EINVALID, "meta %q: keys and values may not hold line breaks, and keys no ':'", k)
		}
		fmt.Fprintf(fw.bw, "# %s: %s\n", k, meta[k])
	}
	return fw, nil
}

// gridNS is the time of sample k of a frame after its t0.
func (fw *FramesWriter) gridNS(k int) int64 { return int64(math.Round(float64(k) * 1e9 / fw.rate)) }

// Write adds samples, in time order after those written before; an error
// (a sample out of range, a time not increasing) names the sample by its
// index in the whole recording and stops the writer.
func (fw *FramesWriter) Write(samples []balance.Sample) error {
	if fw.err != nil {
		return fw.err
	}
	for j := range samples {
		s := &samples[j]
		i := fw.n
		if err := s.Validate(); err != nil {
			fw.err = fmt.Errorf("sample %d: %w", i, err)
			return fw.err
		}
		if i > 0 {
			if s.TimeNS <= fw.prev {
				fw.err = balance.Errorf(balance.EINVALID, "sample %d: time %d ns does not increase (previous %d ns)", i, s.TimeNS, fw.prev)
				return fw.err
			}
			k := len(fw.pending)
			grid := fw.t0 + fw.gridNS(k)
			if k < fw.opts.SamplesPerFrame && float64(s.TimeNS-fw.prev) <= 1.5*fw.period && math.Abs(float64(s.TimeNS-grid)) <= fw.period/2 {
				fw.pending = append(fw.pending, *s)
				fw.prev = s.TimeNS
				fw.n++
				continue
			}
			if err := fw.flush(); err != nil {
				return err
			}
		}
		fw.t0 = floorMicros(s.TimeNS)
		if i > 0 && fw.t0 <= fw.lastNS {
			fw.err = balance.Errorf(balance.EINVALID, "sample %d: time %d ns starts a frame, whose whole-µs start %d ns would not be after the previous sample's %d ns", i, s.TimeNS, fw.t0, fw.lastNS)
			return fw.err
		}
		fw.pending = append(fw.pending[:0], *s)
		fw.prev = s.TimeNS
		fw.n++
	}
	return nil
}

// flush writes the pending samples as one frame.
func (fw *FramesWriter) flush() error {
	if len(fw.pending) == 0 {
		return nil
	}
	fw.b.Samples = fw.pending
	fw.buf = wire.AppendBinary(fw.buf[:0], &fw.b, fw.opts.AccScale, fw.gyroScale)
	fw.b.Seq++
	fw.lastNS = fw.t0 + fw.gridNS(len(fw.pending)-1)
	fw.pending = fw.pending[:0]
	if _, err := fw.bw.Write(fw.buf); err != nil {
		fw.err = fmt.Errorf("recording: write: %w", err)
		return fw.err
	}
	return nil
}

// Close writes the last frame and flushes the buffer; it does not close
// the io.Writer.
func (fw *FramesWriter) Close() error {
	if fw.err != nil {
		return fw.err
	}
	if err := fw.flush(); err != nil {
		return err
	}
	if err := fw.bw.Flush(); err != nil {
		fw.err = fmt.Errorf("recording: write: %w", err)
		return fw.err
	}
	fw.err = errWriterClosed
	return nil
}

// errWriterClosed is what a FramesWriter returns after Close.
var errWriterClosed = balance.Errorf(balance.EINVALID, "frames: writer closed")

// floorMicros returns ns rounded down to a whole microsecond, as a frame's
// t0 stores it.
func floorMicros(ns int64) int64 {
	q := ns / 1000
	if ns%1000 < 0 {
		q--
	}
	return q * 1000
}
