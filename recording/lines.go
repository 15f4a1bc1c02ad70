package recording

import (
	"bufio"
	"fmt"
	"io"

	"github.com/balance-pt/balance"
)

// lines yields the lines of a file as views of its read buffer, without
// their "\n" and trailing "\r", counting them for messages. A line longer
// than the buffer is gathered in a slice of its own, up to maxLine bytes.
type lines struct {
	br     *bufio.Reader
	long   []byte // a line longer than br's buffer
	line   int    // lines returned so far
	err    error  // the error that ended the lines, nil at EOF
	unread bool   // next returns the last line again
	last   []byte
}

// newLines reads r through a 64 KiB buffer (r itself when it is a
// *bufio.Reader at least that large).
func newLines(r io.Reader) *lines {
	return &lines{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, valid until the following call; false at the
// end of the file or on an error (then in l.err).
func (l *lines) next() ([]byte, bool) {
	if l.unread {
		l.unread = false
		l.line++
		return l.last, true
	}
	if l.err != nil {
		return nil, false
	}
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			if len(l.long)+len(b) > maxLine+2 { // +2: the line end
				l.err = balance.Errorf(balance.EMALFORMED, "line %d is longer than %d bytes", l.line+1, maxLine)
				return nil, false
			}
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if err != nil && err != io.EOF {
		l.err = fmt.Errorf("recording: read: %w", err)
		return nil, false
	}
	if len(b) == 0 {
		return nil, false
	}
	l.line++
	n := len(b)
	if b[n-1] == '\n' {
		n--
	}
	for n > 0 && b[n-1] == '\r' {
		n--
	}
	if n > maxLine {
		l.err = balance.Errorf(balance.EMALFORMED, "line %d is longer than %d bytes", l.line, maxLine)
		return nil, false
	}
	l.last = b[:n]
	return l.last, true
}

// back makes next return the last line again (once).
func (l *lines) back() {
	l.unread = true
	l.line--
}

// csvFeed is the io.Reader an encoding/csv Reader reads one record from:
// first the line already taken from l, then, only when a quoted field goes
// on past its line end, the following lines, one per Read, so that the
// csv.Reader never holds a line beyond its record.
type csvFeed struct {
	l    *lines
	cur  []byte
	buf  []byte
	fed  int // lines given to the csv.Reader
	done bool
}

func newCSVFeed(l *lines, first []byte) *csvFeed {
	f := &csvFeed{l: l, fed: 1}
	f.buf = append(append(f.buf, first...), '\n')
	f.cur = f.buf
	return f
}

func (f *csvFeed) Read(p []byte) (int, error) {
	if len(f.cur) == 0 {
		if f.done {
			return 0, io.EOF
		}
		b, ok := f.l.next()
		if !ok {
			f.done = true
			if f.l.err != nil {
				return 0, f.l.err
			}
			return 0, io.EOF
		}
		f.fed++
		f.buf = append(append(f.buf[:0], b...), '\n')
		f.cur = f.buf
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}
