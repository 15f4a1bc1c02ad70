package recording

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
)

// readChunks reads every sample of in through a Stream in chunks of size.
func readChunks(t *testing.T, in []byte, size int) (Header, []balance.Sample, error) {
	t.Helper()
	s, err := Open(bytes.NewReader(in), Options{})
	if err != nil {
		return Header{}, nil, err
	}
	var all []balance.Sample
	chunk := make([]balance.Sample, size)
	for {
		n, err := s.Read(chunk)
		if n > 0 && err != nil {
			t.Fatalf("Read returned %d samples with error %v", n, err)
		}
		all = append(all, chunk[:n]...)
		if err == io.EOF {
			if s.Samples() != len(all) {
				t.Errorf("Samples() = %d, read %d", s.Samples(), len(all))
			}
			return s.Header, all, nil
		}
		if err != nil {
			return s.Header, all, err
		}
	}
}

// TestStreamChunks reads each format's recordings through a Stream in
// chunks of 1, 7 and 4096 samples: the samples and header are Read's (whose
// values the format tests check against the files).
func TestStreamChunks(t *testing.T) {
	var gen bytes.Buffer
	if err := WriteGeneric(&gen, benchRecording(5000)); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{"generated generic, 5000 samples": gen.Bytes()}
	for _, p := range []string{"../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv", "../analysis/testdata/gaitpy/demo_data.csv",
		sharedData(t, "ipol-gait-dev/1-1_lb.txt"), filepath.Join(sharedData(t, "sisfall-dev"), "raw", "F01_SA01_R01.txt")} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(p)] = b
	}
	for name, in := range inputs {
		want, err := Read(bytes.NewReader(in), Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, size := range []int{1, 7, 4096} {
			h, got, err := readChunks(t, in, size)
			if err != nil {
				t.Fatalf("%s in chunks of %d: %v", name, size, err)
			}
			wantH := Header{RateHz: want.RateHz, Source: want.Source, HasGyro: want.HasGyro, Meta: want.Meta}
			if diff := cmp.Diff(wantH, h); diff != "" {
				t.Errorf("%s in chunks of %d: header (-Read +Stream):\n%s", name, size, diff)
			}
			if !cmp.Equal(want.Samples, got) {
				t.Errorf("%s in chunks of %d: %d samples differ from Read's %d", name, size, len(got), len(want.Samples))
			}
		}
	}
}

// genericLines is a generic CSV of n samples at 100 Hz with times, the
// acceleration of sample i being (i mod 10, 0, 9.8) in the unit the lines
// say; line(i), when not "", replaces the line of sample i.
func genericLines(head string, n int, line func(i int) string) string {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("time_s,acc_x,acc_y,acc_z\n")
	for i := 0; i < n; i++ {
		if line != nil {
			if s := line(i); s != "" {
				b.WriteString(s)
				continue
			}
		}
		fmt.Fprintf(&b, "%g,%d,0,9.8\n", float64(i)/100, i%10)
	}
	return b.String()
}

// TestStreamRateWindow: the rate comes from the first rateWindow samples
// (a file at 100 Hz that slows to 50 Hz after 2000 samples reads as 100 Hz),
// and times after the window are still checked to increase, the error
// naming the sample.
func TestStreamRateWindow(t *testing.T) {
	slows := genericLines("", 3000, func(i int) string {
		if i < 2000 {
			return ""
		}
		return fmt.Sprintf("%g,0,0,9.8\n", 20+float64(i-2000)/50)
	})
	h, got, err := readChunks(t, []byte(slows), 512)
	if err != nil || h.RateHz != 100 || len(got) != 3000 || got[2999].TimeNS != 39.98e9 {
		t.Errorf("rate %v, %d samples, last at %d ns, %v; want 100 Hz, 3000, 39.98e9", h.RateHz, len(got), got[len(got)-1].TimeNS, err)
	}
	back := genericLines("", 3000, func(i int) string {
		if i == 1500 {
			return "14.98,0,0,9.8\n"
		}
		return ""
	})
	_, _, err = readChunks(t, []byte(back), 512)
	if balance.ErrorCode(err) != balance.EMALFORMED || !strings.Contains(err.Error(), "sample 1500: time 14.98 s does not increase (previous 14.99 s)") {
		t.Errorf("time back after the window: %v", err)
	}
}

// TestStreamLateComment: a comment among the first rateWindow samples sets
// the units of all (as the whole-file reader did); one after them that
// would change units, rate or start is an error naming its line; any
// other comment goes to Meta.
func TestStreamLateComment(t *testing.T) {
	early := genericLines("", 1500, func(i int) string {
		if i == 10 {
			return "# acc_unit: g\n"
		}
		return ""
	})
	_, got, err := readChunks(t, []byte(early), 100)
	if err != nil || got[0].Acc[2] != 9.8*balance.StandardGravity || got[1400].Acc[2] != 9.8*balance.StandardGravity {
		t.Errorf("early acc_unit: %v, acc z %v", err, got[0].Acc[2])
	}
	// Line 1 is the header, sample i on line i+2: the comment replaces
	// sample 1200 on line 1202.
	late := genericLines("", 1500, func(i int) string {
		if i == 1200 {
			return "# acc_unit: g\n"
		}
		return ""
	})
	if _, _, err := readChunks(t, []byte(late), 100); balance.ErrorCode(err) != balance.EMALFORMED || !strings.Contains(err.Error(), "line 1202") {
		t.Errorf("late acc_unit: %v, want %s naming line 1202", err, balance.EMALFORMED)
	}
	note := genericLines("", 1500, func(i int) string {
		if i == 1200 {
			return "# note: stood up\n"
		}
		return ""
	})
	h, got, err := readChunks(t, []byte(note), 100)
	if err != nil || h.Meta["note"] != "stood up" || len(got) != 1499 {
		t.Errorf("late note: %v, meta %v, %d samples", err, h.Meta, len(got))
	}
}

