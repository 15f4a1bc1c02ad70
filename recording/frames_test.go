package recording

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
	"github.com/google/go-cmp/cmp"
)

// framesRec is benchRecording(n) (|acc| near g, gyroscope ramp below
// 1 rad/s) at rate, starting at the current second, so sample i is at
// start + round(i·10⁹/rate) ns: on the frames' grid.
func framesRec(n int, rate float64, gyro bool) Recording {
	rec := benchRecording(n)
	start := time.Now().Truncate(time.Second).UnixNano()
	for i := range rec.Samples {
		rec.Samples[i].TimeNS = start + int64(math.Round(float64(i)*1e9/rate))
		if !gyro {
			rec.Samples[i].Gyro = [3]float64{}
		}
	}
	rec.RateHz, rec.HasGyro = rate, gyro
	rec.Meta = map[string]string{"height_m": "1.70", "sensor_height_m": "0.95", "device": "imu-7"}
	return rec
}

func writeFrames(t *testing.T, rec Recording, opts FramesOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteFrames(&buf, rec, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// preambleLen is the length of the preamble WriteFrames writes for rec.
func preambleLen(t *testing.T, rec Recording) int {
	rec.Samples = nil
	return len(writeFrames(t, rec, FramesOptions{}))
}

// checkSamples compares got with want: times exact, values within half a
// count of the scales (wire.AppendBinary rounds to the nearest count of the
// float32 scale).
func checkSamples(t *testing.T, what string, got, want []balance.Sample, accScale, gyroScale float64) {
	t.Helper()
	checkSamplesTol(t, what, got, want, accScale, gyroScale, 0)
}

// checkSamplesTol is checkSamples with times within tolNS.
func checkSamplesTol(t *testing.T, what string, got, want []balance.Sample, accScale, gyroScale float64, tolNS int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d samples, want %d", what, len(got), len(want))
	}
	ta, tg := float64(float32(accScale))/2+1e-12, float64(float32(gyroScale))/2+1e-12
	for i := range want {
		g, w := got[i], want[i]
		if d := g.TimeNS - w.TimeNS; d > tolNS || d < -tolNS {
			t.Fatalf("%s: sample %d at %d ns, want %d", what, i, g.TimeNS, w.TimeNS)
		}
		for k := range 3 {
			if math.Abs(g.Acc[k]-w.Acc[k]) > ta || math.Abs(g.Gyro[k]-w.Gyro[k]) > tg {
				t.Fatalf("%s: sample %d is %v, want %v within %g, %g", what, i, g, w, ta, tg)
			}
		}
	}
}

// TestFramesRoundTrip: WriteFrames then Read gives the samples back (times
// exactly when the rate is a float32, values within half a count), the Meta
// and the rate, with and without the preamble, with and without gyroscope,
// in chunks smaller and larger than a frame.
func TestFramesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		rate float64
		gyro bool
		opts FramesOptions
	}{
		{"100 Hz with gyro", 5000, 100, true, FramesOptions{}},
		{"100 Hz acc only", 5000, 100, false, FramesOptions{}},
		// 51.2 Hz is not a float32: the preamble's rate_hz gives it exactly.
		// Its samples are read on the grid of the float32 rate, off by up to
		// 6 × (1/float32(51.2) − 1/51.2) s ≈ 1.75 ns at the end of a frame,
		// from frame starts floored to the µs (the period is 19531.25 µs).
		{"51.2 Hz acc only, 7 per frame", 3001, 51.2, false, FramesOptions{SamplesPerFrame: 7}},
		// 10000 samples × 12 bytes: frames larger than the 64 KiB buffer.
		{"large frames, own scales", 25000, 200, true, FramesOptions{SamplesPerFrame: balance.MaxBatchSize, AccScale: 0.001, GyroScale: 0.0005}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := framesRec(tc.n, tc.rate, tc.gyro)
			data := writeFrames(t, rec, tc.opts)
			spf := tc.opts.SamplesPerFrame
			if spf == 0 {
				spf = DefaultSamplesPerFrame
			}
			tol := int64(math.Ceil(float64(spf-1) * math.Abs(1e9/tc.rate-1e9/float64(float32(tc.rate)))))
			if math.Mod(1e9/tc.rate, 1000) != 0 {
				tol += 999
			}
			accScale, gyroScale := DefaultFramesAccScale, DefaultFramesGyroScale
			if tc.opts.AccScale != 0 {
				accScale, gyroScale = tc.opts.AccScale, tc.opts.GyroScale
			}
			if !tc.gyro {
				gyroScale = 0
			}
			if f, err := Detect(data); f != FormatFrames || err != nil {
				t.Errorf("Detect = %q, %v", f, err)
			}
			wantMeta := map[string]string{"format": "balance-frames/1", "rate_hz": strconv.FormatFloat(tc.rate, 'g', -1, 64),
				"height_m": "1.70", "sensor_height_m": "0.95", "device": "imu-7"}
			bare := data[preambleLen(t, rec):]
			if !bytes.HasPrefix(bare, []byte("BF\x01")) {
				t.Fatalf("frames do not follow the preamble: %q", bare[:8])
			}
			if f, err := Detect(bare); f != FormatFrames || err != nil {
				t.Errorf("Detect without preamble = %q, %v", f, err)
			}
			for _, in := range []struct {
				name     string
				data     []byte
				meta     map[string]string
				wantRate float64
			}{
				{"preamble", data, wantMeta, tc.rate},
				{"bare", bare, map[string]string{}, float64(float32(tc.rate))},
			} {
				for _, size := range []int{1, 7, 4096} {
					what := fmt.Sprintf("%s, chunks of %d", in.name, size)
					h, got, err := readChunks(t, in.data, size)
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					wantH := Header{RateHz: in.wantRate, Source: FormatFrames, HasGyro: tc.gyro, Meta: in.meta}
					if diff := cmp.Diff(wantH, h); diff != "" {
						t.Errorf("%s: header (-want +got):\n%s", what, diff)
					}
					checkSamplesTol(t, what, got, rec.Samples, accScale, gyroScale, tol)
				}
			}
			// ReadFile (OpenFile) of the same bytes.
			path := filepath.Join(t.TempDir(), "rec.frames")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(path, Options{})
			if err != nil || got.Source != FormatFrames || got.RateHz != tc.rate {
				t.Fatalf("ReadFile: source %q rate %v, %v", got.Source, got.RateHz, err)
			}
			checkSamplesTol(t, "ReadFile", got.Samples, rec.Samples, accScale, gyroScale, tol)
		})
	}
}

