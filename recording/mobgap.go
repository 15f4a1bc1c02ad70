package recording

import (
	"io"
	"strings"

	"github.com/balance-pt/balance"
)

// ReadMobgap reads a Mobilise-D/mobgap lower-back CSV export with the header
//
//	sample,time_s,unix_time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps
//
// (acceleration in g, angular rate in deg/s; worn correctly x points up, y
// right and z forward). Times come from unix_time_s when present, else
// time_s; the rate is the median sample interval.
//
// ReadMobgap collects the samples of openMobgap's Stream.
func ReadMobgap(r io.Reader) (Recording, error) {
	s, err := openMobgap(newLines(r))
	if err != nil {
		return Recording{}, err
	}
	return s.collect()
}

// openMobgap checks a mobgap header and reads on as generic CSV with the
// mobgap columns and units.
func openMobgap(l *lines) (*Stream, error) {
	b, ok := l.next()
	if !ok && l.err != nil {
		return nil, balance.Errorf(balance.EMALFORMED, "mobgap CSV header: %v", l.err)
	}
	header := string(b)
	if header == "" {
		return nil, balance.Errorf(balance.ECOUNT, "mobgap CSV is empty")
	}
	cols := map[string]string{
		"acc_x": "acc_x_g", "acc_y": "acc_y_g", "acc_z": "acc_z_g",
		"gyr_x": "gyr_x_dps", "gyr_y": "gyr_y_dps", "gyr_z": "gyr_z_dps",
		"time_s": "time_s",
	}
	header = strings.TrimPrefix(header, "\xef\xbb\xbf")
	for _, h := range strings.Split(header, ",") {
		if strings.TrimSpace(h) == "unix_time_s" {
			cols["time_s"] = "unix_time_s"
		}
	}
	if !strings.Contains(header, "gyr_x_dps") {
		cols["gyr_x"], cols["gyr_y"], cols["gyr_z"] = "-", "-", "-"
	}
	if !strings.Contains(header, "acc_x_g") {
		return nil, balance.Errorf(balance.EMALFORMED, "mobgap CSV header %q lacks acc_x_g", truncate(header, 80))
	}
	l.back()
	s, err := openGeneric(l, GenericOptions{Columns: cols, AccUnit: "g", GyroUnit: "deg/s"})
	if err != nil {
		return nil, err
	}
	s.Source = FormatMobgap
	s.Meta["axes"] = "x up, y right (medio-lateral), z forward (antero-posterior) when worn correctly"
	return s, nil
}
