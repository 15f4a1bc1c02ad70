package wire_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// FuzzDecodeIMU: no payload makes DecodeIMU panic; an accepted batch is
// valid (balance.Batch.Validate) and re-encodes to a payload that decodes to
// the same samples. Seeds: the payloads the document's examples published
// (testdata/payloads) and one payload per encoder.
func FuzzDecodeIMU(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "payloads", "*"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b := gridBatch(20, 100, t0NS)
	f.Add(wire.AppendJSON(nil, b, wire.JSONOptions{}))
	f.Add(wire.AppendJSON(nil, b, wire.JSONOptions{AccUnit: "g", GyroUnit: "deg/s", ExplicitTimes: true}))
	f.Add(wire.AppendBinary(nil, b, 1.0/512, 1.0/4096))
	f.Add(wire.AppendBinary(nil, b, 1.0/512, 0))
	f.Add(wire.AppendLineProtocol(nil, b))
	f.Add([]byte("imu,device=demo-001,acc_unit=g ax=1i,ay=0,az=1,gx=0,gy=0,gz=0 1795834790000000000\n# c\n"))
	d := wire.NewDecoder(wire.DefaultLimits())
	var dst, again balance.Batch
	f.Fuzz(func(t *testing.T, p []byte) {
		enc, err := d.DecodeIMU("demo-001", p, now, &dst)
		if enc != wire.Sniff(p) {
			t.Fatalf("encoding %v, Sniff says %v", enc, wire.Sniff(p))
		}
		if err != nil {
			if balance.ErrorCode(err) == balance.EINTERNAL {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if err := dst.Validate(); err != nil {
			t.Fatalf("accepted an invalid batch: %v", err)
		}
		// Re-encode in SI line protocol (exact) and decode again. The unit
		// plausibility check depends on the declared units, which become
		// SI here (0.1 g declared as g is fine, 0.98 m/s² declared as m/s²
		// for 0.5 s is not), so only that rejection is allowed.
		lp := wire.AppendLineProtocol(nil, &dst)
		if _, err := d.DecodeIMU("demo-001", lp, now, &again); err != nil {
			if balance.ErrorCode(err) == balance.EUNITS {
				return
			}
			t.Fatalf("re-encoded batch rejected: %v\n%s", err, lp)
		}
		if len(again.Samples) != len(dst.Samples) {
			t.Fatalf("re-decoded %d samples, want %d", len(again.Samples), len(dst.Samples))
		}
		for i := range dst.Samples {
			if again.Samples[i] != dst.Samples[i] {
				t.Fatalf("sample %d: %v after re-encoding, was %v", i, again.Samples[i], dst.Samples[i])
			}
		}
	})
}

// FuzzDecodeStatusEvent: status and event decoding never panic and return
// typed errors.
func FuzzDecodeStatusEvent(f *testing.F) {
	for _, name := range []string{"status-online", "status-offline", "event-start", "event-stop"} {
		if b, err := os.ReadFile(filepath.Join("testdata", "payloads", name)); err == nil {
			f.Add(b)
		}
	}
	f.Add(wire.OfflineWill())
	f.Fuzz(func(t *testing.T, p []byte) {
		if _, err := wire.DecodeStatus("demo-001", p, now); err != nil && balance.ErrorCode(err) == balance.EINTERNAL {
			t.Fatalf("untyped status error: %v", err)
		}
		if _, err := wire.DecodeEvent("demo-001", p, now); err != nil && balance.ErrorCode(err) == balance.EINTERNAL {
			t.Fatalf("untyped event error: %v", err)
		}
	})
}
