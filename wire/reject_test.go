package wire_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// jsonArrays returns a JSON batch of array samples with the given units and
// rows, t0 = t0NS.
func jsonArrays(acc, gyro string, rate float64, rows ...string) string {
	return fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":%v,"units":{"acc":%q,"gyro":%q},"samples":[%s]}`,
		t0NS/1e6, rate, acc, gyro, strings.Join(rows, ","))
}

// repeat returns n copies of row.
func repeat(row string, n int) []string {
	r := make([]string, n)
	for i := range r {
		r[i] = row
	}
	return r
}

// lp returns a line-protocol line for demo-001 at t0NS + i·10 ms.
func lp(i int, tags, fields string) string {
	return fmt.Sprintf("imu,device=demo-001%s %s %d", tags, fields, t0NS+int64(i)*10_000_000)
}

const lpFields = "ax=0,ay=0,az=9.8,gx=0,gy=0,gz=0"

// binFrame returns a valid 2-sample binary frame at t0NS, then lets mutate
// change it (before the CRC is appended when fixCRC).
func binFrame(mutate func(b []byte) []byte, fixCRC bool) []byte {
	b := frame(1, 1, 1, t0NS/1000, 100, 1.0/512, 1.0/4096, 2, []int16{0, 0, 5021, 0, 0, 0, 0, 0, 5021, 0, 0, 0})
	if fixCRC {
		b = b[:len(b)-4]
		b = withCRC(mutate(b))
	} else {
		b = mutate(b)
	}
	return b
}

