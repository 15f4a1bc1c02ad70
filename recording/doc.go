// Package recording reads and writes IMU recording files: Mobilise-D/mobgap
// CSV exports, SisFall text files, GENEActiv CSV exports, a generic CSV
// format of the project's own, and the devices' binary frames stored one
// after another. Every reader returns a Recording whose samples
// are in SI units (m/s², rad/s) in the sensor's own axis frame, with
// TimeNS in Unix nanoseconds when the file carries absolute times and
// nanoseconds since the first sample otherwise.
//
// # Generic CSV
//
// The generic format is what `balance sim` writes in file mode and what
// `balance analyze` reads by default. It is UTF-8 text with "\n" or "\r\n"
// line ends:
//
//	# format: balance-csv/1
//	# rate_hz: 100
//	# acc_unit: m/s2
//	# gyro_unit: rad/s
//	# start_unix_ns: 1764300000000000000
//	# height_m: 1.70
//	# sensor_height_m: 0.90
//	time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z
//	0.00,0.12,9.79,0.31,0.001,-0.002,0.000
//	0.01,...
//
// Comment lines start with "#" and hold "key: value" pairs; they may appear
// anywhere but are normally before the header. Known keys:
//
//   - rate_hz: nominal sample rate in Hz. Required when there is no time
//     column; otherwise the rate is the median interval of the first
//     1000 samples (see Streaming).
//   - acc_unit: "m/s2" (default) or "g" (multiplied by 9.80665).
//   - gyro_unit: "rad/s" (default) or "deg/s".
//   - start_unix_ns: Unix time of time_s = 0, in nanoseconds (default 0).
//   - height_m, sensor_height_m: the wearer's height and the height of the
//     lower-back sensor above the floor, in metres, for gait analysis.
//
// Every other key is kept in Recording.Meta. Keys that set how samples are
// read (units, rate, start time) count when they come before the header or
// among the first rateWindow (1000) samples; a later one that would change
// them is an error naming its line. The header names the columns;
// time_s and the three gyr_* columns are optional (without gyroscope columns
// HasGyro is false and Gyro is zero), the three acc_* columns are required,
// and unknown columns are ignored. Values are decimal numbers; an empty,
// non-numeric, NaN or infinite value is an error naming the line. Other
// column names, units and rates are mapped with GenericOptions.
//
// Lines holding a double quote are split with encoding/csv (RFC 4180
// quoting, a quoted field may span lines), the others on the delimiter
// directly; the delimiter is the most frequent of comma, tab and semicolon
// in the header line.
// Column names match in any case, and may carry their unit in brackets,
// "acc_x (g)" or "gyr_x [deg/s]" (GenericOptions and comment lines take
// precedence). Before the header, up to 20 free-text lines "key: value"
// without a delimiter are kept in Meta; a key naming the sample rate
// ("Acquisition frequency: 100 Hz", "sampling rate: 50") gives the rate
// when rate_hz does not.
// So Xsens MT Manager text exports read without options:
//
//	Acquisition frequency: 100 Hz
//	PacketCounter	Acc_X	Acc_Y	Acc_Z	Gyr_X	Gyr_Y	Gyr_Z	Mag_X	Mag_Y	Mag_Z
//	0.0	8.225546	0.091094	5.899778	-0.003527	0.005281	0.000665	...
//
// A time column named PacketCounter (or any time column with time_unit
// "packets") counts samples: time = counter / rate, a 16-bit counter's wrap
// from 65535 to 0 is undone, and dropped packets become gaps in TimeNS
// (analysis.BridgeGaps fills the short ones).
//
// # Frames
//
// The frames format (FormatFrames) is what a wearable that records to flash
// while offline, or a gateway that keeps what it forwards, stores: the
// binary frames the devices publish on MQTT (package wire,
// docs/wire-format.md section "2. Binary frame": magic "BF", version 1,
// flags, seq, t0 in Unix µs, rate, scales, n int16 samples, CRC-32C), one
// after another. A file may begin with a text preamble of "# key: value\n"
// lines whose first line is "# format: balance-frames/1"; its keys go into
// Meta as the generic CSV's comments do (height_m, sensor_height_m, device,
// ...), and a rate_hz there must agree with the frames' float32 rate (it then
// gives the rate exactly, as 51.2 rather than 51.200000762939453). Without a
// preamble the file starts directly with "BF\x01". WriteFrames writes the
// format; `balance sim file --file-format frames` too.
//
// Every frame is decoded by wire's (*Decoder).DecodeBinary: samples in SI units at the
// frame's t0 + round(i·10⁹/rate) ns. The rate and the presence of a
// gyroscope come from the first frame; a later frame with another rate or
// gyroscope flag, or starting at or before the previous sample's time, is an
// EMALFORMED error naming the frame (counted from 1 among the frames read)
// and its byte offset. A time gap between frames (frames lost) is a gap in
// TimeNS. A frame with a valid CRC that wire rejects (rate outside
// 10..1000 Hz: ERATE; no samples or more than balance.MaxBatchSize: ECOUNT;
// a zero scale: EMALFORMED), or whose value is beyond balance's plausible
// range (Sample.Validate, checked sample by sample only when the frame's
// scales allow such values), is an error naming it too.
//
// Damaged bytes do not cost the frames around them: where a frame's magic,
// version, flags or CRC is wrong, or its length runs past the end of the
// file (a truncated last frame), the reader skips to the next offset after
// the bad frame's first byte where a frame with a valid CRC starts (or to
// the end), and counts each such bad spot in Meta["frames_skipped"] and the
// bytes skipped in Meta["bytes_skipped"] (both absent when nothing was
// skipped; complete once Read has returned io.EOF). A read error of the
// underlying reader is an error, not a bad spot. Frames are read through a
// buffer of their own (64 KiB, growing to the largest frame met, at most
// 30+65535×12+4 bytes) and decoded straight into the caller's slice when
// they fit in it.
//
// # Streaming
//
// Open reads a recording's header and returns a Stream whose Read fills a
// caller's slice of samples, so that a day at 100 Hz (8.64 M samples, 484 MB
// if held) is read in memory bounded by the chunk, a 64 KiB buffer, the
// longest line and the first rateWindow (1000) samples, which Open reads
// ahead: when the file gives times but not the rate, the rate is the median
// interval of those 1000 samples, and every later time is checked to
// increase as it is read. Read and ReadFile collect a Stream's samples.
// Numbers are parsed over the line bytes, exactly as strconv.ParseFloat
// (Clinger's and Eisel-Lemire's algorithms, strconv for the rest).
//
// Readers never panic on bad input: they return a *balance.Error with code
// balance.EMALFORMED (unparseable text), balance.EUNITS (unknown unit),
// balance.ENONFINITE, balance.ERANGE (implausible value), balance.ERATE
// (missing or impossible rate) or balance.ECOUNT (no samples).
package recording
