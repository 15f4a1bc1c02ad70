package analysis

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/balance-pt/balance"
)

// FuzzGait feeds Gait and GaitWithin arbitrary samples: they must not panic,
// errors must be typed, and every number of a result must be finite (the
// JSON encoder refuses NaN and ±Inf). Bytes: rate selector, then per sample
// six int16 values (acc in 1/1000 g, gyro in 1/100 rad/s).
func FuzzGait(f *testing.F) {
	walk := synthWalk(50, 12, 2, 10, 1.8, 0.03, 0.3, 10)
	seed := []byte{4}
	for _, s := range walk {
		for _, v := range s.Acc {
			seed = binary.LittleEndian.AppendUint16(seed, uint16(int16(v/balance.StandardGravity*1000)))
		}
		seed = append(seed, 0, 0, 0, 0, 0, 0)
	}
	f.Add(seed)
	f.Add([]byte{0, 1, 2, 3})
	f.Add(make([]byte, 2000))
	rates := []float64{10, 25, 50, 100, 200, 1000, 13.7, 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 1 {
			return
		}
		fs := rates[int(b[0])%len(rates)]
		b = b[1:]
		n := len(b) / 12
		s := make([]balance.Sample, n)
		for i := range s {
			for k := 0; k < 3; k++ {
				s[i].Acc[k] = float64(int16(binary.LittleEndian.Uint16(b[12*i+2*k:]))) / 1000 * balance.StandardGravity
				s[i].Gyro[k] = float64(int16(binary.LittleEndian.Uint16(b[12*i+6+2*k:]))) / 100
			}
			s[i].TimeNS = int64(math.Round(float64(i) / fs * 1e9))
		}
		res, err := Gait(s, fs, GaitParams{HeightM: 1.7})
		if err != nil {
			if balance.ErrorCode(err) == balance.EINTERNAL {
				t.Fatalf("untyped error: %v", err)
			}
		} else if _, jerr := json.Marshal(res); jerr != nil {
			t.Fatalf("non-finite result: %v", jerr)
		}
		bt, err := GaitWithin(s, fs, n/4, n, GaitParams{SensorHeightM: 0.9})
		if err != nil {
			if balance.ErrorCode(err) == balance.EINTERNAL {
				t.Fatalf("untyped error: %v", err)
			}
		} else if _, jerr := json.Marshal(bt); jerr != nil {
			t.Fatalf("non-finite bout: %v", jerr)
		}
	})
}