// TestRejections crafts one payload per rejection reason and encoding and
// checks the error code that balance.ErrorCode reports.
func TestRejections(t *testing.T) {
	ms := t0NS / 1e6
	day := int64(24 * time.Hour / time.Millisecond)
	row := "[0,0,9.8,0,0,0]"
	gRow := "[0,0,1,0,0,0]"
	tests := []struct {
		name    string
		payload string
		code    string
	}{
		// JSON
		{"json syntax", `{"v":1,"samples":[`, balance.EMALFORMED},
		{"json not an object at top", `{"v":1}x`, balance.EMALFORMED},
		{"json missing v", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), `"v":1,`, "", 1), balance.EVERSION},
		{"json v 2", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), `"v":1`, `"v":2`, 1), balance.EVERSION},
		{"json v string", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), `"v":1`, `"v":"1"`, 1), balance.EVERSION},
		{"json missing units", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"samples":[%s]}`, ms, row), balance.EUNITS},
		{"json units not object", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":"SI","samples":[%s]}`, ms, row), balance.EUNITS},
		{"json unknown acc unit", jsonArrays("mg", "rad/s", 100, row), balance.EUNITS},
		{"json unit case matters", jsonArrays("G", "rad/s", 100, row), balance.EUNITS},
		{"json unknown gyro unit", jsonArrays("g", "rpm", 100, gRow), balance.EUNITS},
		{"json missing gyro unit", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"g"},"samples":[%s]}`, ms, gRow), balance.EUNITS},
		{"json frame", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), `"v":1`, `"v":1,"frame":"earth"`, 1), balance.EMALFORMED},
		{"json seq negative", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), `"v":1`, `"v":1,"seq":-1`, 1), balance.EMALFORMED},
		{"json missing samples", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"g","gyro":"dps"}}`, ms), balance.EMALFORMED},
		{"json samples not array", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":100,"units":{"acc":"g","gyro":"dps"},"samples":{}}`, ms), balance.EMALFORMED},
		{"json sample with 5 values", jsonArrays("m/s2", "rad/s", 100, row, "[0,0,9.8,0,0]"), balance.EMALFORMED},
		{"json sample string value", jsonArrays("m/s2", "rad/s", 100, row, `[0,0,"9.8",0,0,0]`), balance.EMALFORMED},
		{"json sample null value", jsonArrays("m/s2", "rad/s", 100, `[0,0,null,0,0,0]`), balance.EMALFORMED},
		{"json mixed sample forms", jsonArrays("m/s2", "rad/s", 100, fmt.Sprintf(`{"t":%d,"acc":[0,0,9.8],"gyro":[0,0,0]}`, ms), row), balance.EMALFORMED},
		{"json explicit missing t", `{"v":1,"units":{"acc":"g","gyro":"dps"},"samples":[{"acc":[0,0,1],"gyro":[0,0,0]}]}`, balance.EMALFORMED},
		{"json explicit missing gyro", fmt.Sprintf(`{"v":1,"units":{"acc":"g","gyro":"dps"},"samples":[{"t":%d,"acc":[0,0,1]}]}`, ms), balance.EMALFORMED},
		{"json explicit t string", `{"v":1,"units":{"acc":"g","gyro":"dps"},"samples":[{"t":"now","acc":[0,0,1],"gyro":[0,0,0]}]}`, balance.EMALFORMED},
		{"json n mismatch", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row, row), `"v":1`, `"v":1,"n":3`, 1), balance.ECOUNT},
		{"json no samples", jsonArrays("m/s2", "rad/s", 100), balance.ECOUNT},
		{"json too many samples", jsonArrays("m/s2", "rad/s", 1000, repeat(row, balance.MaxBatchSize+1)...), balance.ECOUNT},
		{"json rate too low", jsonArrays("m/s2", "rad/s", 5, row), balance.ERATE},
		{"json rate too high", jsonArrays("m/s2", "rad/s", 2000, row), balance.ERATE},
		{"json rate missing with arrays", fmt.Sprintf(`{"v":1,"t0":%d,"units":{"acc":"g","gyro":"dps"},"samples":[%s]}`, ms, gRow), balance.ERATE},
		{"json rate string", fmt.Sprintf(`{"v":1,"t0":%d,"rate_hz":"100","units":{"acc":"g","gyro":"dps"},"samples":[%s]}`, ms, gRow), balance.ERATE},
		{"json t0 missing with arrays", `{"v":1,"rate_hz":100,"units":{"acc":"g","gyro":"dps"},"samples":[[0,0,1,0,0,0]]}`, balance.EMALFORMED},
		{"json t0 in seconds is 56 years old", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), fmt.Sprint(ms), fmt.Sprint(ms/1000), 1), balance.ECLOCK},
		{"json t0 31 days old", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), fmt.Sprint(ms), fmt.Sprint(ms-31*day), 1), balance.ECLOCK},
		{"json t0 10 min ahead", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), fmt.Sprint(ms), fmt.Sprint(now.UnixMilli()+600_000), 1), balance.ECLOCK},
		{"json t0 in microseconds overflows", strings.Replace(jsonArrays("m/s2", "rad/s", 100, row), fmt.Sprint(ms), fmt.Sprint(ms*1000), 1), balance.ECLOCK},
		{"json explicit times not increasing", fmt.Sprintf(`{"v":1,"units":{"acc":"m/s2","gyro":"rad/s"},"samples":[{"t":%d,"acc":[0,0,9.8],"gyro":[0,0,0]},{"t":%d,"acc":[0,0,9.8],"gyro":[0,0,0]}]}`, ms, ms), balance.ECLOCK},
		{"json NaN", jsonArrays("m/s2", "rad/s", 100, "[0,0,NaN,0,0,0]"), balance.ENONFINITE},
		{"json overflow to Inf", jsonArrays("m/s2", "rad/s", 100, "[0,0,1e400,0,0,0]"), balance.ENONFINITE},
		{"json acc beyond 32 g", jsonArrays("g", "rad/s", 100, "[0,0,33,0,0,0]"), balance.ERANGE},
		{"json gyro beyond 4000 deg/s", jsonArrays("m/s2", "deg/s", 100, "[0,0,9.8,0,4001,0]"), balance.ERANGE},
		{"json g declared as m/s2 (1 s)", jsonArrays("m/s2", "rad/s", 100, repeat("[0.01,0.02,0.99,0,0,0]", 101)...), balance.EUNITS},
		{"json m/s2 declared as g (1 s)", jsonArrays("g", "rad/s", 100, repeat("[0.1,0.2,9.79,0,0,0]", 101)...), balance.EUNITS},
		{"json deg/s declared as rad/s (0.5 s)", jsonArrays("m/s2", "rad/s", 100, repeat("[0,0,9.8,12,5,0]", 51)...), balance.EUNITS},
		// Binary
		{"binary magic only", "BF", balance.ETRUNCATED},
		{"binary header cut", string(binFrame(func(b []byte) []byte { return b[:20] }, false)), balance.ETRUNCATED},
		{"binary samples cut", string(binFrame(func(b []byte) []byte { return b[:len(b)-10] }, false)), balance.ETRUNCATED},
		{"binary version 2", string(binFrame(func(b []byte) []byte { b[2] = 2; return b }, true)), balance.EVERSION},
		{"binary version 0", string(binFrame(func(b []byte) []byte { b[2] = 0; return b }, true)), balance.EVERSION},
		{"binary CRC flipped", string(binFrame(func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, false)), balance.ECRC},
		{"binary sample bit flipped", string(binFrame(func(b []byte) []byte { b[35] ^= 0x01; return b }, false)), balance.ECRC},
		{"binary reserved flag", string(binFrame(func(b []byte) []byte { b[3] |= 0x04; return b }, true)), balance.EMALFORMED},
		{"binary trailing bytes", string(binFrame(func(b []byte) []byte { return append(b, 0, 0) }, true)), balance.EMALFORMED},
		{"binary acc scale 0", string(binFrame(func(b []byte) []byte { clear(b[20:24]); return b }, true)), balance.EMALFORMED},
		{"binary gyro scale negative", string(binFrame(func(b []byte) []byte { b[27] |= 0x80; return b }, true)), balance.EMALFORMED},
		{"binary no samples", string(frame(1, 1, 1, t0NS/1000, 100, 1, 1, 0, nil)), balance.ECOUNT},
		{"binary too many samples", string(frame(1, 0, 1, t0NS/1000, 1000, 1.0/512, 0, balance.MaxBatchSize+1, make([]int16, 3*(balance.MaxBatchSize+1)))), balance.ECOUNT},
		{"binary rate 0", string(binFrame(func(b []byte) []byte { clear(b[16:20]); return b }, true)), balance.ERATE},
		{"binary t0 in ms", string(binFrame(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], uint64(t0NS/1e6)); return b }, true)), balance.ECLOCK},
		{"binary t0 overflows ns", string(binFrame(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[8:], 1<<62); return b }, true)), balance.ECLOCK},
		{"binary all zero acc for 1 s is g data", string(frame(1, 0, 1, t0NS/1000, 100, 1.0/512, 0, 101, make([]int16, 303))), balance.EUNITS},
		// Line protocol
		{"lp wrong measurement", lp(0, "", lpFields)[0:0] + "acc" + lp(0, "", lpFields)[3:], balance.EMALFORMED},
		{"lp backslash is literal in measurement", `im\u` + lp(0, "", lpFields)[3:], balance.EMALFORMED},
		{"lp missing field", lp(0, "", "ax=0,ay=0,az=9.8,gx=0,gy=0"), balance.EMALFORMED},
		{"lp duplicate field", lp(0, "", lpFields+",ax=1"), balance.EMALFORMED},
		{"lp string field", lp(0, "", `ax="0",ay=0,az=9.8,gx=0,gy=0,gz=0`), balance.EMALFORMED},
		{"lp boolean field", lp(0, "", `ax=t,ay=0,az=9.8,gx=0,gy=0,gz=0`), balance.EMALFORMED},
		{"lp seq negative", lp(0, "", lpFields+",seq=-1i"), balance.EMALFORMED},
		{"lp seq float", lp(0, "", lpFields+",seq=1.5"), balance.EMALFORMED},
		{"lp no fields", "imu,device=demo-001", balance.EMALFORMED},
		{"lp tag without value", lp(0, ",site", lpFields), balance.EMALFORMED},
		{"lp missing timestamp", "imu " + lpFields, balance.EMALFORMED},
		{"lp timestamp float", "imu " + lpFields + " 1.5e18", balance.EMALFORMED},
		{"lp text after timestamp", lp(0, "", lpFields) + " x", balance.EMALFORMED},
		{"lp device tag differs", lp(0, "", lpFields)[:11] + "demo-002" + lp(0, "", lpFields)[19:], balance.EDEVICEID},
		{"lp escaped device tag differs", strings.Replace(lp(0, "", lpFields), "demo-001", `demo\,001`, 1), balance.EDEVICEID},
		{"lp unknown acc unit", lp(0, ",acc_unit=mg", lpFields), balance.EUNITS},
		{"lp unknown gyro unit", lp(0, ",gyro_unit=rpm", lpFields), balance.EUNITS},
		{"lp units differ between lines", lp(0, ",acc_unit=g", "ax=0,ay=0,az=1,gx=0,gy=0,gz=0") + "\n" + lp(1, "", lpFields), balance.EUNITS},
		{"lp empty", "", balance.ECOUNT},
		{"lp comments only", "# nothing\n\n", balance.ECOUNT},
		{"lp too many lines", strings.Repeat(lp(0, "", lpFields)+"\n", balance.MaxBatchSize+1), balance.ECOUNT},
		{"lp times not increasing", lp(1, "", lpFields) + "\n" + lp(0, "", lpFields), balance.ECLOCK},
		{"lp timestamp in ms", "imu " + lpFields + " " + fmt.Sprint(ms), balance.ECLOCK},
		{"lp infinity", lp(0, "", "ax=inf,ay=0,az=9.8,gx=0,gy=0,gz=0"), balance.ENONFINITE},
		{"lp beyond range", lp(0, "", "ax=400,ay=0,az=9.8,gx=0,gy=0,gz=0"), balance.ERANGE},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decode(t, []byte(tt.payload))
			wantCode(t, err, tt.code)
			t.Log(err)
			if len(got.Samples) != 0 {
				t.Errorf("rejected payload left %d samples in dst", len(got.Samples))
			}
		})
		seen[tt.code] = true
	}
	for _, code := range []string{balance.EMALFORMED, balance.ECRC, balance.ETRUNCATED, balance.EVERSION, balance.EUNITS,
		balance.ENONFINITE, balance.ERANGE, balance.ECOUNT, balance.ERATE, balance.ECLOCK, balance.EDEVICEID} {
		if !seen[code] {
			t.Errorf("no test case for %s", code)
		}
	}
}

