package recording

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestGenericLayouts reads the same three samples written in several
// layouts: delimiters, quoting, units in the header, free-text lines and a
// packet counter. The expected values are the file's numbers times the unit
// factors (1 g = 9.80665 m/s², 1 deg/s = π/180 rad/s).
func TestGenericLayouts(t *testing.T) {
	g := balance.StandardGravity
	d := math.Pi / 180
	si := []balance.Sample{
		{TimeNS: 0, Acc: [3]float64{1, 2, 3}, Gyro: [3]float64{0.1, 0.2, 0.3}},
		{TimeNS: 1e7, Acc: [3]float64{4, 5, 6}, Gyro: [3]float64{0.4, 0.5, 0.6}},
		{TimeNS: 2e7, Acc: [3]float64{7, 8, 9}, Gyro: [3]float64{0.7, 0.8, 0.9}},
	}
	inG := []balance.Sample{
		{TimeNS: 0, Acc: [3]float64{1 * g, 2 * g, 3 * g}, Gyro: [3]float64{10 * d, 20 * d, 30 * d}},
		{TimeNS: 1e7, Acc: [3]float64{4 * g, 5 * g, 6 * g}, Gyro: [3]float64{40 * d, 50 * d, 60 * d}},
		{TimeNS: 2e7, Acc: [3]float64{7 * g, 8 * g, 9 * g}, Gyro: [3]float64{70 * d, 80 * d, 90 * d}},
	}
	for _, tc := range []struct {
		name, in string
		want     []balance.Sample
		rate     float64
	}{
		{"comma", "time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,0.1,0.2,0.3\n0.01,4,5,6,0.4,0.5,0.6\n0.02,7,8,9,0.7,0.8,0.9\n", si, 100},
		{"quoted header with units", "\"time (s)\",\"acc_x (g)\",\"acc_y (g)\",\"acc_z (g)\",\"gyr_x [deg/s]\",\"gyr_y [deg/s]\",\"gyr_z [deg/s]\"\r\n" +
			"0,1,2,3,10,20,30\r\n0.01,4,5,6,40,50,60\r\n0.02,7,8,9,70,80,90\r\n", inG, 100},
		{"quoted fields with delimiters inside", "\"note, free\",time_s,\"acc_x\",acc_y,acc_z\n\"a, b\",0,1,2,3\n\"c\"\"d\",0.01,4,5,6\n,0.02,7,8,9\n",
			[]balance.Sample{{TimeNS: 0, Acc: si[0].Acc}, {TimeNS: 1e7, Acc: si[1].Acc}, {TimeNS: 2e7, Acc: si[2].Acc}}, 100},
		{"semicolon", "time_s;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z\n0;1;2;3;0.1;0.2;0.3\n0.01;4;5;6;0.4;0.5;0.6\n0.02;7;8;9;0.7;0.8;0.9\n", si, 100},
		{"tab with header line and packet counter", "Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\tGyr_Z\tMag_X\tMag_Y\tMag_Z\n" +
			"0.0\t1\t2\t3\t0.1\t0.2\t0.3\t0\t0\t0\n1.0\t4\t5\t6\t0.4\t0.5\t0.6\t0\t0\t0\n2.0\t7\t8\t9\t0.7\t0.8\t0.9\t0\t0\t0\n", si, 100},
		{"unrelated frequency comment", "# filter frequency: 20 Hz\ntime_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,0.1,0.2,0.3\n0.01,4,5,6,0.4,0.5,0.6\n0.02,7,8,9,0.7,0.8,0.9\n", si, 100},
		{"comment after header", "time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,0.1,0.2,0.3\n# note: a, b\n0.01,4,5,6,0.4,0.5,0.6\n\n0.02,7,8,9,0.7,0.8,0.9\n", si, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := Read(strings.NewReader(tc.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rec.RateHz != tc.rate || rec.Source != FormatGeneric {
				t.Errorf("rate %v source %q, want %v generic", rec.RateHz, rec.Source, tc.rate)
			}
			if diff := cmp.Diff(tc.want, rec.Samples, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("samples (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPacketCounterGapsAndWrap: dropped packets become gaps of their
// length, and a 16-bit counter that wraps from 65535 to 0 keeps counting.
func TestPacketCounterGapsAndWrap(t *testing.T) {
	in := "Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\n" +
		"65533\t0\t0\t9.8\n65534\t0\t0\t9.8\n65535\t0\t0\t9.8\n1\t0\t0\t9.8\n2\t0\t0\t9.8\n5\t0\t0\t9.8\n"
	rec, err := Read(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, s := range rec.Samples {
		got = append(got, s.TimeNS)
	}
	// Counter 65533 at 655.33 s; after the wrap 65536+1 = 65537 (one packet,
	// 0, lost); then 65538 and, with 3 and 4 lost, 65541.
	want := []int64{65533e7, 65534e7, 65535e7, 65537e7, 65538e7, 65541e7}
	if !cmp.Equal(got, want) || rec.RateHz != 100 {
		t.Errorf("times %v at %v Hz, want %v at 100 Hz", got, rec.RateHz, want)
	}
	// Without the rate line a counter has no time base.
	if _, err := Read(strings.NewReader(in[strings.IndexByte(in, '\n')+1:]), Options{}); balance.ErrorCode(err) != balance.ERATE {
		t.Errorf("counter without rate: error %v, want code %s", err, balance.ERATE)
	}
}

// TestGenericBadLines: errors name the line of the file, counting the
// free-text and header lines.
func TestGenericBadLines(t *testing.T) {
	for _, tc := range []struct{ name, in, code, line string }{
		{"text value after preamble", "Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\n0\t1\t2\t3\n1\t1\tx\t3\n", balance.EMALFORMED, "line 4"},
		{"stray quote", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,2,3\n1,2\"x,3\n", balance.EMALFORMED, "line 4"},
		{"short row", "# rate_hz: 100\n\nacc_x,acc_y,acc_z\n1,2,3\n1,2\n", balance.EMALFORMED, "line 5"},
		{"mixed header units", "# rate_hz: 100\nacc_x (g),acc_y (g),acc_z (m/s2)\n1,2,3\n", balance.EUNITS, "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), Options{})
			if balance.ErrorCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.line) {
				t.Errorf("error %v, want code %s naming %q", err, tc.code, tc.line)
			}
		})
	}
}

// TestReadIPOL reads a real Xsens export of the IPOL data set
// (ipol-gait-dev/README.txt: tab-separated, "Acquisition frequency: 100
// Hz", PacketCounter, acc m/s², gyro rad/s) without any option, and checks
// every sample's time against its own PacketCounter (10 ms per packet) read
// here independently: dropped packets are gaps at the right counters.
func TestReadIPOL(t *testing.T) {
	path := sharedData(t, "ipol-gait-dev/1-1_lb.txt")
	head := make([]byte, 8<<10)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := f.Read(head)
	f.Close()
	if got, err := Detect(head[:n]); err != nil || got != FormatGeneric {
		t.Fatalf("Detect = %q, %v; want generic", got, err)
	}
	rec, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec.RateHz != 100 || !rec.HasGyro {
		t.Fatalf("rate %v gyro %v, want 100 true", rec.RateHz, rec.HasGyro)
	}
	// Independent reading: column 1 is the counter, columns 2-7 acc, gyro.
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var want []balance.Sample
	for line := 1; sc.Scan(); line++ {
		if line <= 2 {
			continue
		}
		fs := strings.Split(sc.Text(), "\t")
		var v [7]float64
		for k := range v {
			if v[k], err = strconv.ParseFloat(fs[k], 64); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
		}
		want = append(want, balance.Sample{TimeNS: int64(v[0]) * 1e7, Acc: [3]float64{v[1], v[2], v[3]}, Gyro: [3]float64{v[4], v[5], v[6]}})
	}
	if diff := cmp.Diff(want, rec.Samples); diff != "" {
		t.Errorf("samples (-independent +ReadFile):\n%s", diff)
	}
	// Counted in the file: 2913 samples, counters 0..3036, so 124 packets
	// lost in 82 gaps, the first between counters 2601 and 2603 (sample
	// 2601 to 2602), the longest 5 packets (2852 to 2857).
	gaps, lost, first := 0, 0, -1
	for i := 1; i < len(rec.Samples); i++ {
		if d := int((rec.Samples[i].TimeNS - rec.Samples[i-1].TimeNS) / 1e7); d > 1 {
			gaps++
			lost += d - 1
			if first < 0 {
				first = i
			}
		}
	}
	if len(rec.Samples) != 2913 || gaps != 82 || lost != 124 || first != 2602 || rec.Samples[first].TimeNS != 26.03e9 {
		t.Errorf("n %d, %d gaps losing %d packets, first gap before sample %d; want 2913, 82, 124, 2602 (counter 2603)", len(rec.Samples), gaps, lost, first)
	}
}
