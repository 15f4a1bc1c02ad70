package recording

import (
	"bytes"
	"os"
	"testing"

	"github.com/balance-pt/balance"
)

// fuzzSeeds returns seed inputs: real file heads and small edge cases.
func fuzzSeeds(f *testing.F, files ...string) {
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 8000 {
			b = b[:8000]
		}
		f.Add(b)
	}
	for _, s := range []string{"", "\n", ";", ",", "#", "# rate_hz: 100\nacc_x,acc_y,acc_z\n1,2,3\n",
		"time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n0,1,2,3,4,5,6\n0.01,1,2,3,4,5,6\n",
		"1,2,3,4,5,6,7,8,9;\n", "Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\n65535\t1\t2\t3\n1\t1\t2\t3\n",
		"\"time (s)\";\"acc_x (g)\";\"acc_y (g)\";\"acc_z (g)\"\n0;1;2;3\n0.01;1;\"2\";3\n", "Device Type,GENEActiv\nMeasurement Frequency,50 Hz\n2019-08-06 10:25:50:000,1,0,0\n"} {
		f.Add([]byte(s))
	}
}

// checkFuzz asserts the contract of every reader: an error is a typed
// *balance.Error, and a success has samples, a valid rate and valid values.
func checkFuzz(t *testing.T, rec Recording, err error) {
	if err != nil {
		if balance.ErrorCode(err) == balance.EINTERNAL {
			t.Fatalf("untyped error: %v", err)
		}
		return
	}
	if len(rec.Samples) == 0 || checkRate(rec.RateHz) != nil {
		t.Fatalf("accepted recording with %d samples at %v Hz", len(rec.Samples), rec.RateHz)
	}
	for i := range rec.Samples {
		if err := rec.Samples[i].Validate(); err != nil {
			t.Fatalf("accepted invalid sample %d: %v", i, err)
		}
	}
}

// framesSeeds adds frames files: 250 samples in 3 frames with gyroscope
// and preamble, 30 acc-only samples in frames of 7 without preamble, and
// the first with a damaged sample byte in its second frame.
func framesSeeds(f *testing.F) {
	var a, b bytes.Buffer
	rec := framesRec(250, 100, true)
	if err := WriteFrames(&a, rec, FramesOptions{}); err != nil {
		f.Fatal(err)
	}
	rec = framesRec(30, 50, false)
	if err := WriteFrames(&b, rec, FramesOptions{SamplesPerFrame: 7}); err != nil {
		f.Fatal(err)
	}
	damaged := bytes.Clone(a.Bytes())
	damaged[len(damaged)-1234-600] ^= 1
	f.Add(a.Bytes())
	f.Add(b.Bytes()[bytes.Index(b.Bytes(), []byte("BF\x01")):])
	f.Add(damaged)
}

func FuzzReadAuto(f *testing.F) {
	fuzzSeeds(f, "../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv", "../analysis/testdata/gaitpy/demo_data.csv")
	framesSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{})
		checkFuzz(t, rec, err)
	})
}

func FuzzReadGeneric(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{Format: FormatGeneric})
		checkFuzz(t, rec, err)
	})
}

func FuzzReadMobgap(f *testing.F) {
	fuzzSeeds(f, "../analysis/testdata/mobgap/HA_001/Test5_Trial1_imu.csv")
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{Format: FormatMobgap})
		checkFuzz(t, rec, err)
	})
}

func FuzzReadSisFall(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte("  -9,-257, -25,  84, 247,  27,-120,-987,  63;\n  -3,-263, -23,  99, 258,  35,-110,-1016,  68;\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{Format: FormatSisFall})
		checkFuzz(t, rec, err)
	})
}

func FuzzReadGENEActiv(f *testing.F) {
	fuzzSeeds(f, "../analysis/testdata/gaitpy/demo_data.csv")
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{Format: FormatGENEActiv})
		checkFuzz(t, rec, err)
	})
}

func FuzzReadFrames(f *testing.F) {
	fuzzSeeds(f)
	framesSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := Read(bytes.NewReader(b), Options{Format: FormatFrames})
		checkFuzz(t, rec, err)
	})
}