// TestRejectTooLarge: the size limit applies before any parsing, for every
// encoding, at exactly MaxPayloadBytes + 1.
func TestRejectTooLarge(t *testing.T) {
	ok := wire.AppendJSON(nil, gridBatch(10, 100, t0NS), wire.JSONOptions{})
	d := wire.NewDecoder(wire.Limits{MaxPayloadBytes: len(ok)})
	var b balance.Batch
	if _, err := d.DecodeIMU("demo-001", ok, now, &b); err != nil {
		t.Fatalf("payload at the limit: %v", err)
	}
	for _, p := range [][]byte{append(ok, ' '), append([]byte("BF"), make([]byte, len(ok))...), []byte(strings.Repeat("x", len(ok)+1))} {
		_, err := d.DecodeIMU("demo-001", p, now, &b)
		wantCode(t, err, balance.ETOOLARGE)
	}
}

func TestRejectBadDeviceID(t *testing.T) {
	var b balance.Batch
	p := wire.AppendJSON(nil, gridBatch(10, 100, t0NS), wire.JSONOptions{})
	for _, id := range []string{"", "a/b", "a+b", strings.Repeat("x", 65)} {
		_, err := wire.NewDecoder(wire.Limits{}).DecodeIMU(id, p, now, &b)
		wantCode(t, err, balance.EDEVICEID)
	}
}

