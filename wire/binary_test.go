package wire_test

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"testing"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// TestCRC32CCheckValue: the frame checksum is CRC-32C (Castagnoli), whose
// catalogue check value for "123456789" is 0xE3069283 (Williams, "A painless
// guide to CRC error detection", and RFC 3720 appendix B.4).
func TestCRC32CCheckValue(t *testing.T) {
	if got := crc32.Checksum([]byte("123456789"), crc32.MakeTable(crc32.Castagnoli)); got != 0xE3069283 {
		t.Fatalf("CRC-32C(123456789) = %#x", got)
	}
}

// frame builds a binary frame by hand, independently of AppendBinary.
func frame(version, flags byte, seq uint32, t0us int64, rate, accScale, gyroScale float32, n uint16, samples []int16) []byte {
	b := []byte{'B', 'F', version, flags}
	b = binary.LittleEndian.AppendUint32(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(t0us))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(rate))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(accScale))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(gyroScale))
	b = binary.LittleEndian.AppendUint16(b, n)
	for _, v := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return withCRC(b)
}

// withCRC appends the CRC-32C of b.
func withCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
}

// TestBinaryDecodeValues: scales 2⁻⁹ m/s² and 2⁻¹² rad/s per LSB are exact
// in float32, so value = count × scale exactly; times are t0 (µs → ns) plus
// round(i·1e9/rate).
func TestBinaryDecodeValues(t *testing.T) {
	t0us := (t0NS / 1000) + 7
	const as, gs = 1.0 / 512, 1.0 / 4096
	p := frame(1, 1, 99, t0us, 200, as, gs, 2, []int16{0, 5021, -512, 4096, -1, 0, 32767, 1, 2, 3, -32768, 4})
	got, enc, err := decode(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if enc != wire.EncodingBinary {
		t.Errorf("encoding %v", enc)
	}
	want := []balance.Sample{
		{TimeNS: t0us * 1000, Acc: [3]float64{0, 5021.0 / 512, -1}, Gyro: [3]float64{1, -1.0 / 4096, 0}},
		{TimeNS: t0us*1000 + 5_000_000, Acc: [3]float64{32767.0 / 512, 1.0 / 512, 2.0 / 512}, Gyro: [3]float64{3.0 / 4096, -8, 4.0 / 4096}},
	}
	if got.Seq != 99 || got.RateHz != 200 || len(got.Samples) != 2 || got.Samples[0] != want[0] || got.Samples[1] != want[1] {
		t.Errorf("got seq %d rate %v samples %v\nwant seq 99 rate 200 samples %v", got.Seq, got.RateHz, got.Samples, want)
	}
	d := wire.NewDecoder(wire.Limits{})
	var b balance.Batch
	if _, err := d.DecodeIMU("demo-001", p, now, &b); err != nil {
		t.Fatal(err)
	}
	if s := d.Stats().Saturated; s != 1 {
		t.Errorf("Saturated = %d, want 1 (sample 1 has +32767 and -32768)", s)
	}
}

func TestBinaryAccOnly(t *testing.T) {
	t0us := t0NS / 1000
	p := frame(1, 0, 1, t0us, 100, 0.01, 0, 2, []int16{1, 2, 981, -1, -2, 980})
	got, _, err := decode(t, p)
	if err != nil {
		t.Fatal(err)
	}
	s32 := float64(float32(0.01))
	want := []balance.Sample{
		{TimeNS: t0us * 1000, Acc: [3]float64{s32, 2 * s32, 981 * s32}},
		{TimeNS: t0us*1000 + 10_000_000, Acc: [3]float64{-s32, -2 * s32, 980 * s32}},
	}
	if len(got.Samples) != 2 || got.Samples[0] != want[0] || got.Samples[1] != want[1] {
		t.Errorf("got %v, want %v", got.Samples, want)
	}
}

// TestBinaryRoundTrip: AppendBinary quantises to the nearest LSB, so every
// decoded value is within half an LSB of the input (plus float64 rounding of
// v/scale and q·scale, ≤ 1e-12 LSB here); times on a µs-aligned grid with a
// float32-exact rate come back exactly.
func TestBinaryRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		b         *balance.Batch
		acc, gyro float64
	}{
		{"100 Hz, ±16 g and ±2000 deg/s ranges", gridBatch(100, 100, t0NS), 32 * 9.80665 / 65536, 4000 * math.Pi / 180 / 65536},
		{"128 Hz, fine scales", gridBatch(256, 128, t0NS+5_000), 0.001, 0.0001},
		{"acc only", gridBatch(10, 50, t0NS), 0.005, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wire.AppendBinary(nil, tt.b, tt.acc, tt.gyro)
			got, _, err := decode(t, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Seq != tt.b.Seq || got.RateHz != tt.b.RateHz || len(got.Samples) != len(tt.b.Samples) {
				t.Fatalf("seq %d rate %v n %d, want %d %v %d", got.Seq, got.RateHz, len(got.Samples), tt.b.Seq, tt.b.RateHz, len(tt.b.Samples))
			}
			ha := float64(float32(tt.acc)) / 2 * (1 + 1e-12)
			hg := float64(float32(tt.gyro)) / 2 * (1 + 1e-12)
			for i, w := range tt.b.Samples {
				g := got.Samples[i]
				if g.TimeNS != w.TimeNS {
					t.Fatalf("sample %d time %d, want %d", i, g.TimeNS, w.TimeNS)
				}
				for k := range 3 {
					if math.Abs(g.Acc[k]-w.Acc[k]) > ha {
						t.Fatalf("sample %d acc[%d] = %v, want %v ± %v", i, k, g.Acc[k], w.Acc[k], ha)
					}
					wg := w.Gyro[k]
					if tt.gyro == 0 {
						wg, hg = 0, 0 // acc-only frames decode gyro as 0
					}
					if math.Abs(g.Gyro[k]-wg) > hg {
						t.Fatalf("sample %d gyro[%d] = %v, want %v ± %v", i, k, g.Gyro[k], wg, hg)
					}
				}
			}
		})
	}
}

