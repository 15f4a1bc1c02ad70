// Package spool is a durable first-in first-out queue of records on local
// disk. Ingest appends batches here when the time-series store cannot take
// them, acknowledges the MQTT messages once Append has returned (the data is
// fsynced), and replays the records in order when the store is back.
//
// Records live in segment files named by a increasing number; each record is
// framed as
//
//	length uint32 LE | CRC-32C of payload uint32 LE | payload
//
// A segment is deleted once every record in it has been committed. A torn
// record at the end of the newest segment (a crash during Append) is cut off
// when the spool is opened. The read position is kept in memory only: after a
// restart the oldest remaining segment is replayed from its start, which is
// harmless because the stores are idempotent on (device, time).
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrFull is returned by Append when the records would exceed the disk budget.
var ErrFull = errors.New("spool: disk budget exhausted")

// ErrCorrupt reports a damaged record in a segment that is not the newest.
var ErrCorrupt = errors.New("spool: corrupt record")

const headerLen = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options tunes a spool.
type Options struct {
	// MaxBytes is the disk budget for all segments (default 1 GiB).
	MaxBytes int64
	// SegmentBytes is the size at which a new segment is started (default 16 MiB).
	SegmentBytes int64
	// NoSync skips fsync (tests and benchmarks of the logic only).
	NoSync bool
}

type segment struct {
	id   uint64
	path string
	size int64
}

// Spool is safe for concurrent use.
type Spool struct {
	dir  string
	opts Options

	mu       sync.Mutex
	segs     []*segment // oldest first; the last one is open for appending
	w        *os.File
	total    int64 // bytes in all segments
	readSeg  int   // index into segs of the read position
	readOff  int64
	pending  int64 // records appended and not committed
	notEmpty chan struct{}
	// setAside lists segment files renamed to *.corrupt because a record in
	// them failed its CRC (kept for manual recovery).
	setAside []string

	// Group commit: appends are numbered; one fsync makes every append
	// written before it durable, so concurrent appenders share fsyncs.
	written uint64 // appends written (under mu)
	syncMu  sync.Mutex
	synced  uint64 // appends known durable (under syncMu)
}

// Open opens or creates a spool in dir.
func Open(dir string, opts Options) (*Spool, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = 16 << 20
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{dir: dir, opts: opts, notEmpty: make(chan struct{}, 1)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".seg") {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(name, ".seg"), 10, 64)
		if err != nil {
			continue
		}
		s.segs = append(s.segs, &segment{id: id, path: filepath.Join(dir, name)})
	}
	sort.Slice(s.segs, func(i, j int) bool { return s.segs[i].id < s.segs[j].id })
	kept := s.segs[:0]
	for i, sg := range s.segs {
		n, size, err := scan(sg.path, i == len(s.segs)-1)
		if errors.Is(err, ErrCorrupt) {
			// A damaged record in an older segment: set the file aside and
			// go on, rather than refuse to start and strand the rest.
			if rerr := os.Rename(sg.path, sg.path+".corrupt"); rerr != nil {
				return nil, fmt.Errorf("spool: set aside %s: %w", filepath.Base(sg.path), rerr)
			}
			s.setAside = append(s.setAside, sg.path+".corrupt")
			continue
		}
		if err != nil {
			return nil, err
		}
		sg.size = size
		s.total += size
		s.pending += n
		kept = append(kept, sg)
	}
	s.segs = kept
	var next uint64 = 1
	if len(s.segs) > 0 {
		last := s.segs[len(s.segs)-1]
		if last.size < opts.SegmentBytes {
			f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0o640)
			if err != nil {
				return nil, fmt.Errorf("spool: %w", err)
			}
			s.w = f
		}
		next = last.id + 1
	}
	if s.w == nil {
		if err := s.newSegment(next); err != nil {
			return nil, err
		}
	}
	if s.pending > 0 {
		s.signal()
	}
	return s, nil
}

// scan counts the records of a segment file and returns the size of its valid
// prefix. In the newest segment a torn tail is truncated; elsewhere it is an error.
func scan(path string, newest bool) (n, valid int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("spool: %w", err)
	}
	var hdr [headerLen]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			if err == io.EOF {
				return n, valid, nil
			}
			break
		}
		l := binary.LittleEndian.Uint32(hdr[0:4])
		if valid+headerLen+int64(l) > fi.Size() {
			break // a length beyond the file: damaged header or torn tail
		}
		if int(l) > cap(buf) {
			buf = make([]byte, l)
		}
		buf = buf[:l]
		if _, err := io.ReadFull(f, buf); err != nil {
			break
		}
		if crc32.Checksum(buf, castagnoli) != binary.LittleEndian.Uint32(hdr[4:8]) {
			break
		}
		n++
		valid += headerLen + int64(l)
	}
	if !newest {
		return 0, 0, fmt.Errorf("%w in %s at byte %d", ErrCorrupt, filepath.Base(path), valid)
	}
	if err := f.Truncate(valid); err != nil {
		return 0, 0, fmt.Errorf("spool: truncate torn tail: %w", err)
	}
	return n, valid, nil
}

