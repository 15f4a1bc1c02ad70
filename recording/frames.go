package recording

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/balance-pt/balance"
	"github.com/balance-pt/balance/wire"
)

// framesMagic is the format line that starts a frames file's preamble.
const framesMagic = "balance-frames/1"

// isFramesFormatLine reports whether a line (without its line end) is the
// "# format: balance-frames/1" that starts a frames preamble.
func isFramesFormatLine(l []byte) bool {
	if len(l) == 0 || l[0] != '#' {
		return false
	}
	k, v, _ := strings.Cut(string(l[1:]), ":")
	return strings.TrimSpace(k) == "format" && strings.TrimSpace(v) == framesMagic
}

// frameStart is the magic and version every frame starts with.
var frameStart = wire.BinaryFrameStart

// framesDec reads frames through a buffer of its own that grows to the
// largest frame met (at most 30+65535×12+4 bytes).
type framesDec struct {
	src    io.Reader
	buf    []byte
	r, w   int   // unread bytes are buf[r:w]
	base   int64 // file offset of buf[0]
	eof    bool
	srcErr error // a read error other than io.EOF

	wd      *wire.Decoder
	own     balance.Batch // a frame that does not fit the caller's slice
	inPlace balance.Batch // a frame decoded straight into the caller's slice
	pend    []balance.Sample

	frames  int // frames decoded
	rate    float64
	gyro    bool
	lastNS  int64 // time of the last sample decoded
	err     error // what ended the frames (io.EOF at the end)
	meta    map[string]string
	badFrom int64 // file offset where the current bad spot began; -1 if none
	spots   int
	skipped int64
}

// openFrames reads the preamble and the first frame of a frames file.
func openFrames(r io.Reader) (*Stream, error) {
	d := &framesDec{
		src:     r,
		buf:     make([]byte, 64<<10),
		meta:    map[string]string{},
		badFrom: -1,
		// DecodeBinary checks no clock: a recording may be of any date.
		wd: wire.NewDecoder(wire.Limits{}),
	}
	if err := d.preamble(); err != nil {
		return nil, err
	}
	delete(d.meta, "frames_skipped")
	delete(d.meta, "bytes_skipped")
	if err := d.decodeNext(&d.own, math.MaxInt); err != nil {
		if err == io.EOF {
			msg := "no frames"
			if d.spots > 0 {
				msg = fmt.Sprintf("no valid frame in %d bytes", d.skipped)
			}
			return nil, balance.Errorf(balance.ECOUNT, "recording: frames: %s", msg)
		}
		return nil, err
	}
	d.pend = d.own.Samples
	rate := d.rate
	if v, ok := d.meta["rate_hz"]; ok {
		pre, err := strconv.ParseFloat(v, 64)
		if err != nil || float32(pre) != float32(d.rate) {
			return nil, balance.Errorf(balance.EMALFORMED, "recording: frames: preamble rate_hz %q differs from the first frame's %v Hz", truncate(v, 30), d.rate)
		}
		if checkRate(pre) == nil {
			rate = pre // the exact value the float32 of the frames rounds
		}
	}
	return &Stream{Header: Header{RateHz: rate, Source: FormatFrames, HasGyro: d.gyro, Meta: d.meta}, dec: d}, nil
}