// TestClockLimits: the clock window follows Limits; the defaults are 30
// days back and 5 minutes ahead.
func TestClockLimits(t *testing.T) {
	tests := []struct {
		name  string
		l     wire.Limits
		start time.Duration // first sample time relative to now
		code  string
	}{
		{"default 29 days back", wire.Limits{}, -29 * 24 * time.Hour, ""},
		{"default 31 days back", wire.Limits{}, -31 * 24 * time.Hour, balance.ECLOCK},
		{"default 4 min ahead", wire.Limits{}, 4 * time.Minute, ""},
		{"default 6 min ahead", wire.Limits{}, 6 * time.Minute, balance.ECLOCK},
		{"1 h back with MaxPast 30 min", wire.Limits{MaxPast: 30 * time.Minute}, -time.Hour, balance.ECLOCK},
		{"1 min ahead with MaxFuture 10 s", wire.Limits{MaxFuture: 10 * time.Second}, time.Minute, balance.ECLOCK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wire.AppendJSON(nil, gridBatch(10, 100, now.Add(tt.start).UnixNano()), wire.JSONOptions{})
			var b balance.Batch
			_, err := wire.NewDecoder(tt.l).DecodeIMU("demo-001", p, now, &b)
			wantCode(t, err, tt.code)
		})
	}
}

// TestBadSamplesDroppedGoodKept: a NaN or out-of-range sample is removed and
// counted; the valid samples of the same batch are kept, in order.
func TestBadSamplesDroppedGoodKept(t *testing.T) {
	ok1, ok2 := "[0.1,0,9.8,0,0,0]", "[0.2,0,9.8,0,0,0]"
	payload := jsonArrays("m/s2", "rad/s", 100, ok1, "[0,0,NaN,0,0,0]", "[0,0,9.8,0,400,0]", ok2, "[1e400,0,9.8,0,0,0]")
	d := wire.NewDecoder(wire.Limits{})
	var b balance.Batch
	if _, err := d.DecodeIMU("demo-001", []byte(payload), time.Unix(0, t0NS).Add(time.Second), &b); err != nil {
		t.Fatalf("DecodeIMU: %v", err)
	}
	if len(b.Samples) != 2 || b.Samples[0].Acc[0] != 0.1 || b.Samples[1].Acc[0] != 0.2 {
		t.Fatalf("kept samples = %+v, want the two valid ones", b.Samples)
	}
	// Sample times stay those of their positions in the batch: 0 and 30 ms.
	if got := b.Samples[1].TimeNS - b.Samples[0].TimeNS; got != 30_000_000 {
		t.Errorf("time between kept samples = %d ns, want 30 ms", got)
	}
	st := d.Stats()
	if st.DroppedNonFinite != 2 || st.DroppedOutOfRange != 1 || st.Dropped() != 3 {
		t.Errorf("Stats = %+v, want 2 non-finite and 1 out of range", st)
	}
}
