package recording

import (
	"bytes"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// Recording is a whole IMU recording in SI units, in the sensor's own frame.
type Recording struct {
	// Samples in time order; Acc in m/s², Gyro in rad/s.
	Samples []balance.Sample
	// RateHz is the nominal sample rate.
	RateHz float64
	// Source names the format the recording was read from (a Format* value).
	Source string
	// HasGyro is false when the file carries no gyroscope (Gyro is then zero).
	HasGyro bool
	// Meta holds what else the file says (participant height, device, ...).
	Meta map[string]string
}

// Format names accepted by Read.
const (
	FormatGeneric   = "generic"
	FormatMobgap    = "mobgap"
	FormatSisFall   = "sisfall"
	FormatGENEActiv = "geneactiv"
	// FormatFrames is the binary format of the device's own frames (see the
	// package comment, "Frames").
	FormatFrames = "frames"
)

// Formats lists the accepted format names.
var Formats = []string{FormatGeneric, FormatMobgap, FormatSisFall, FormatGENEActiv, FormatFrames}

// Options control Read.
type Options struct {
	// Format is one of the Format* names; "" detects it from the content.
	Format string
	// Generic maps columns, units and rate for the generic CSV format.
	Generic GenericOptions
}

// maxLine bounds one line of text; longer lines are rejected as malformed.
const maxLine = 1 << 20

// ReadFile reads the whole recording at path: the samples of OpenFile's
// Stream collected in one slice.
func ReadFile(path string, opts Options) (Recording, error) {
	s, err := OpenFile(path, opts)
	if err != nil {
		return Recording{}, err
	}
	defer s.Close()
	return s.collect()
}

// Read reads a whole recording in the format opts.Format, or the format
// Detect finds in its first bytes when opts.Format is empty: the samples of
// Open's Stream collected in one slice.
func Read(r io.Reader, opts Options) (Recording, error) {
	s, err := Open(r, opts)
	if err != nil {
		return Recording{}, err
	}
	return s.collect()
}

// Detect names the format of a file from its first bytes: a frames file
// starts with a binary frame ("BF\x01") or with the line
// "# format: balance-frames/1"; a GENEActiv export
// starts with "Device Type,GENEActiv"; a mobgap export has a header with
// acc_x_g; SisFall lines are nine integers ending in ";"; anything else
// starting with "# " comments or with a header naming acc_x (in any case, as
// Xsens's Acc_X, within the first lines, after free-text lines such as
// "Acquisition frequency: 100 Hz") is generic CSV.
func Detect(head []byte) (string, error) {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	first := firstLine(head)
	switch {
	case bytes.HasPrefix(head, frameStart) || isFramesFormatLine(first):
		return FormatFrames, nil
	case bytes.HasPrefix(first, []byte("Device Type,GENEActiv")):
		return FormatGENEActiv, nil
	case bytes.Contains(first, []byte("acc_x_g")):
		return FormatMobgap, nil
	case bytes.HasPrefix(first, []byte("#")) || bytes.Contains(first, []byte("acc_x")):
		return FormatGeneric, nil
	case isSisFallLine(string(first)):
		return FormatSisFall, nil
	}
	rest := head
	for i := 0; i <= maxPreamble && len(rest) > 0; i++ {
		l := firstLine(rest)
		if j := bytes.IndexByte(rest, '\n'); j >= 0 {
			rest = rest[j+1:]
		} else {
			rest = nil
		}
		t := string(bytes.TrimSpace(l))
		if t == "" || isFreeText(t) {
			continue
		}
		if bytes.Contains(bytes.ToLower(l), []byte("acc_x")) {
			return FormatGeneric, nil
		}
		break
	}
	return "", balance.Errorf(balance.EMALFORMED, "cannot tell the recording format from its first line %q; give the format", truncate(string(first), 60))
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, "\r")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// parseNum parses one decimal field, rejecting empty, NaN and infinite values.
func parseNum(field string, line int, name string) (float64, error) {
	s := strings.TrimSpace(field)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, balance.Errorf(balance.EMALFORMED, "line %d: %s %q is not a number", line, name, truncate(s, 30))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, balance.Errorf(balance.ENONFINITE, "line %d: %s is %v", line, name, v)
	}
	return v, nil
}

// medianInterval returns the median of successive differences of t (seconds).
func medianInterval(t []float64) float64 {
	if len(t) < 2 {
		return 0
	}
	d := make([]float64, len(t)-1)
	for i := range d {
		d[i] = t[i+1] - t[i]
	}
	sort.Float64s(d)
	return d[len(d)/2]
}

// checkRate rejects a rate outside balance.MinRateHz..MaxRateHz.
func checkRate(hz float64) error {
	if !(hz >= balance.MinRateHz && hz <= balance.MaxRateHz) {
		return balance.Errorf(balance.ERATE, "sample rate %.4g Hz is outside %v..%v Hz", hz, balance.MinRateHz, balance.MaxRateHz)
	}
	return nil
}

// rateFromTimes derives the rate from sample times in seconds and checks that
// they increase.
func rateFromTimes(t []float64) (float64, error) {
	for i := 1; i < len(t); i++ {
		if !(t[i] > t[i-1]) {
			return 0, balance.Errorf(balance.EMALFORMED, "sample %d: time %.6g s does not increase (previous %.6g s)", i, t[i], t[i-1])
		}
	}
	dt := medianInterval(t)
	if !(dt > 0) {
		return 0, balance.Errorf(balance.ERATE, "cannot derive a sample rate from %d time stamps", len(t))
	}
	hz := 1 / dt
	// Times given as float Unix seconds carry ~0.2 µs of rounding, enough to
	// make 100 Hz read as 100.0001 Hz: snap to the nearest mHz when within
	// 10 ppm of it.
	if r := math.Round(hz*1000) / 1000; math.Abs(r-hz) <= 1e-5*hz {
		hz = r
	}
	if err := checkRate(hz); err != nil {
		return 0, err
	}
	return hz, nil
}

// secondsToNS converts seconds to integer nanoseconds, rounding. Times
// beyond 10⁶ s (absolute Unix times) are rounded to the microsecond, the
// most a float64 of that size resolves.
func secondsToNS(s float64) int64 {
	if math.Abs(s) > 1e6 {
		return int64(math.Round(s*1e6)) * 1000
	}
	return int64(math.Round(s * 1e9))
}
