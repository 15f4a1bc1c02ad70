package recording

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/balance-pt/balance"
)

// Header is what a recording says about itself besides its samples.
type Header struct {
	// RateHz is the nominal sample rate.
	RateHz float64
	// Source names the format the recording was read from (a Format* value).
	Source string
	// HasGyro is false when the file carries no gyroscope (Gyro is then zero).
	HasGyro bool
	// Meta holds what else the file says (participant height, device, ...).
	// Comment lines of the generic CSV may add keys while the samples are
	// read; it is complete once Read has returned io.EOF.
	Meta map[string]string
}

// rateWindow is the number of samples read ahead by Open: when a file
// carries times and does not declare its rate, the rate is the median
// interval of its first rateWindow samples (10 s at 100 Hz); when it
// declares the rate, those times are checked against it (a derived rate
// outside balance.MinRateHz..MaxRateHz is an error). Every later time is
// checked to increase, sample by sample.
const rateWindow = 1000

// Stream reads a recording a chunk of samples at a time, in memory bounded
// by the chunk, the read buffer (64 KiB), the longest line and the
// rateWindow samples read ahead by Open. The Header is known after Open.
// Samples are in SI units in the sensor's frame, as in Recording; each is
// validated (balance.Sample.Validate) and times are checked to increase as
// they are read, with the errors of Read.
type Stream struct {
	Header
	dec     decoder
	file    *os.File // closed by Close when OpenFile opened it
	err     error    // returned by the next Read
	samples int      // samples returned
}

// decoder is one format's sample reader.
type decoder interface {
	// read fills p (len(p) > 0) with the next samples and returns how
	// many, with the error that stopped it (io.EOF at the end): the n
	// samples before an error are valid.
	read(p []balance.Sample) (int, error)
}

// Open reads the header of a recording in the format opts.Format, or the
// format Detect finds in its first bytes when opts.Format is empty, and
// reads ahead the first rateWindow (1000) samples of the generic, mobgap
// and GENEActiv formats to know the rate: errors in those lines are Open's;
// of the frames format it reads the preamble and the first frame.
// The returned Stream's Read gives the samples.
func Open(r io.Reader, opts Options) (*Stream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	format := opts.Format
	if format == "" {
		head, _ := br.Peek(8 << 10)
		f, err := Detect(head)
		if err != nil {
			return nil, err
		}
		format = f
	}
	switch format {
	case FormatGeneric:
		return openGeneric(newLines(br), opts.Generic)
	case FormatMobgap:
		return openMobgap(newLines(br))
	case FormatSisFall:
		return openSisFall(newLines(br))
	case FormatGENEActiv:
		return openGENEActiv(newLines(br))
	case FormatFrames:
		return openFrames(br)
	}
	return nil, balance.Errorf(balance.EINVALID, "unknown recording format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// OpenFile opens path and reads its header with Open; Close closes the
// file.
func OpenFile(path string, opts Options) (*Stream, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	s, err := Open(f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.file = f
	return s, nil
}

// Close closes the file OpenFile opened; it does nothing for a Stream of
// Open, whose reader is the caller's.
func (s *Stream) Close() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

// Read fills p with the next samples, in time order, and returns how many:
// n > 0 with a nil error, or 0 with io.EOF after the last sample, or 0 with
// the error that stopped the reading (a *balance.Error for bad input,
// naming the line or the sample), again on every later call. A chunk of a
// few thousand samples costs the least per sample (BenchmarkStream).
func (s *Stream) Read(p []balance.Sample) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := s.dec.read(p)
	s.samples += n
	if err != nil {
		s.err = err
		if n > 0 {
			return n, nil
		}
		return 0, err
	}
	return n, nil
}

// Samples returns the number of samples Read has returned.
func (s *Stream) Samples() int { return s.samples }

// collect reads every sample into a Recording.
func (s *Stream) collect() (Recording, error) {
	var samples []balance.Sample
	for {
		if len(samples) == cap(samples) {
			samples = slices.Grow(samples, max(4096, len(samples)))
		}
		n, err := s.Read(samples[len(samples):cap(samples)])
		samples = samples[:len(samples)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return Recording{}, err
		}
	}
	return Recording{Samples: samples, RateHz: s.RateHz, Source: s.Source, HasGyro: s.HasGyro, Meta: s.Meta}, nil
}

// plausible reports whether every value of s is within the ranges
// balance.Sample.Validate accepts (false for NaN): the cheap test made for
// every sample, Validate then naming what is wrong.
func plausible(s *balance.Sample) bool {
	const a, g = balance.MaxAccMS2, balance.MaxGyroRadS
	return math.Abs(s.Acc[0]) <= a && math.Abs(s.Acc[1]) <= a && math.Abs(s.Acc[2]) <= a &&
		math.Abs(s.Gyro[0]) <= g && math.Abs(s.Gyro[1]) <= g && math.Abs(s.Gyro[2]) <= g
}

// timeCheck checks that sample times (seconds) increase, one at a time.
type timeCheck struct {
	n    int // times seen
	prev float64
}

func (c *timeCheck) add(t float64) error {
	if c.n > 0 && !(t > c.prev) {
		return balance.Errorf(balance.EMALFORMED, "sample %d: time %.6g s does not increase (previous %.6g s)", c.n, t, c.prev)
	}
	c.n++
	c.prev = t
	return nil
}
