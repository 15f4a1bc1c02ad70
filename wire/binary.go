package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/balance-pt/balance"
)

// Binary frame layout, version 1 (all little-endian):
//
//	off size field
//	  0  2   magic "BF"
//	  2  1   version (1)
//	  3  1   flags: bit 0 = gyro present; other bits reserved, must be 0
//	  4  4   seq, uint32
//	  8  8   t0, int64 Unix microseconds: time of sample 0
//	 16  4   rate_hz, float32
//	 20  4   acc_scale, float32, m/s² per LSB
//	 24  4   gyro_scale, float32, rad/s per LSB (ignored without gyro)
//	 28  2   n, uint16: number of samples
//	 30  n×6 or n×12: int16 ax,ay,az[,gx,gy,gz] per sample
//	  …  4   CRC-32C (Castagnoli) of all preceding bytes, uint32
const (
	binaryMagic0     = 'B'
	binaryMagic1     = 'F'
	binaryHeaderSize = 30
	binaryCRCSize    = 4
	flagGyro         = 1 << 0
	// saturatedLSB is the int16 magnitude at which an axis counts as clipped.
	saturatedLSB = math.MaxInt16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// decodeBinary decodes a binary frame into dst. Samples at the int16 limits
// are counted in d.stats.Saturated.
func (d *Decoder) decodeBinary(p []byte, dst *balance.Batch) (declared, error) {
	u := declared{acc: unitSI, gyro: unitSI}
	if len(p) < 3 {
		return u, balance.Errorf(balance.ETRUNCATED, "frame of %d bytes is shorter than its %d-byte header", len(p), binaryHeaderSize)
	}
	if p[2] != Version {
		return u, balance.Errorf(balance.EVERSION, "frame version %d; this receiver speaks version %d", p[2], Version)
	}
	if len(p) < binaryHeaderSize+binaryCRCSize {
		return u, balance.Errorf(balance.ETRUNCATED, "frame of %d bytes is shorter than its %d-byte header and CRC", len(p), binaryHeaderSize+binaryCRCSize)
	}
	flags := p[3]
	if flags&^flagGyro != 0 {
		return u, balance.Errorf(balance.EMALFORMED, "reserved flag bits set: %#02x", flags)
	}
	axes := 3
	if flags&flagGyro != 0 {
		axes = 6
	}
	n := int(binary.LittleEndian.Uint16(p[28:]))
	want := binaryHeaderSize + n*axes*2 + binaryCRCSize
	if len(p) < want {
		return u, balance.Errorf(balance.ETRUNCATED, "frame of %d bytes is shorter than the %d bytes its header declares (%d samples × %d axes)", len(p), want, n, axes)
	}
	if len(p) > want {
		return u, balance.Errorf(balance.EMALFORMED, "frame of %d bytes has %d bytes after its CRC", len(p), len(p)-want)
	}
	body := p[:want-binaryCRCSize]
	if got, sum := binary.LittleEndian.Uint32(p[want-binaryCRCSize:]), crc32.Checksum(body, castagnoli); got != sum {
		return u, balance.Errorf(balance.ECRC, "CRC-32C is %#08x, the frame says %#08x", sum, got)
	}
	if n == 0 {
		return u, balance.Errorf(balance.ECOUNT, "batch has no samples")
	}
	if n > balance.MaxBatchSize {
		return u, balance.Errorf(balance.ECOUNT, "batch has %d samples, more than %d", n, balance.MaxBatchSize)
	}
	rate := float64(math.Float32frombits(binary.LittleEndian.Uint32(p[16:])))
	if err := checkRate(rate); err != nil {
		return u, err
	}
	accScale := float64(math.Float32frombits(binary.LittleEndian.Uint32(p[20:])))
	gyroScale := float64(math.Float32frombits(binary.LittleEndian.Uint32(p[24:])))
	if !(accScale > 0 && accScale <= math.MaxFloat32) {
		return u, balance.Errorf(balance.EMALFORMED, "acc_scale %v must be a positive finite number", accScale)
	}
	if axes == 6 && !(gyroScale > 0 && gyroScale <= math.MaxFloat32) {
		return u, balance.Errorf(balance.EMALFORMED, "gyro_scale %v must be a positive finite number", gyroScale)
	}
	t0us := int64(binary.LittleEndian.Uint64(p[8:]))
	if t0us > math.MaxInt64/1000 || t0us < math.MinInt64/1000 {
		return u, balance.Errorf(balance.ECLOCK, "t0 %d µs is beyond the years 1678 to 2262", t0us)
	}
	t0 := t0us * 1000
	dst.Seq = uint64(binary.LittleEndian.Uint32(p[4:]))
	dst.RateHz = rate
	dst.Samples = growSamples(dst.Samples, n)
	sat := 0
	q := body[binaryHeaderSize:]
	// When the period is a whole number of ns (100 Hz: 10⁷), i·period is
	// exactly round(i·10⁹/rate), without a division and rounding per sample.
	step := int64(1e9 / rate)
	exact := float64(step) == 1e9/rate
	for i := range dst.Samples {
		s := &dst.Samples[i]
		if exact {
			s.TimeNS = t0 + int64(i)*step
		} else {
			s.TimeNS = sampleTime(t0, i, rate)
		}
		clipped := false
		for k := range 3 {
			v := int16(binary.LittleEndian.Uint16(q[2*k:]))
			clipped = clipped || v >= saturatedLSB || v <= -saturatedLSB
			s.Acc[k] = float64(v) * accScale
		}
		if axes == 6 {
			for k := range 3 {
				v := int16(binary.LittleEndian.Uint16(q[6+2*k:]))
				clipped = clipped || v >= saturatedLSB || v <= -saturatedLSB
				s.Gyro[k] = float64(v) * gyroScale
			}
		} else {
			s.Gyro = [3]float64{}
		}
		if clipped {
			sat++
		}
		q = q[2*axes:]
	}
	d.stats.Saturated = sat
	return u, nil
}

// AppendBinary appends b as a binary frame (see docs/wire-format.md) to dst.
//
// Values are quantised to the nearest multiple of the scales as float32
// (accScale in m/s² per LSB; gyroScale in rad/s per LSB, or ≤ 0 for an
// acc-only frame) and clamped to ±32767, which the decoder then counts as
// saturated. t0 is the first sample's time in whole microseconds (floored);
// the rate is b.RateHz, or, if that is 0, (n−1)/(last−first time) (a single
// sample without b.RateHz gives rate 0, which the decoder rejects). The
// frame carries no per-sample times, so decoding gives back the samples'
// times only if they lie on the grid t0 + round(i·10⁹/rate) ns.
// b must hold 1 to 65535 samples; b.Seq is truncated to 32 bits.
func AppendBinary(dst []byte, b *balance.Batch, accScale, gyroScale float64) []byte {
	n := min(len(b.Samples), math.MaxUint16)
	flags := byte(0)
	axes := 3
	if gyroScale > 0 {
		flags |= flagGyro
		axes = 6
	}
	rate := b.RateHz
	if rate == 0 && n > 1 {
		rate = float64(n-1) * 1e9 / float64(b.Samples[n-1].TimeNS-b.Samples[0].TimeNS)
	}
	var t0us int64
	if n > 0 {
		t0us = floorDiv(b.Samples[0].TimeNS, 1000)
	}
	acc32, gyro32 := float32(accScale), float32(gyroScale)
	start := len(dst)
	dst = append(dst, binaryMagic0, binaryMagic1, Version, flags)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(b.Seq))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(t0us))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(rate)))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(acc32))
	dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(gyro32))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
	for i := range n {
		s := &b.Samples[i]
		for k := range 3 {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(quantise(s.Acc[k], float64(acc32))))
		}
		if axes == 6 {
			for k := range 3 {
				dst = binary.LittleEndian.AppendUint16(dst, uint16(quantise(s.Gyro[k], float64(gyro32))))
			}
		}
	}
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// quantise returns round(v/scale) clamped to ±32767 (NaN gives 0).
func quantise(v, scale float64) int16 {
	q := math.Round(v / scale)
	switch {
	case q >= saturatedLSB:
		return saturatedLSB
	case q <= -saturatedLSB:
		return -saturatedLSB
	case q == q:
		return int16(q)
	}
	return 0
}