// TestFramesSize: a frame of 100 samples with gyroscope is 30 + 100×12 + 4
// = 1234 bytes (wire/binary.go's layout), without 30 + 100×6 + 4 = 634.
func TestFramesSize(t *testing.T) {
	for _, gyro := range []bool{true, false} {
		rec := framesRec(5000, 100, gyro)
		size := 634
		if gyro {
			size = 1234
		}
		if got := len(writeFrames(t, rec, FramesOptions{})) - preambleLen(t, rec); got != 50*size {
			t.Errorf("gyro %v: %d bytes of frames, want 50 × %d", gyro, got, size)
		}
	}
}

// TestFramesGap: samples with a 2 s hole are written as separate frames
// and read back with the hole, times exact; samples drifting off the grid
// start a new frame once more than half a period off, so every time reads
// back within half a period.
func TestFramesGap(t *testing.T) {
	rec := framesRec(500, 100, true)
	for i := 250; i < 500; i++ {
		rec.Samples[i].TimeNS += 2e9
	}
	_, got, err := readChunks(t, writeFrames(t, rec, FramesOptions{}), 4096)
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, "gap", got, rec.Samples, DefaultFramesAccScale, DefaultFramesGyroScale)
	if d := got[250].TimeNS - got[249].TimeNS; d != 2e9+1e7 {
		t.Errorf("step across the gap is %d ns, want 2.01e9", d)
	}

	// From sample 360, inside the frame of samples 350-449, the clock runs
	// 1 % slow: sample 360+k is 0.1·k ms off the grid, more than the half
	// period of 5 ms from k = 51, where a new frame starts.
	for i := 360; i < 500; i++ {
		rec.Samples[i].TimeNS += int64(i-360) * 1e5
	}
	_, got, err = readChunks(t, writeFrames(t, rec, FramesOptions{}), 4096)
	if err != nil {
		t.Fatal(err)
	}
	checkSamplesTol(t, "drift", got, rec.Samples, DefaultFramesAccScale, DefaultFramesGyroScale, 5e6)
	if got[410].TimeNS != rec.Samples[410].TimeNS-5e6 || got[411].TimeNS != rec.Samples[411].TimeNS {
		t.Errorf("samples 410, 411 read %d, %d ns off; want -5e6 (on the old grid), 0 (a new frame)",
			got[410].TimeNS-rec.Samples[410].TimeNS, got[411].TimeNS-rec.Samples[411].TimeNS)
	}
}

