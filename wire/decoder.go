package wire

import (
	"fmt"
	"math"
	"time"

	"github.com/balance-pt/balance"
	"github.com/valyala/fastjson"
)

// Decoder decodes IMU batches. It keeps parser state between calls so that a
// steady stream of batches decodes without allocating. A Decoder is NOT safe
// for concurrent use: give each goroutine its own.
type Decoder struct {
	// Limits bound what DecodeIMU accepts; zero fields mean the defaults.
	Limits Limits

	json  fastjson.Parser
	num   []byte // scratch for number texts
	esc   []byte // scratch for unescaped line-protocol tokens
	stats DecodeStats
}

// DecodeStats describes the last batch a Decoder decoded.
type DecodeStats struct {
	// Saturated counts samples of a binary frame with at least one axis at
	// the int16 limits (+32767, -32767 or -32768): the sensor's range was
	// exceeded, so the value is a lower bound of the true one. The samples
	// are kept; analysis may treat them as clipped.
	Saturated int
	// DroppedNonFinite and DroppedOutOfRange count samples removed from the
	// batch because a value was NaN or infinite (balance.ENONFINITE) or
	// beyond physical limits (balance.ERANGE). The rest of the batch is kept;
	// only a batch with no valid sample left is rejected.
	DroppedNonFinite, DroppedOutOfRange int
}

// Dropped returns the number of samples removed from the last batch.
func (s DecodeStats) Dropped() int { return s.DroppedNonFinite + s.DroppedOutOfRange }

// NewDecoder returns a Decoder with limits l (zero fields mean the defaults).
func NewDecoder(l Limits) *Decoder {
	return &Decoder{Limits: l}
}

// Stats returns statistics of the last DecodeIMU call (zero after an error).
func (d *Decoder) Stats() DecodeStats { return d.stats }

// declared holds the units a payload declared, as factors to SI, for the
// unit plausibility check.
type declared struct {
	acc, gyro float64
}

// DecodeIMU decodes payload, published on the imu topic of device deviceID,
// into dst, reusing the capacity of dst.Samples. It tells the encoding with
// Sniff, converts values to SI, and checks, in this order: the payload size
// (balance.ETOOLARGE), the syntax (EMALFORMED, ECRC, ETRUNCATED, EVERSION,
// EUNITS, ECOUNT, ERATE), every sample (ENONFINITE, ERANGE: such samples are
// dropped and counted in Stats, and the batch is rejected only when none is
// left), the plausibility of the declared units (EUNITS, see checkUnits),
// that sample times increase, and the clock (ECLOCK;
// balance.Batch.CheckClock against now and d.Limits).
//
// Errors carry context and wrap a *balance.Error, so balance.ErrorCode(err)
// gives the reason. On error dst holds no useful data, but keeps its capacity.
// The returned Encoding is valid even on error (for per-encoding counters).
func (d *Decoder) DecodeIMU(deviceID string, payload []byte, now time.Time, dst *balance.Batch) (Encoding, error) {
	enc := Sniff(payload)
	d.stats = DecodeStats{}
	dst.DeviceID = deviceID
	dst.PatientID = ""
	dst.Seq = 0
	dst.RateHz = 0
	dst.Samples = dst.Samples[:0]
	if err := balance.ValidateDeviceID(deviceID); err != nil {
		return enc, fmt.Errorf("wire: imu: %w", err)
	}
	l := d.Limits.WithDefaults()
	if len(payload) > l.MaxPayloadBytes {
		return enc, fmt.Errorf("wire: imu from %s: %w", deviceID,
			balance.Errorf(balance.ETOOLARGE, "payload of %d bytes exceeds the limit of %d bytes", len(payload), l.MaxPayloadBytes))
	}
	var (
		units declared
		err   error
	)
	switch enc {
	case EncodingJSON:
		units, err = d.decodeJSON(payload, dst)
	case EncodingBinary:
		units, err = d.decodeBinary(payload, dst)
	default:
		units, err = d.decodeLineProtocol(deviceID, payload, dst)
	}
	if err == nil {
		err = d.dropInvalid(dst)
	}
	if err == nil {
		err = checkUnits(dst.Samples, units)
	}
	if err == nil {
		err = dst.Validate()
	}
	if err == nil {
		err = checkIncreasing(dst.Samples)
	}
	if err == nil {
		err = dst.CheckClock(now, l.MaxPast, l.MaxFuture)
	}
	if err != nil {
		dst.Samples = dst.Samples[:0]
		d.stats = DecodeStats{}
		return enc, fmt.Errorf("wire: %s imu from %s: %w", enc, deviceID, err)
	}
	return enc, nil
}

// dropInvalid removes samples with a non-finite or physically impossible
// value, counting them in d.stats, so that one glitch does not cost the good
// samples around it. When no sample is left it returns the first sample's
// error, so that the batch is rejected with that reason.
func (d *Decoder) dropInvalid(b *balance.Batch) error {
	var first error
	kept := b.Samples[:0]
	for i := range b.Samples {
		err := b.Samples[i].Validate()
		if err == nil {
			kept = append(kept, b.Samples[i])
			continue
		}
		if first == nil {
			first = fmt.Errorf("sample %d: %w", i, err)
		}
		if balance.ErrorCode(err) == balance.ENONFINITE {
			d.stats.DroppedNonFinite++
		} else {
			d.stats.DroppedOutOfRange++
		}
	}
	b.Samples = kept
	if len(kept) == 0 && first != nil {
		return first
	}
	return nil
}

// checkIncreasing reports ECLOCK unless sample times strictly increase.
func checkIncreasing(s []balance.Sample) error {
	for i := 1; i < len(s); i++ {
		if s[i].TimeNS <= s[i-1].TimeNS {
			return balance.Errorf(balance.ECLOCK, "sample %d time %d ns is not after sample %d time %d ns", i, s[i].TimeNS, i-1, s[i-1].TimeNS)
		}
	}
	return nil
}

// sampleTime returns the time of sample i of a batch that starts at t0 (Unix
// ns) with rate hz: t0 + round(i·10⁹/hz) ns.
func sampleTime(t0 int64, i int, hz float64) int64 {
	return t0 + int64(math.Round(float64(i)*1e9/hz))
}

// checkRate reports ERATE unless hz lies in the accepted band.
func checkRate(hz float64) error {
	if !(hz >= balance.MinRateHz && hz <= balance.MaxRateHz) {
		return balance.Errorf(balance.ERATE, "sample rate %v Hz is outside %v..%v Hz", hz, balance.MinRateHz, balance.MaxRateHz)
	}
	return nil
}