// TestStreamPacketWrapAfterWindow: a 16-bit packet counter that wraps after
// the read-ahead window is unwrapped as within it.
func TestStreamPacketWrapAfterWindow(t *testing.T) {
	var b strings.Builder
	b.WriteString("Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\n")
	const first = counterWrap - 1200
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "%d\t0\t0\t9.8\n", (first+i)%counterWrap)
	}
	_, got, err := readChunks(t, []byte(b.String()), 300)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if want := int64(first+i) * 1e7; s.TimeNS != want {
			t.Fatalf("sample %d at %d ns, want %d (counter %d)", i, s.TimeNS, want, first+i)
		}
	}
}

// TestStreamQuotedLines: a quoted field may hold line ends; the lines after
// it keep their numbers in messages.
func TestStreamQuotedLines(t *testing.T) {
	in := "# rate_hz: 10\nnote,acc_x,acc_y,acc_z\n\"two\nlines\",1,2,3\n\"a, b\",4,5,6\n"
	_, got, err := readChunks(t, []byte(in), 1)
	if want := [][3]float64{{1, 2, 3}, {4, 5, 6}}; err != nil || len(got) != 2 || got[0].Acc != want[0] || got[1].Acc != want[1] {
		t.Errorf("samples %v, %v; want acc %v", got, err, want)
	}
	_, _, err = readChunks(t, []byte(in+"x,7,y,9\n"), 1)
	if balance.ErrorCode(err) != balance.EMALFORMED || !strings.Contains(err.Error(), "line 6") {
		t.Errorf("error %v, want %s naming line 6", err, balance.EMALFORMED)
	}
}

// TestStreamErrorAfterSamples: the samples before a bad line are returned,
// then the error, again on every later call.
func TestStreamErrorAfterSamples(t *testing.T) {
	in := genericLines("", 1200, func(i int) string {
		if i == 1100 {
			return "11,x,0,9.8\n"
		}
		return ""
	})
	s, err := Open(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]balance.Sample, 2000)
	n, err := s.Read(p)
	if n != 1100 || err != nil {
		t.Fatalf("first Read = %d, %v; want 1100, nil", n, err)
	}
	for k := 0; k < 2; k++ {
		if n, err := s.Read(p); n != 0 || balance.ErrorCode(err) != balance.EMALFORMED || !strings.Contains(err.Error(), "line 1102") {
			t.Errorf("Read after the bad line = %d, %v; want 0 and %s naming line 1102", n, err, balance.EMALFORMED)
		}
	}
}

// TestStreamMemory: reading 200,000 samples through a Stream allocates no
// more than reading 20,000 does, plus 64 KiB of slack for the runtime: the
// memory is bounded by the buffers, not the length (the samples held would
// take 11 MB).
func TestStreamMemory(t *testing.T) {
	chunk := make([]balance.Sample, 4096)
	alloc := func(n int) uint64 {
		var buf bytes.Buffer
		if err := WriteGeneric(&buf, benchRecording(n)); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		if got := streamAll(t, bytes.NewReader(data), Options{}, chunk); got != n {
			t.Fatalf("read %d samples, want %d", got, n)
		}
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	small, large := alloc(20_000), alloc(200_000)
	t.Logf("allocated %d B for 20,000 samples, %d B for 200,000", small, large)
	if large > small+64<<10 {
		t.Errorf("200,000 samples allocated %d B, 20,000 %d B: grows with the length", large, small)
	}
}

// TestPlausible: the cheap range test agrees with Sample.Validate.
func TestPlausible(t *testing.T) {
	for _, v := range []float64{0, 1, -1, balance.MaxAccMS2, math.Nextafter(balance.MaxAccMS2, math.Inf(1)), balance.MaxGyroRadS,
		math.Nextafter(balance.MaxGyroRadS, math.Inf(1)), math.NaN(), math.Inf(-1)} {
		for k := 0; k < 6; k++ {
			var s balance.Sample
			if k < 3 {
				s.Acc[k] = v
			} else {
				s.Gyro[k-3] = v
			}
			if plausible(&s) != (s.Validate() == nil) {
				t.Errorf("value %v in slot %d: plausible %v, Validate %v", v, k, plausible(&s), s.Validate())
			}
		}
	}
}

// TestOpenFile: a Stream of OpenFile reads the file as ReadFile does and
// closes it; a missing file is an error wrapping fs.ErrNotExist.
func TestOpenFile(t *testing.T) {
	const path = "../analysis/testdata/gaitpy/demo_data.csv"
	s, err := OpenFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.collect()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil || s.Close() != nil {
		t.Errorf("Close: %v", err)
	}
	want, err := ReadFile(path, Options{})
	if err != nil || !cmp.Equal(want, rec) {
		t.Errorf("OpenFile's samples differ from ReadFile's (%v)", err)
	}
	if _, err := OpenFile(filepath.Join(t.TempDir(), "none.csv"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