// corruptions are the ways frame k of a file of 1234-byte frames (100
// samples with gyroscope) starting at offset base is damaged.
var corruptions = []struct {
	name string
	at   int // byte within the frame
}{
	{"sample byte", 30 + 600},
	{"magic", 0},
	{"version", 2},
	{"flags", 3},
	{"sample count", 28},
	{"crc", 1233},
}

// TestFramesCorrupt: a flipped byte in frame k of 50 costs that frame only:
// every other frame's samples are read, and the Meta counts one bad spot of
// 1234 bytes.
func TestFramesCorrupt(t *testing.T) {
	rec := framesRec(5000, 100, true)
	data := writeFrames(t, rec, FramesOptions{})
	base := preambleLen(t, rec)
	for _, c := range corruptions {
		for _, k := range []int{0, 17, 49} {
			bad := bytes.Clone(data)
			bad[base+k*1234+c.at] ^= 0x5a
			h, got, err := readChunks(t, bad, 7)
			if err != nil {
				t.Errorf("%s of frame %d: %v", c.name, k, err)
				continue
			}
			want := append(append([]balance.Sample(nil), rec.Samples[:k*100]...), rec.Samples[(k+1)*100:]...)
			checkSamples(t, fmt.Sprintf("%s of frame %d", c.name, k), got, want, DefaultFramesAccScale, DefaultFramesGyroScale)
			if h.Meta["frames_skipped"] != "1" || h.Meta["bytes_skipped"] != "1234" {
				t.Errorf("%s of frame %d: frames_skipped %q, bytes_skipped %q; want 1, 1234", c.name, k, h.Meta["frames_skipped"], h.Meta["bytes_skipped"])
			}
		}
	}
	// Two bad spots, one of them garbage between frames.
	bad := bytes.Clone(data[:base+10*1234])
	bad = append(bad, "garbage\n"...)
	bad = append(bad, data[base+10*1234:]...)
	bad[base+20*1234+8+700] ^= 1
	h, got, err := readChunks(t, bad, 4096)
	if err != nil || len(got) != 4900 || h.Meta["frames_skipped"] != "2" || h.Meta["bytes_skipped"] != strconv.Itoa(8+1234) {
		t.Errorf("two bad spots: %d samples, meta %v, %v; want 4900, 2 spots of 1242 bytes", len(got), h.Meta, err)
	}
	// No damage: no keys.
	h, _, err = readChunks(t, data, 4096)
	if _, ok := h.Meta["frames_skipped"]; ok || err != nil {
		t.Errorf("undamaged file: meta %v, %v", h.Meta, err)
	}
}

