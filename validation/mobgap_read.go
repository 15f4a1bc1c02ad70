package validation

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// mobgapWB is one INDIP reference walking bout (mobgap-lowerback README:
// times in s since the first IMU sample, MATLAB 1-based).
type mobgapWB struct {
	Start, End, Cadence, WalkingSpeed, AverageStrideLength float64
	ICs                                                    []float64
}

// flexFloats decodes a JSON number, null or array of numbers (the reference
// files store single-element arrays as scalars and NaN as null).
type flexFloats []float64

func (f *flexFloats) UnmarshalJSON(b []byte) error {
	var one *float64
	if err := json.Unmarshal(b, &one); err == nil {
		if one != nil {
			*f = []float64{*one}
		}
		return nil
	}
	var many []*float64
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("flexFloats: %w", err)
	}
	for _, v := range many {
		if v != nil {
			*f = append(*f, *v)
		}
	}
	return nil
}

// readINDIP reads the INDIP micro walking bouts of one reference file.
func readINDIP(path string) ([]mobgapWB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mobgap reference: %w", err)
	}
	var doc struct {
		Standards struct {
			INDIP struct {
				MicroWB []struct {
					Start, End, Cadence, WalkingSpeed, AverageStrideLength float64
					InitialContactEvent                                    flexFloats `json:"InitialContact_Event"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("mobgap reference %s: %w", path, err)
	}
	var out []mobgapWB
	for _, w := range doc.Standards.INDIP.MicroWB {
		out = append(out, mobgapWB{w.Start, w.End, w.Cadence, w.WalkingSpeed, w.AverageStrideLength, w.InitialContactEvent})
	}
	return out, nil
}

// readSensorHeight returns participant_info.json's SensorHeight in metres.
func readSensorHeight(dir string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "participant_info.json"))
	if err != nil {
		return 0, fmt.Errorf("mobgap participant: %w", err)
	}
	var p struct{ SensorHeight float64 }
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, fmt.Errorf("mobgap participant %s: %w", dir, err)
	}
	return p.SensorHeight / 100, nil
}