// preamble reads the "# key: value" lines before the first frame into
// d.meta; the first must be "# format: balance-frames/1".
func (d *framesDec) preamble() error {
	if d.fill(3) && bytes.HasPrefix(d.buf[d.r:d.w], []byte("\xef\xbb\xbf")) {
		d.r += 3
	}
	total := 0
	for line := 1; d.fill(1) && d.buf[d.r] == '#'; line++ {
		i := bytes.IndexByte(d.buf[d.r:d.w], '\n')
		for i < 0 && d.w-d.r <= maxLine && d.fill(d.w-d.r+1) {
			i = bytes.IndexByte(d.buf[d.r:d.w], '\n')
		}
		end := d.w
		if i >= 0 {
			end = d.r + i + 1
		}
		if end-d.r > maxLine+2 {
			return balance.Errorf(balance.EMALFORMED, "recording: frames: preamble line %d is longer than %d bytes", line, maxLine)
		}
		if total += end - d.r; total > maxLine {
			return balance.Errorf(balance.EMALFORMED, "recording: frames: preamble is longer than %d bytes", maxLine)
		}
		text := string(bytes.TrimRight(d.buf[d.r+1:end], "\r\n"))
		d.r = end
		if line == 1 {
			if !isFramesFormatLine([]byte("#" + text)) {
				return balance.Errorf(balance.EMALFORMED, "recording: frames: the preamble's first line is %q, want \"# format: %s\"", truncate("#"+text, 40), framesMagic)
			}
		}
		addMeta(d.meta, text)
	}
	if d.srcErr != nil {
		return d.srcErr
	}
	return nil
}

// fill makes at least k bytes available in buf[r:w], growing buf when k
// exceeds it; false at the end of the input (or on a read error, kept in
// srcErr) with fewer.
func (d *framesDec) fill(k int) bool {
	for d.w-d.r < k {
		if d.eof || d.srcErr != nil {
			return false
		}
		if len(d.buf)-d.r < k || d.w == len(d.buf) {
			if k > len(d.buf) {
				nb := make([]byte, max(k, 2*len(d.buf)))
				copy(nb, d.buf[d.r:d.w])
				d.buf = nb
			} else {
				copy(d.buf, d.buf[d.r:d.w])
			}
			d.base += int64(d.r)
			d.w -= d.r
			d.r = 0
		}
		m, err := d.src.Read(d.buf[d.w:])
		d.w += m
		if err == io.EOF {
			d.eof = true
		} else if err != nil {
			d.srcErr = fmt.Errorf("recording: read: %w", err)
		}
	}
	return true
}

// next returns the bytes of the next well-formed frame (magic, version,
// flags and a length within the file; its CRC is not checked yet), valid
// until the next call, with its file offset and header; io.EOF at the
// end. What does not start a frame is skipped as a bad spot.
func (d *framesDec) next() (frame []byte, off int64, h wire.BinaryHeader, err error) {
	for {
		if !d.fill(1) {
			return nil, 0, h, d.end()
		}
		if !d.fill(wire.BinaryHeaderSize) {
			if d.srcErr != nil {
				return nil, 0, h, d.srcErr
			}
			d.bad()
			d.r = d.w // a truncated frame at the end
			continue
		}
		h, ok := wire.ReadBinaryHeader(d.buf[d.r:d.w])
		if !ok {
			d.resync()
			continue
		}
		if !d.fill(h.Size) {
			if d.srcErr != nil {
				return nil, 0, h, d.srcErr
			}
			d.resync() // its length runs past the end
			continue
		}
		return d.buf[d.r : d.r+h.Size], d.base + int64(d.r), h, nil
	}
}

// end closes a bad spot reaching the end of the file and returns what ends
// the frames: io.EOF, or the read error.
func (d *framesDec) end() error {
	if d.srcErr != nil {
		return d.srcErr
	}
	d.good(d.base + int64(d.w))
	return io.EOF
}

// bad opens a bad spot at the current offset unless one is open.
func (d *framesDec) bad() {
	if d.badFrom < 0 {
		d.badFrom = d.base + int64(d.r)
	}
}

// good closes an open bad spot at offset off, counting it in the meta.
func (d *framesDec) good(off int64) {
	if d.badFrom < 0 {
		return
	}
	d.spots++
	d.skipped += off - d.badFrom
	d.badFrom = -1
	d.meta["frames_skipped"] = strconv.Itoa(d.spots)
	d.meta["bytes_skipped"] = strconv.FormatInt(d.skipped, 10)
}