// TestFramesTruncated: a file cut inside its last frame (or its header)
// gives the frames before, counting the rest as one bad spot.
func TestFramesTruncated(t *testing.T) {
	rec := framesRec(5000, 100, true)
	data := writeFrames(t, rec, FramesOptions{})
	for _, cut := range []int{617, 1234 - 10, 1} {
		h, got, err := readChunks(t, data[:len(data)-cut], 4096)
		if err != nil {
			t.Errorf("cut %d: %v", cut, err)
			continue
		}
		checkSamples(t, fmt.Sprintf("cut %d", cut), got, rec.Samples[:4900], DefaultFramesAccScale, DefaultFramesGyroScale)
		if want := strconv.Itoa(1234 - cut); h.Meta["frames_skipped"] != "1" || h.Meta["bytes_skipped"] != want {
			t.Errorf("cut %d: meta %v, want 1 spot of %s bytes", cut, h.Meta, want)
		}
	}
}

// frameBytes is one frame of n samples at rate from t0 (ns) via
// wire.AppendBinary.
func frameBytes(t0 int64, n int, rate float64, gyro bool, seq uint64) []byte {
	b := balance.Batch{RateHz: rate, Seq: seq}
	for i := range n {
		b.Samples = append(b.Samples, balance.Sample{TimeNS: t0 + int64(float64(i)*1e9/rate), Acc: [3]float64{0.1, 9.8, 0.2}})
	}
	gs := 0.0
	if gyro {
		gs = DefaultFramesGyroScale
	}
	return wire.AppendBinary(nil, &b, DefaultFramesAccScale, gs)
}

// TestFramesErrors: a valid frame that changes the rate or the gyroscope,
// or goes back in time, is an EMALFORMED error naming the frame and its
// byte offset, after the samples before it; values beyond the plausible
// range, garbage and files without frames are errors, never panics.
func TestFramesErrors(t *testing.T) {
	t0 := time.Now().Truncate(time.Second).UnixNano()
	first := frameBytes(t0, 100, 100, true, 0) // 1234 bytes, to t0 + 0.99 s
	for _, tc := range []struct {
		name, code, words string
		second            []byte
	}{
		{"rate change", balance.EMALFORMED, "frame 2 at byte 1234 has rate 50 Hz", frameBytes(t0+1e9, 100, 50, true, 1)},
		{"gyro change", balance.EMALFORMED, "frame 2 at byte 1234 has gyroscope false, the first frame true", frameBytes(t0+1e9, 100, 100, false, 1)},
		{"time back", balance.EMALFORMED, "frame 2 at byte 1234 starts at", frameBytes(t0+500e6, 100, 100, true, 1)},
		{"same time", balance.EMALFORMED, "not after the previous sample", frameBytes(t0+990e6, 100, 100, true, 1)},
		{"bad rate", balance.ERATE, "frame 2 at byte 1234", frameBytes(t0+1e9, 100, 5, true, 1)},
	} {
		h, got, err := readChunks(t, append(bytes.Clone(first), tc.second...), 4096)
		if balance.ErrorCode(err) != tc.code || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: %v; want %s naming %q", tc.name, err, tc.code, tc.words)
		}
		if len(got) != 100 || h.Source != FormatFrames {
			t.Errorf("%s: %d samples before the error, want frame 1's 100", tc.name, len(got))
		}
	}

	// 400 counts of 1 m/s² is beyond 32 g₀ ≈ 313.8 m/s².
	b := balance.Batch{RateHz: 100, Samples: []balance.Sample{{TimeNS: t0, Acc: [3]float64{400, 9.8, 0}}, {TimeNS: t0 + 1e7, Acc: [3]float64{0, 9.8, 0}}}}
	far := wire.AppendBinary(bytes.Clone(first), &b, 1, 0)
	if _, _, err := readChunks(t, far, 4096); balance.ErrorCode(err) != balance.ERANGE || !strings.Contains(err.Error(), "frame 2 at byte 1234") {
		t.Errorf("out of range: %v", err)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 100_000)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for name, in := range map[string][]byte{
		"garbage":            garbage,
		"magic then garbage": append([]byte("BF\x01"), garbage...),
		"preamble only":      []byte("# format: balance-frames/1\n# height_m: 1.7\n"),
		"empty":              nil,
		"other preamble":     []byte("# format: balance-csv/1\n"),
		"magic only":         []byte("BF\x01"),
	} {
		s, err := Open(bytes.NewReader(in), Options{Format: FormatFrames})
		if err == nil {
			_, err = s.collect()
		}
		if code := balance.ErrorCode(err); code != balance.ECOUNT && code != balance.EMALFORMED {
			t.Errorf("%s: %v, want ECOUNT or EMALFORMED", name, err)
		}
	}
}