// TestBinaryClamp: values beyond the int16 range at the given scale are
// clamped to ±32767 and counted as saturated.
func TestBinaryClamp(t *testing.T) {
	b := gridBatch(3, 100, t0NS)
	b.Samples[1].Acc[2] = 100 // 100 m/s² at 2⁻⁹ per LSB = 51200 LSB > 32767
	b.Samples[2].Gyro[0] = -20
	p := wire.AppendBinary(nil, b, 1.0/512, 1.0/2048)
	d := wire.NewDecoder(wire.Limits{})
	var got balance.Batch
	if _, err := d.DecodeIMU("demo-001", p, now, &got); err != nil {
		t.Fatal(err)
	}
	if got.Samples[1].Acc[2] != 32767.0/512 || got.Samples[2].Gyro[0] != -32767.0/2048 {
		t.Errorf("clamped values %v, %v; want %v, %v", got.Samples[1].Acc[2], got.Samples[2].Gyro[0], 32767.0/512, -32767.0/2048)
	}
	if s := d.Stats().Saturated; s != 2 {
		t.Errorf("Saturated = %d, want 2", s)
	}
}

// TestReadBinaryHeader: the header of frames AppendBinary writes gives
// their length, count, gyroscope flag and largest magnitudes (32768 × the
// float32 scale); what does not start a frame is refused.
func TestReadBinaryHeader(t *testing.T) {
	b := &balance.Batch{RateHz: 100}
	for i := range 7 {
		b.Samples = append(b.Samples, balance.Sample{TimeNS: int64(i) * 1e7, Acc: [3]float64{0, 0, 9.8}})
	}
	for _, gyroScale := range []float64{0, 0.001} {
		f := wire.AppendBinary(nil, b, 0.0024, gyroScale)
		h, ok := wire.ReadBinaryHeader(f)
		if !ok || h.Size != len(f) || h.N != 7 || h.Gyro != (gyroScale > 0) {
			t.Errorf("gyro scale %v: %+v, %v; want size %d, 7 samples", gyroScale, h, ok, len(f))
		}
		if want := 32768 * float64(float32(0.0024)); h.MaxAcc != want {
			t.Errorf("MaxAcc %v, want %v", h.MaxAcc, want)
		}
		if want := 32768 * float64(float32(gyroScale)); h.MaxGyro != want {
			t.Errorf("MaxGyro %v, want %v", h.MaxGyro, want)
		}
	}
	f := wire.AppendBinary(nil, b, 0.0024, 0)
	for _, bad := range [][]byte{f[:wire.BinaryHeaderSize-1], append([]byte{'X'}, f[1:]...), append(append([]byte{}, f[:3]...), append([]byte{0x80}, f[4:]...)...)} {
		if h, ok := wire.ReadBinaryHeader(bad); ok {
			t.Errorf("%q... read as a header: %+v", bad[:4], h)
		}
	}
}