func (s *Spool) newSegment(id uint64) error {
	path := filepath.Join(s.dir, fmt.Sprintf("%020d.seg", id))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if s.w != nil {
		s.w.Close()
	}
	s.w = f
	s.segs = append(s.segs, &segment{id: id, path: path})
	if !s.opts.NoSync {
		if d, err := os.Open(s.dir); err == nil {
			d.Sync()
			d.Close()
		}
	}
	return nil
}

func (s *Spool) signal() {
	select {
	case s.notEmpty <- struct{}{}:
	default:
	}
}

// Append durably appends records in order: when it returns nil they are on
// disk (fsynced). It returns ErrFull, appending nothing, when the records do not
// fit in the disk budget. Concurrent appends share fsyncs (group commit).
func (s *Spool) Append(records ...[]byte) error {
	gen, err := s.write(records)
	if err != nil {
		return err
	}
	return s.syncThrough(gen)
}

// syncThrough returns once append number gen is durable, fsyncing the open
// segment unless a concurrent call already did so after gen was written.
func (s *Spool) syncThrough(gen uint64) error {
	if s.opts.NoSync {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.synced >= gen {
		return nil
	}
	s.mu.Lock()
	target, f := s.written, s.w
	s.mu.Unlock()
	if f == nil {
		return errors.New("spool: closed")
	}
	if err := f.Sync(); err != nil {
		// A concurrent append may have rotated the segment (and closed f)
		// meanwhile: the rotation synced f first, with every append up to
		// target in it, so they are durable.
		s.mu.Lock()
		rotated := s.w != f && s.w != nil
		s.mu.Unlock()
		if !rotated {
			return fmt.Errorf("spool: fsync: %w", err)
		}
	}
	s.synced = target
	return nil
}

// write appends records to the open segment without syncing and returns the
// append's number. A segment is synced when it is rotated out, so the
// appends in it are durable before syncThrough looks at the next segment.
func (s *Spool) write(records [][]byte) (uint64, error) {
	var size int64
	for _, r := range records {
		size += headerLen + int64(len(r))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return 0, errors.New("spool: closed")
	}
	if s.total+size > s.opts.MaxBytes {
		return 0, ErrFull
	}
	last := s.segs[len(s.segs)-1]
	if last.size > 0 && last.size+size > s.opts.SegmentBytes {
		if err := s.syncLocked(); err != nil {
			return 0, err
		}
		if err := s.newSegment(last.id + 1); err != nil {
			return 0, err
		}
		last = s.segs[len(s.segs)-1]
	}
	buf := make([]byte, 0, size)
	for _, r := range records {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(r)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(r, castagnoli))
		buf = append(buf, r...)
	}
	if _, err := s.w.Write(buf); err != nil {
		// Cut what was partly written, so that the segment stays valid for
		// the appends before and after this one (a torn record inside an
		// older segment would make the next Open refuse the spool).
		if terr := s.w.Truncate(last.size); terr != nil {
			// Cannot repair: leave the tail to be cut at the next Open and
			// go on in a new segment after syncing what is valid.
			s.w.Sync()
			s.newSegment(last.id + 1)
		}
		return 0, fmt.Errorf("spool: write: %w", err)
	}
	last.size += size
	s.total += size
	s.pending += int64(len(records))
	s.written++
	s.signal()
	return s.written, nil
}

func (s *Spool) syncLocked() error {
	if s.opts.NoSync {
		return nil
	}
	if err := s.w.Sync(); err != nil {
		return fmt.Errorf("spool: fsync: %w", err)
	}
	return nil
}

// Chunk is a run of records read by Peek, to be passed to Commit once they are
// safely stored elsewhere.
type Chunk struct {
	Records [][]byte
	seg     int
	segID   uint64
	end     int64
}

