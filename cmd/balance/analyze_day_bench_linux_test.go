package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/recording"
	"github.com/balance-pt/balance/sim"
)

// The end-to-end cost of `balance analyze` on a day of data
// (docs/performance.md, "analyze on a day"): a child process (this test
// binary, TestAnalyzeDayChild) analyses a 24-h 100 Hz generic CSV file,
// reading included, and reports its CPU time (getrusage) and its peak
// resident memory (VmHWM); the benchmark reports them per day of data.

// dayFileEnv names the file TestAnalyzeDayChild analyses; it does nothing
// without it.
const dayFileEnv = "BALANCE_ANALYZE_DAY_FILE"

// dayProfileEnv, when set, is the prefix of a CPU profile the child
// writes (PREFIX-full.pprof, PREFIX-7digits.pprof).
const dayProfileEnv = "BALANCE_ANALYZE_DAY_PROFILE"

// dayStart is when the simulated day begins: midnight UTC two days ago
// (a whole second, so that samples lie on the frames' microsecond grid).
func dayStart() int64 {
	return time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour).UnixNano()
}

// dayHours calls f with each hour of simulated free living (balance sim,
// 1-h blocks of standing with walks of 40-120 steps every 2-5 minutes and
// a fall every 6 hours) at 100 Hz from start (dayStart), 360,000 samples
// an hour, as the typical sensor gives them.
func dayHours(tb testing.TB, start int64, hours int, f func([]balance.Sample)) {
	tb.Helper()
	body := sim.DefaultBody()
	for h := 0; h < hours; h++ {
		sc := sim.NewScenario(body, 100, uint64(h+1))
		for i := 0; sc.DurationS() < 3600-130; i++ {
			sc.Idle(float64(120 + 37*(i%5)))
			if sc.DurationS() < 3600-80 {
				sc.Walk(sim.NormalWalk(body, 40+20*(i%5)))
			}
		}
		if h%6 == 5 {
			sc.Fall(sim.FallSpec{Kind: sim.FallForward, LieS: 20, GetUp: true})
		}
		sc.Idle(3600 - sc.DurationS())
		if err := sc.Err(); err != nil {
			tb.Fatal(err)
		}
		s := sc.Samples(sim.TypicalSensor(), start+int64(h)*3600e9)
		f(s[:min(len(s), 360_000)])
	}
}

// writeDay writes hours of dayHours as a generic CSV file in
// WriteGeneric's format, with values at full float64 precision (digits
// -1, as WriteGeneric and `balance sim` write them) or rounded to digits
// significant digits, and returns the number of samples.
func writeDay(tb testing.TB, path string, hours int, digits int) int {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	start := dayStart()
	fmt.Fprintf(bw, "# format: balance-csv/1\n# rate_hz: 100\n# acc_unit: m/s2\n# gyro_unit: rad/s\n# start_unix_ns: %d\n# height_m: 1.70\ntime_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n", start)
	n := 0
	buf := make([]byte, 0, 256)
	dayHours(tb, start, hours, func(s []balance.Sample) {
		for i := range s {
			buf = strconv.AppendFloat(buf[:0], float64(n)/100, 'f', -1, 64)
			for k := 0; k < 6; k++ {
				v := s[i].Acc[k%3]
				if k >= 3 {
					v = s[i].Gyro[k-3]
				}
				if v == 0 {
					v = 0 // no "-0"
				}
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, v, 'g', digits, 64)
			}
			buf = append(buf, '\n')
			bw.Write(buf)
			n++
		}
	})
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// writeDayFrames writes hours of dayHours in the frames format (the
// devices' binary frames, 1 s each, the typical sensor's 16-bit counts:
// recording.WriteFrames' defaults) and returns the number of samples.
func writeDayFrames(tb testing.TB, path string, hours int) int {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	fw, err := recording.NewFramesWriter(f, 100, true, map[string]string{"height_m": "1.70"}, recording.FramesOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	dayHours(tb, dayStart(), hours, func(s []balance.Sample) {
		if err := fw.Write(s); err != nil {
			tb.Fatal(err)
		}
		n += len(s)
	})
	if err := fw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestAnalyzeDayChild analyses the file $BALANCE_ANALYZE_DAY_FILE as
// `balance analyze --json` does and prints its CPU seconds and peak
// resident memory; without the variable it does nothing (the child of
// BenchmarkAnalyzeDay).
func TestAnalyzeDayChild(t *testing.T) {
	path := os.Getenv(dayFileEnv)
	if path == "" {
		return
	}
	var out bytes.Buffer
	if err := runAnalyze(context.Background(), []string{"--json", path}, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var hwm string
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			hwm = strings.TrimSuffix(strings.TrimSpace(v), " kB")
		}
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("ANALYZE-DAY cpu_s=%.3f hwm_kb=%s json_bytes=%d\n", cpu.Seconds(), hwm, out.Len())
}

// BenchmarkAnalyzeDay runs `balance analyze --json` (the streaming path)
// on a 24-h 100 Hz recording in a child process, for values written at
// full precision (as `balance sim` writes them) and at 7 significant
// digits (more than a 16-bit IMU resolves), and reports the child's CPU
// seconds per day of data, ns per sample, × real time per core and peak
// resident memory (MB, VmHWM). The file (1.1 GB, or 0.6 GB at 7 digits)
// is written once per sub-benchmark to a temporary directory.
func BenchmarkAnalyzeDay(b *testing.B) {
	for _, bc := range []struct {
		name   string
		digits int // 0: frames
	}{{"full", -1}, {"7digits", 7}, {"frames", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			var path string
			var n int
			if bc.digits == 0 {
				path = filepath.Join(b.TempDir(), "day.frames")
				n = writeDayFrames(b, path, 24)
			} else {
				path = filepath.Join(b.TempDir(), "day.csv")
				n = writeDay(b, path, 24, bc.digits)
			}
			var cpu, hwm float64
			b.ResetTimer()
			for b.Loop() {
				args := []string{"-test.run=^TestAnalyzeDayChild$", "-test.count=1"}
				if p := os.Getenv(dayProfileEnv); p != "" {
					args = append(args, "-test.cpuprofile="+p+"-"+bc.name+".pprof")
				}
				cmd := exec.Command(os.Args[0], args...)
				cmd.Env = append(os.Environ(), dayFileEnv+"="+path)
				out, err := cmd.CombinedOutput()
				if err != nil {
					b.Fatalf("child: %v\n%s", err, out)
				}
				c, m, err := parseDayChild(out)
				if err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
				cpu += c
				hwm = max(hwm, m)
			}
			cpu /= float64(b.N)
			days := float64(n) / (100 * 86400)
			b.ReportMetric(cpu/days, "cpu-s/day")
			b.ReportMetric(cpu*1e9/float64(n), "cpu-ns/sample")
			b.ReportMetric(86400*days/cpu, "x-realtime")
			b.ReportMetric(hwm/1024, "peak-MB")
			if st, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(st.Size())/1e6, "file-MB")
			}
		})
	}
}

func parseDayChild(out []byte) (cpuS, hwmKB float64, err error) {
	for _, l := range strings.Split(string(out), "\n") {
		rest, ok := strings.CutPrefix(l, "ANALYZE-DAY ")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "cpu_s":
				cpuS, err = strconv.ParseFloat(v, 64)
			case "hwm_kb":
				hwmKB, err = strconv.ParseFloat(v, 64)
			}
			if err != nil {
				return 0, 0, err
			}
		}
		return cpuS, hwmKB, nil
	}
	return 0, 0, balance.Errorf(balance.EINVALID, "no ANALYZE-DAY line in the child's output")
}
