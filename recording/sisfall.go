package recording

import (
	"io"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// SisFall sensor scales (Sucerquia et al. 2017, SisFall Readme): ADXL345
// ±16 g over 13 bits, ITG3200 ±2000 °/s over 16 bits.
const (
	sisFallRateHz  = 200
	sisFallAccG    = 32.0 / 8192    // g per count, ADXL345 at ±16 g, 13 bit
	sisFallGyroDPS = 4000.0 / 65536 // °/s per count, ITG3200 ±2000 °/s, 16 bit
)

// ReadSisFall reads a SisFall trial file (Sucerquia et al., Sensors 2017;
// 17(1):198): 200 Hz, one line per sample of nine integers ending in ";":
// ADXL345 acc x, y, z; ITG3200 gyro x, y, z; MMA8451Q acc x, y, z. It keeps
// the ADXL345 and ITG3200 channels, converted to m/s² and rad/s, with times
// from 0 at 200 Hz. Upright, +y of this waist sensor points down.
func ReadSisFall(r io.Reader) (Recording, error) {
	lr := newLineReader(r)
	rec := Recording{RateHz: sisFallRateHz, Source: FormatSisFall, HasGyro: true,
		Meta: map[string]string{"axes": "upright, +y points down"}}
	ga := sisFallAccG * balance.StandardGravity
	gg := sisFallGyroDPS * 0.017453292519943295
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		t = strings.TrimSuffix(t, ";")
		f := strings.Split(t, ",")
		if len(f) != 9 {
			return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d: SisFall lines hold 9 integers, got %d fields", lr.line, len(f))
		}
		var v [9]int64
		for k := 0; k < 9; k++ {
			n, err := strconv.ParseInt(strings.TrimSpace(f[k]), 10, 32)
			if err != nil {
				return Recording{}, balance.Errorf(balance.EMALFORMED, "line %d field %d: %q is not an integer", lr.line, k+1, truncate(strings.TrimSpace(f[k]), 20))
			}
			v[k] = n
		}
		s := balance.Sample{TimeNS: secondsToNS(float64(len(rec.Samples)) / sisFallRateHz)}
		for k := 0; k < 3; k++ {
			s.Acc[k] = float64(v[k]) * ga
			s.Gyro[k] = float64(v[3+k]) * gg
		}
		rec.Samples = append(rec.Samples, s)
	}
	if err := lr.err(); err != nil {
		return Recording{}, err
	}
	if err := checkSamples(&rec); err != nil {
		return Recording{}, err
	}
	return rec, nil
}

// isSisFallLine reports whether s looks like a SisFall data line.
func isSisFallLine(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, ";") {
		return false
	}
	f := strings.Split(strings.TrimSuffix(s, ";"), ",")
	if len(f) != 9 {
		return false
	}
	for _, x := range f {
		if _, err := strconv.Atoi(strings.TrimSpace(x)); err != nil {
			return false
		}
	}
	return true
}