// Peek returns up to max of the oldest uncommitted records, up to about
// maxBytes of payload (at least one record), without removing them. It returns
// an empty chunk when the spool is empty.
func (s *Spool) Peek(max int, maxBytes int64) (Chunk, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.readSeg < len(s.segs) {
		sg := s.segs[s.readSeg]
		if s.readOff < sg.size {
			break
		}
		if s.readSeg == len(s.segs)-1 {
			return Chunk{}, nil
		}
		s.readSeg++
		s.readOff = 0
	}
	if s.readSeg >= len(s.segs) {
		return Chunk{}, nil
	}
	sg := s.segs[s.readSeg]
	f, err := os.Open(sg.path)
	if err != nil {
		return Chunk{}, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	c := Chunk{seg: s.readSeg, segID: sg.id}
	off := s.readOff
	var got int64
	var hdr [headerLen]byte
	for len(c.Records) < max && off < sg.size && (got == 0 || got < maxBytes) {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			return Chunk{}, fmt.Errorf("spool: read %s: %w", filepath.Base(sg.path), err)
		}
		l := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		corrupt := off+headerLen+l > sg.size
		var rec []byte
		if !corrupt {
			rec = make([]byte, l)
			if _, err := f.ReadAt(rec, off+headerLen); err != nil {
				return Chunk{}, fmt.Errorf("spool: read %s: %w", filepath.Base(sg.path), err)
			}
			corrupt = crc32.Checksum(rec, castagnoli) != binary.LittleEndian.Uint32(hdr[4:8])
		}
		if corrupt {
			if len(c.Records) > 0 {
				break // hand out the good records first
			}
			return Chunk{}, fmt.Errorf("%w in %s at byte %d", ErrCorrupt, filepath.Base(sg.path), off)
		}
		c.Records = append(c.Records, rec)
		off += headerLen + l
		got += l
	}
	c.end = off
	return c, nil
}

// Commit marks the records of c as stored elsewhere; segments whose records
// are all committed are deleted.
func (s *Spool) Commit(c Chunk) error {
	if len(c.Records) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.seg != s.readSeg || s.segs[s.readSeg].id != c.segID {
		return errors.New("spool: commit of a chunk that is not at the read position")
	}
	s.readOff = c.end
	s.pending -= int64(len(c.Records))
	// Delete fully read segments other than the one being written.
	for s.readSeg > 0 || (len(s.segs) > 1 && s.readOff >= s.segs[0].size) {
		first := s.segs[0]
		if s.readSeg == 0 && s.readOff < first.size {
			break
		}
		if err := os.Remove(first.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("spool: remove segment: %w", err)
		}
		s.total -= first.size
		s.segs = s.segs[1:]
		if s.readSeg > 0 {
			s.readSeg--
		} else {
			s.readOff = 0
		}
	}
	// The writable segment fully read: truncate it to reclaim the space.
	if len(s.segs) == 1 && s.readOff >= s.segs[0].size && s.segs[0].size > 0 {
		sg := s.segs[0]
		if err := s.w.Truncate(0); err != nil {
			return fmt.Errorf("spool: truncate: %w", err)
		}
		s.total -= sg.size
		sg.size = 0
		s.readOff = 0
	}
	return nil
}

// SkipCorrupt sets aside the segment at the read position after Peek
// reported ErrCorrupt: the file is renamed to *.corrupt (kept for manual
// recovery, listed by SetAside) and reading goes on with the next segment.
// The records after the damaged one in that segment are not replayed. It
// returns the bytes set aside.
func (s *Spool) SkipCorrupt() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readSeg >= len(s.segs) {
		return 0, nil
	}
	if s.readSeg == len(s.segs)-1 { // the open segment: continue in a new one
		if err := s.syncLocked(); err != nil {
			return 0, err
		}
		if err := s.newSegment(s.segs[len(s.segs)-1].id + 1); err != nil {
			return 0, err
		}
	}
	sg := s.segs[s.readSeg]
	if err := os.Rename(sg.path, sg.path+".corrupt"); err != nil {
		return 0, fmt.Errorf("spool: set aside %s: %w", filepath.Base(sg.path), err)
	}
	s.setAside = append(s.setAside, sg.path+".corrupt")
	s.total -= sg.size
	s.segs = append(s.segs[:s.readSeg], s.segs[s.readSeg+1:]...)
	s.readOff = 0
	// Recount what is left to replay.
	s.pending = 0
	for _, rest := range s.segs[s.readSeg:] {
		s.pending += countRecords(rest.path)
	}
	return sg.size, nil
}

// SetAside returns the segment files set aside as corrupt.
func (s *Spool) SetAside() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.setAside...)
}

// countRecords counts the valid records at the start of a segment file.
func countRecords(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	var hdr [headerLen]byte
	for {
		if _, err := io.ReadFull(f, hdr[:]); err != nil {
			return n
		}
		l := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		if _, err := f.Seek(l, io.SeekCurrent); err != nil {
			return n
		}
		n++
	}
}

// Pending returns the number of records appended and not yet committed.
func (s *Spool) Pending() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Bytes returns the disk space the segments take.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// MaxBytes returns the disk budget.
func (s *Spool) MaxBytes() int64 { return s.opts.MaxBytes }

// NotEmpty returns a channel that receives after an Append; use it to wake a
// replayer instead of polling.
func (s *Spool) NotEmpty() <-chan struct{} { return s.notEmpty }

// Close closes the open segment.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	s.w = nil
	return err
}
