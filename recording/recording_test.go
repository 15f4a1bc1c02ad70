package recording

import (
	"bytes"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/internal/testenv"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gonum.org/v1/gonum/floats/scalar"
)

// sharedData returns shared/data/sub, skipping the test when absent.
func sharedData(t *testing.T, sub string) string { return testenv.SharedData(t, sub) }

func TestReadMobgap(t *testing.T) {
	rec, err := ReadFile("../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The file's README: 100 Hz, 1246 samples (reference JSON n_samples).
	if rec.Source != FormatMobgap || !rec.HasGyro || len(rec.Samples) != 1246 {
		t.Fatalf("got source %q gyro %v n %d, want mobgap true 1246", rec.Source, rec.HasGyro, len(rec.Samples))
	}
	// First data line: 0,0.00,1607605064.733,0.95451315,-0.15224048,-0.09063732,7.540124584,-0.1718873385,-1.134456434
	want := balance.Sample{
		TimeNS: 1607605064733000000,
		Acc:    [3]float64{0.95451315 * 9.80665, -0.15224048 * 9.80665, -0.09063732 * 9.80665},
		Gyro:   [3]float64{7.540124584 * math.Pi / 180, -0.1718873385 * math.Pi / 180, -1.134456434 * math.Pi / 180},
	}
	got := rec.Samples[0]
	if rec.RateHz != 100 {
		t.Errorf("rate %v, want exactly 100 (snapped)", rec.RateHz)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("first sample (-want +got):\n%s", diff)
	}
}

func TestReadGENEActiv(t *testing.T) {
	rec, err := ReadFile("../analysis/testdata/gaitpy/demo_data.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	// README: 8,400 samples = 168 s at 50 Hz, acc only.
	if rec.Source != FormatGENEActiv || rec.HasGyro || len(rec.Samples) != 8400 || rec.RateHz != 50 {
		t.Fatalf("got %q gyro %v n %d rate %v, want geneactiv false 8400 50", rec.Source, rec.HasGyro, len(rec.Samples), rec.RateHz)
	}
	if rec.Meta["device location code"] != "back" {
		t.Errorf("meta location %q, want back", rec.Meta["device location code"])
	}
	// 2019-08-06 10:25:50:000 local at GMT -04 = 14:25:50 UTC = 1565101550 s.
	if rec.Samples[0].TimeNS != 1565101550*1e9 {
		t.Errorf("first time %d, want %d", rec.Samples[0].TimeNS, int64(1565101550*1e9))
	}
	// First line: x -0.4264 g.
	if !scalar.EqualWithinAbsOrRel(rec.Samples[0].Acc[0], -0.4264*9.80665, 1e-12, 1e-12) {
		t.Errorf("acc x %v, want %v", rec.Samples[0].Acc[0], -0.4264*9.80665)
	}
}

func TestReadSisFall(t *testing.T) {
	dir := sharedData(t, "sisfall-dev")
	rec, err := ReadFile(filepath.Join(dir, "raw", "F01_SA01_R01.txt"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Source != FormatSisFall || rec.RateHz != 200 || !rec.HasGyro {
		t.Fatalf("got %q rate %v gyro %v", rec.Source, rec.RateHz, rec.HasGyro)
	}
	// First line "  -9,-257, -25,  84, 247,  27,-120,-987,  63;": acc y = -257·32/8192 g.
	if w := -257 * 32.0 / 8192 * 9.80665; !scalar.EqualWithinAbsOrRel(rec.Samples[0].Acc[1], w, 1e-12, 1e-12) {
		t.Errorf("acc y %v, want %v", rec.Samples[0].Acc[1], w)
	}
	if w := 84 * 4000.0 / 65536 * math.Pi / 180; !scalar.EqualWithinAbsOrRel(rec.Samples[0].Gyro[0], w, 1e-12, 1e-12) {
		t.Errorf("gyro x %v, want %v", rec.Samples[0].Gyro[0], w)
	}
	if rec.Samples[1].TimeNS != 5e6 {
		t.Errorf("second sample at %d ns, want 5e6 (200 Hz)", rec.Samples[1].TimeNS)
	}
}

func TestGenericRoundTrip(t *testing.T) {
	in := Recording{RateHz: 100, Source: FormatGeneric, HasGyro: true, Meta: map[string]string{"height_m": "1.7", "sensor_height_m": "0.9"}}
	for i := 0; i < 250; i++ {
		ti := float64(i) / 100
		in.Samples = append(in.Samples, balance.Sample{
			TimeNS: 1764300000000000000 + int64(i)*1e7,
			Acc:    [3]float64{math.Sin(ti), 9.81 + 0.1*math.Cos(3*ti), -0.2},
			Gyro:   [3]float64{0.01 * ti, 0, -1.5},
		})
	}
	var buf bytes.Buffer
	if err := WriteGeneric(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	delete(out.Meta, "format")
	delete(out.Meta, "rate_hz")
	delete(out.Meta, "start_unix_ns")
	if diff := cmp.Diff(in, out, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}

func TestGenericMapping(t *testing.T) {
	const file = "t_ms;ax;ay;az\n"
	csv := strings.ReplaceAll(file, ";", ",") + "0,0,1,0\n20,0.5,1,0\n40,0,-1,0\n"
	cols, err := ParseColumns("time_s=t_ms,acc_x=ax,acc_y=ay,acc_z=az")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ReadGeneric(strings.NewReader(csv), GenericOptions{Columns: cols, AccUnit: "g", TimeUnit: "ms"})
	if err != nil {
		t.Fatal(err)
	}
	// 20 ms spacing → 50 Hz; 1 g = 9.80665 m/s².
	if rec.RateHz != 50 || rec.HasGyro || rec.Samples[1].TimeNS != 20e6 || rec.Samples[2].Acc[1] != -9.80665 {
		t.Errorf("got rate %v gyro %v t1 %d ay2 %v", rec.RateHz, rec.HasGyro, rec.Samples[1].TimeNS, rec.Samples[2].Acc[1])
	}
	// Column numbers and no header at all, rate given.
	cols, _ = ParseColumns("time_s=-,acc_x=#2,acc_y=#3,acc_z=#1")
	rec, err = ReadGeneric(strings.NewReader("3,1,2\n6,4,5\n"), GenericOptions{Columns: cols, RateHz: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := [3]float64{4, 5, 6}; rec.Samples[1].Acc != want || rec.Samples[1].TimeNS != 1e8 {
		t.Errorf("got %v at %d, want %v at 1e8", rec.Samples[1].Acc, rec.Samples[1].TimeNS, want)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, format, code string
	}{
		{"empty", "", "", balance.EMALFORMED},
		{"garbage", "hello world\n", "", balance.EMALFORMED},
		{"no rate", "acc_x,acc_y,acc_z\n1,2,3\n", "", balance.ERATE},
		{"nan", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,NaN,3\n", "", balance.ENONFINITE},
		{"text value", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,x,3\n", "", balance.EMALFORMED},
		{"short row", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,3\n", "", balance.EMALFORMED},
		{"bad unit", "# rate_hz: 100\n# acc_unit: furlong\nacc_x,acc_y,acc_z\n1,2,3\n", "", balance.EUNITS},
		{"rate too high", "# rate_hz: 1e6\nacc_x,acc_y,acc_z\n1,2,3\n", "", balance.ERATE},
		{"time backwards", "time_s,acc_x,acc_y,acc_z\n0,1,2,3\n0.01,1,2,3\n0.005,1,2,3\n", "", balance.EMALFORMED},
		{"impossible acc", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,2,3000\n", "", balance.ERANGE},
		{"header only", "# rate_hz: 100\nacc_x,acc_y,acc_z\n", "", balance.ECOUNT},
		{"two gyro columns", "# rate_hz: 100\nacc_x,acc_y,acc_z,gyr_x,gyr_y\n1,2,3,4,5\n", "", balance.EMALFORMED},
		{"sisfall short line", "1,2,3;\n", FormatSisFall, balance.EMALFORMED},
		{"sisfall float", "1,2,3,4,5,6,7,8,9.5;\n1,2,3,4,5,6,7,8,x;\n", FormatSisFall, balance.EMALFORMED},
		{"geneactiv no samples", "Device Type,GENEActiv\nMeasurement Frequency,50 Hz\n", "", balance.ECOUNT},
		{"geneactiv bad zone", "Device Type,GENEActiv\nTime Zone,Mars\n2019-08-06 10:25:50:000,1,0,0\n", "", balance.EMALFORMED},
		{"mobgap no acc", "sample,time_s\n", FormatMobgap, balance.EMALFORMED},
		{"unknown format", "x", "xml", balance.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), Options{Format: tc.format})
			if got := balance.ErrorCode(err); got != tc.code {
				t.Errorf("Read(%q) error %v (code %q), want code %q", tc.in, err, got, tc.code)
			}
		})
	}
}

func TestLongLine(t *testing.T) {
	in := "# rate_hz: 100\nacc_x,acc_y,acc_z\n" + strings.Repeat("1", maxLine+10) + "\n"
	_, err := Read(strings.NewReader(in), Options{})
	var be *balance.Error
	if !errors.As(err, &be) || be.Code != balance.EMALFORMED {
		t.Errorf("over-long line: error %v, want code %s", err, balance.EMALFORMED)
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ head, want string }{
		{"Device Type,GENEActiv  \r\n", FormatGENEActiv},
		{"sample,time_s,unix_time_s,acc_x_g,acc_y_g\n", FormatMobgap},
		{"# rate_hz: 100\n", FormatGeneric},
		{"time_s,acc_x,acc_y,acc_z\n", FormatGeneric},
		{"  -9,-257, -25,  84, 247,  27,-120,-987,  63;\r\n", FormatSisFall},
		{"Acquisition frequency: 100 Hz\r\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\r\n", FormatGeneric},
		{"\"Time (s)\";\"ACC_X (g)\";\"ACC_Y (g)\";\"ACC_Z (g)\"\n", FormatGeneric},
	} {
		if got, err := Detect([]byte(tc.head)); err != nil || got != tc.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tc.head, got, err, tc.want)
		}
	}
}

func TestWriteGenericRejects(t *testing.T) {
	ok := Recording{RateHz: 100, Samples: []balance.Sample{{Acc: [3]float64{0, 0, 9.8}}}}
	for _, tc := range []struct {
		name string
		rec  Recording
		code string
	}{
		{"rate", Recording{RateHz: 0, Samples: ok.Samples}, balance.ERATE},
		{"meta key with colon", Recording{RateHz: 100, Samples: ok.Samples, Meta: map[string]string{"a:b": "c"}}, balance.EINVALID},
		{"meta value with newline", Recording{RateHz: 100, Samples: ok.Samples, Meta: map[string]string{"a": "b\nc"}}, balance.EINVALID},
		{"NaN sample", Recording{RateHz: 100, Samples: []balance.Sample{{Acc: [3]float64{math.NaN(), 0, 0}}}}, balance.ENONFINITE},
	} {
		if err := WriteGeneric(io.Discard, tc.rec); balance.ErrorCode(err) != tc.code {
			t.Errorf("%s: error %v, want code %s", tc.name, err, tc.code)
		}
	}
	if err := WriteGeneric(io.Discard, ok); err != nil {
		t.Errorf("valid recording: %v", err)
	}
}