// resync skips the bad frame at buf[r] to the next "BF\x01" after its first
// byte (or to the end of the file), which next then checks.
func (d *framesDec) resync() {
	d.bad()
	d.r++
	for {
		if i := bytes.Index(d.buf[d.r:d.w], frameStart); i >= 0 {
			d.r += i
			return
		}
		if d.w-d.r > len(frameStart)-1 {
			d.r = d.w - (len(frameStart) - 1) // may hold the start of a magic
		}
		if !d.fill(d.w - d.r + 1) {
			d.r = d.w
			return
		}
	}
}

// decodeNext decodes the next valid frame into dst when it holds at most
// room samples (dst.Samples gives the memory: its capacity must be at least
// room unless room is math.MaxInt). It returns errFrameTooBig, leaving the
// frame unread, when the frame has more samples than room, and io.EOF after
// the last frame. Frames failing their CRC are skipped as bad spots; any
// other problem of a frame is an error naming it.
func (d *framesDec) decodeNext(dst *balance.Batch, room int) error {
	for {
		frame, off, h, err := d.next()
		if err != nil {
			return err
		}
		if h.N > room {
			return errFrameTooBig
		}
		if err := d.wd.DecodeBinary(frame, dst); err != nil {
			if balance.ErrorCode(err) == balance.ECRC {
				d.resync()
				continue
			}
			return fmt.Errorf("recording: frames: frame %d at byte %d: %w", d.frames+1, off, err)
		}
		d.frames++
		if h.MaxAcc > balance.MaxAccMS2 || h.MaxGyro > balance.MaxGyroRadS {
			// Its scales allow values beyond the plausible ranges.
			for i := range dst.Samples {
				if err := dst.Samples[i].Validate(); err != nil {
					return fmt.Errorf("recording: frames: frame %d at byte %d: sample %d: %w", d.frames, off, i, err)
				}
			}
		}
		gyro := h.Gyro
		first := dst.Samples[0].TimeNS
		switch {
		case d.frames == 1:
			d.rate, d.gyro = dst.RateHz, gyro
		case dst.RateHz != d.rate:
			return balance.Errorf(balance.EMALFORMED, "recording: frames: frame %d at byte %d has rate %v Hz, the first frame %v Hz", d.frames, off, dst.RateHz, d.rate)
		case gyro != d.gyro:
			return balance.Errorf(balance.EMALFORMED, "recording: frames: frame %d at byte %d has gyroscope %t, the first frame %t", d.frames, off, gyro, d.gyro)
		case first <= d.lastNS:
			return balance.Errorf(balance.EMALFORMED, "recording: frames: frame %d at byte %d starts at %d ns, not after the previous sample at %d ns", d.frames, off, first, d.lastNS)
		}
		d.lastNS = dst.Samples[len(dst.Samples)-1].TimeNS
		d.good(off)
		d.r += len(frame)
		return nil
	}
}

// errFrameTooBig tells read to decode a frame into its own batch.
var errFrameTooBig = balance.Errorf(balance.EINTERNAL, "frame does not fit")

// read fills p with samples: a frame that fits in the rest of p is decoded
// straight into it, a larger one into d.own and copied out over calls.
func (d *framesDec) read(p []balance.Sample) (int, error) {
	n := 0
	for n < len(p) {
		if len(d.pend) > 0 {
			c := copy(p[n:], d.pend)
			d.pend = d.pend[c:]
			n += c
			continue
		}
		if d.err != nil {
			return n, d.err
		}
		d.inPlace.Samples = p[n:n:len(p)]
		err := d.decodeNext(&d.inPlace, len(p)-n)
		if err == nil {
			n += len(d.inPlace.Samples)
		}
		d.inPlace.Samples = nil
		if err == errFrameTooBig {
			if err = d.decodeNext(&d.own, math.MaxInt); err == nil {
				d.pend = d.own.Samples
			}
		}
		if err != nil {
			d.err = err
		}
	}
	return n, nil
}
