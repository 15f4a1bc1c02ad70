package recording

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
)

// WriteGeneric writes rec in the generic CSV format (see the package
// comment): comment lines for format, rate, units (always m/s2 and rad/s),
// start time and every Meta entry, the header, then one line per sample with
// time_s relative to the first sample. Gyroscope columns are written only
// when rec.HasGyro. Values keep full float64 precision, so reading the file
// back gives the same samples to within the 1 ns rounding of times.
func WriteGeneric(w io.Writer, rec Recording) error {
	if err := checkRate(rec.RateHz); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var start int64
	if len(rec.Samples) > 0 {
		start = rec.Samples[0].TimeNS
	}
	fmt.Fprintf(bw, "# format: balance-csv/1\n# rate_hz: %s\n# acc_unit: m/s2\n", strconv.FormatFloat(rec.RateHz, 'g', -1, 64))
	if rec.HasGyro {
		fmt.Fprintf(bw, "# gyro_unit: rad/s\n")
	}
	fmt.Fprintf(bw, "# start_unix_ns: %d\n", start)
	keys := make([]string, 0, len(rec.Meta))
	for k := range rec.Meta {
		switch k {
		case "format", "rate_hz", "acc_unit", "gyro_unit", "time_unit", "start_unix_ns":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" || strings.ContainsRune(k, ':') || !safeMeta(k) || !safeMeta(rec.Meta[k]) {
			return balance.Errorf(balance.EINVALID, "meta %q: keys and values may not hold line breaks, and keys no ':'", k)
		}
		fmt.Fprintf(bw, "# %s: %s\n", k, rec.Meta[k])
	}
	if rec.HasGyro {
		bw.WriteString("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n")
	} else {
		bw.WriteString("time_s,acc_x,acc_y,acc_z\n")
	}
	buf := make([]byte, 0, 256)
	for i, s := range rec.Samples {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
		buf = buf[:0]
		buf = strconv.AppendFloat(buf, float64(s.TimeNS-start)/1e9, 'f', -1, 64)
		n := 3
		if rec.HasGyro {
			n = 6
		}
		for k := 0; k < n; k++ {
			v := s.Acc[k%3]
			if k >= 3 {
				v = s.Gyro[k-3]
			}
			if v == 0 {
				v = math.Copysign(0, 1) // no "-0"
			}
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return fmt.Errorf("recording: write: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("recording: write: %w", err)
	}
	return nil
}

func safeMeta(s string) bool {
	for _, c := range s {
		if c == '\n' || c == '\r' {
			return false
		}
	}
	return true
}