// failingReader gives its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestFramesReadError: a read error is the Stream's error, not a bad spot.
func TestFramesReadError(t *testing.T) {
	rec := framesRec(5000, 100, true)
	data := writeFrames(t, rec, FramesOptions{})
	broken := errors.New("disk on fire")
	s, err := Open(&failingReader{data: data[:len(data)/2], err: broken}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.collect()
	if !errors.Is(err, broken) || s.Meta["frames_skipped"] != "" {
		t.Errorf("collect: %v, meta %v; want the read error and no skips", err, s.Meta)
	}
}

// TestWriteFramesErrors: options out of range and times that do not
// increase are refused.
func TestWriteFramesErrors(t *testing.T) {
	rec := framesRec(10, 100, true)
	back := framesRec(10, 100, true)
	back.Samples[5].TimeNS = back.Samples[4].TimeNS
	for name, c := range map[string]struct {
		rec  Recording
		opts FramesOptions
	}{
		"frame too large": {rec, FramesOptions{SamplesPerFrame: balance.MaxBatchSize + 1}},
		"negative scale":  {rec, FramesOptions{AccScale: -1}},
		"tiny scale":      {rec, FramesOptions{GyroScale: 1e-50}},
		"time repeats":    {back, FramesOptions{}},
		"no rate":         {Recording{Samples: rec.Samples}, FramesOptions{}},
	} {
		if err := WriteFrames(io.Discard, c.rec, c.opts); err == nil || balance.ErrorCode(err) == balance.EINTERNAL {
			t.Errorf("%s: %v, want a typed error", name, err)
		}
	}
}

// TestFramesWriterChunks: writing a recording with gaps and drift through
// a FramesWriter in chunks of any size gives WriteFrames' bytes.
func TestFramesWriterChunks(t *testing.T) {
	rec := framesRec(2000, 100, true)
	for i := 700; i < 2000; i++ {
		rec.Samples[i].TimeNS += 3e9 // a gap
	}
	for i := 1300; i < 2000; i++ {
		rec.Samples[i].TimeNS += int64(i-1300) * 1e5 // a slow clock
	}
	want := writeFrames(t, rec, FramesOptions{SamplesPerFrame: 128})
	for _, size := range []int{1, 7, 100, 128, 999, 2000} {
		var buf bytes.Buffer
		fw, err := NewFramesWriter(&buf, rec.RateHz, rec.HasGyro, rec.Meta, FramesOptions{SamplesPerFrame: 128})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(rec.Samples); i += size {
			if err := fw.Write(rec.Samples[i:min(i+size, len(rec.Samples))]); err != nil {
				t.Fatalf("chunks of %d: %v", size, err)
			}
		}
		if err := fw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("chunks of %d: %d bytes differ from WriteFrames' %d", size, buf.Len(), len(want))
		}
		if err := fw.Write(rec.Samples[:1]); err == nil {
			t.Errorf("chunks of %d: Write after Close succeeded", size)
		}
	}
	// An error names the sample by its index in the whole recording.
	var buf bytes.Buffer
	fw, _ := NewFramesWriter(&buf, rec.RateHz, rec.HasGyro, nil, FramesOptions{})
	fw.Write(rec.Samples[:10])
	bad := rec.Samples[5]
	if err := fw.Write([]balance.Sample{bad}); err == nil || !strings.Contains(err.Error(), "sample 10:") {
		t.Errorf("a time going back: %v, want an error naming sample 10", err)
	}
}