// floorDiv returns ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// growSamples returns s resized to n samples, reusing its capacity.
func growSamples(s []balance.Sample, n int) []balance.Sample {
	if cap(s) < n {
		return make([]balance.Sample, n, n+n/4)
	}
	return s[:n]
}

// DecodeBinary decodes p, exactly one binary frame, into dst, reusing the
// capacity of dst.Samples, with the frame's own checks (EVERSION,
// ETRUNCATED, EMALFORMED, ECRC, ECOUNT, ERATE, ECLOCK for a t0 beyond the
// years 1678 to 2262) but none of DecodeIMU's checks for live ingest: values
// are not checked against balance's plausible ranges (a scale may make
// them implausible), units not judged, times not compared with a clock.
// It is for readers of stored frames, which check what they need.
// Stats().Saturated counts the clipped samples. On error dst holds no
// samples.
func (d *Decoder) DecodeBinary(p []byte, dst *balance.Batch) error {
	d.stats = DecodeStats{}
	if _, err := d.decodeBinary(p, dst); err != nil {
		dst.Samples = dst.Samples[:0]
		d.stats = DecodeStats{}
		return fmt.Errorf("wire: binary frame: %w", err)
	}
	return nil
}

// BinaryHeaderSize is the length of a binary frame's header, which
// BinaryFrameHeader reads.
const BinaryHeaderSize = binaryHeaderSize

// BinaryFrameStart is what every binary frame of this version starts with:
// its magic and version.
var BinaryFrameStart = []byte{binaryMagic0, binaryMagic1, Version}

// BinaryHeader is what a binary frame's header says of its layout.
type BinaryHeader struct {
	// Size is the frame's length in bytes, CRC included; N its samples.
	Size, N int
	// Gyro: the samples carry gyroscope values.
	Gyro bool
	// MaxAcc and MaxGyro are the largest magnitudes its counts can give
	// (32768 × each scale), m/s² and rad/s.
	MaxAcc, MaxGyro float64
}

// ReadBinaryHeader reads the header at the start of h (at least
// BinaryHeaderSize bytes), for readers of stored frames that must know a
// frame's length before they have it whole; ok is false when h does not
// start a frame of this version (magic, version, reserved flags). Nothing
// else is checked: DecodeBinary checks the frame.
func ReadBinaryHeader(h []byte) (hd BinaryHeader, ok bool) {
	if len(h) < binaryHeaderSize || h[0] != binaryMagic0 || h[1] != binaryMagic1 || h[2] != Version || h[3]&^flagGyro != 0 {
		return BinaryHeader{}, false
	}
	hd.Gyro = h[3]&flagGyro != 0
	hd.N = int(binary.LittleEndian.Uint16(h[28:]))
	axes := 3
	if hd.Gyro {
		axes = 6
	}
	hd.Size = binaryHeaderSize + hd.N*axes*2 + binaryCRCSize
	hd.MaxAcc = -math.MinInt16 * float64(math.Float32frombits(binary.LittleEndian.Uint32(h[20:])))
	if hd.Gyro {
		hd.MaxGyro = -math.MinInt16 * float64(math.Float32frombits(binary.LittleEndian.Uint32(h[24:])))
	}
	return hd, true
}
