package main

import "testing"

// TestAnalyzeFallsUp: the fall detector's up axis comes from the
// recording's walking when it has some (SisFall D04, jogging: up along -y,
// as the SisFall README says the waist sensor's y reads about -0.93 g
// upright), else from --sensor-up, else none. SisFall D14_SA02 (rolling in
// bed, no walking) is a false alarm without an up axis and none with the
// declared one (validation.Falls lists it among the no-up false alarms).
func TestAnalyzeFallsUp(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string
		flags  []string
		source string
		falls  int
	}{
		{"jogging: walking", "sisfall-dev/raw/D04_SA01_R01.txt", nil, "walking", 0},
		{"jogging: walking wins over the flag", "sisfall-dev/raw/D04_SA01_R01.txt", []string{"--sensor-up", "+x"}, "walking", 0},
		{"roll in bed: none", "sisfall-more/raw/D14_SA02_R01.txt", nil, "none", 1},
		{"roll in bed: declared", "sisfall-more/raw/D14_SA02_R01.txt", []string{"--sensor-up", "-y"}, "declared", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sharedFile(t, tc.file)
			d := analyzeJSON(t, append(tc.flags, p)...)
			u := d.FallsUp
			if u.Source != tc.source || len(d.Falls) != tc.falls {
				t.Fatalf("up_source %q, %d falls; want %q, %d", u.Source, len(d.Falls), tc.source, tc.falls)
			}
			switch tc.source {
			case "walking":
				if u.Axis[1] > -0.7 || u.WalkingS < 6 {
					t.Errorf("walking up %v from %.1f s; want along -y (cos < -0.7, within 45°) from at least 6 s", u.Axis, u.WalkingS)
				}
			case "declared":
				if u.Axis != [3]float64{0, -1, 0} {
					t.Errorf("declared up %v, want -y", u.Axis)
				}
			case "none":
				if u.Axis != [3]float64{} {
					t.Errorf("no up, axis %v", u.Axis)
				}
			}
		})
	}
	if _, err := runAnalyzeT(t, "--sensor-up", "up", "x.csv"); err == nil {
		t.Error("--sensor-up up accepted")
	}
}
