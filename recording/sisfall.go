package recording

import (
	"bytes"
	"fmt"
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
// from 0 at 200 Hz. Upright, +y of this waist sensor points down. It
// collects the samples of openSisFall's Stream.
func ReadSisFall(r io.Reader) (Recording, error) {
	s, err := openSisFall(newLines(r))
	if err != nil {
		return Recording{}, err
	}
	return s.collect()
}

// openSisFall returns a Stream of a SisFall file (see ReadSisFall); its
// header is fixed by the format.
func openSisFall(l *lines) (*Stream, error) {
	return &Stream{Header: Header{RateHz: sisFallRateHz, Source: FormatSisFall, HasGyro: true,
		Meta: map[string]string{"axes": "upright, +y points down"}}, dec: &sisFallDec{l: l}}, nil
}

// sisFallDec reads SisFall lines over their bytes, the integers by
// parseInt32 (strconv.ParseInt for anything else, with its errors).
type sisFallDec struct {
	l *lines
	n int // samples returned
}

func (d *sisFallDec) read(p []balance.Sample) (int, error) {
	const (
		ga = sisFallAccG * balance.StandardGravity
		gg = sisFallGyroDPS * 0.017453292519943295
	)
	n := 0
	for n < len(p) {
		b, ok := d.l.next()
		if !ok {
			if d.l.err != nil {
				return n, d.l.err
			}
			if d.n == 0 {
				return n, balance.Errorf(balance.ECOUNT, "recording has no samples")
			}
			return n, io.EOF
		}
		t := bytes.TrimSpace(b)
		if len(t) == 0 {
			continue
		}
		t = bytes.TrimSuffix(t, []byte(";"))
		var v [9]int64
		if !scanSisFall(t, &v) {
			if err := d.slow(t, &v); err != nil {
				return n, err
			}
		}
		s := &p[n]
		s.TimeNS = secondsToNS(float64(d.n) / sisFallRateHz)
		for k := 0; k < 3; k++ {
			s.Acc[k] = float64(v[k]) * ga
			s.Gyro[k] = float64(v[3+k]) * gg
		}
		if !plausible(s) {
			if err := s.Validate(); err != nil {
				return n, fmt.Errorf("sample %d: %w", d.n, err)
			}
		}
		d.n++
		n++
	}
	return n, nil
}

// scanSisFall parses the nine integers of a SisFall line (without its
// ";") in one pass; false for anything scanInt32 does not take.
func scanSisFall(t []byte, v *[9]int64) bool {
	pos := 0
	for k := range v {
		x, n, ok := scanInt32(t[pos:], ',')
		if !ok {
			return false
		}
		v[k] = x
		pos += n
		if k < 8 {
			if pos == len(t) {
				return false
			}
			pos++ // the comma
		}
	}
	return pos == len(t)
}

// slow parses the nine integers of a SisFall line with strconv, with
// the errors of the format.
func (d *sisFallDec) slow(t []byte, v *[9]int64) error {
	if nf := bytes.Count(t, []byte(",")) + 1; nf != 9 {
		return balance.Errorf(balance.EMALFORMED, "line %d: SisFall lines hold 9 integers, got %d fields", d.l.line, nf)
	}
	for k := 0; k < 9; k++ {
		f := t
		if i := bytes.IndexByte(t, ','); i >= 0 {
			f, t = t[:i], t[i+1:]
		}
		x, ok := parseInt32(f)
		if !ok {
			fs := strings.TrimSpace(string(f))
			var err error
			if x, err = strconv.ParseInt(fs, 10, 32); err != nil {
				return balance.Errorf(balance.EMALFORMED, "line %d field %d: %q is not an integer", d.l.line, k+1, truncate(fs, 20))
			}
		}
		v[k] = x
	}
	return nil
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
