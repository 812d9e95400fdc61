package access

import "strings"

// lineBufSize is the size of the buffer tcp_wrappers reads a logical rule
// line into. A logical line (after backslash-newline pairs are removed) may
// hold at most lineBufSize-2 characters before its newline.
const lineBufSize = 2048

// lineReader splits a table into logical lines the way tcp_wrappers'
// xgets does: physical lines are read with an fgets-like reader, a
// backslash-newline pair joins two lines with nothing in between, a NUL
// byte cuts the rest of its physical line off, and the line counter counts
// physical lines that ended in a newline.
type lineReader struct {
	src  string
	off  int
	line int // physical lines read so far that ended in a newline
}

// logical is one logical line as read.
type logical struct {
	text       string // the joined text, including the final newline if any
	terminated bool   // text ends in a newline
	line       int    // the line counter after reading it
}

// fgets reads at most n-1 bytes, stopping after a newline, like fgets(3).
// ok is false at end of input.
func (r *lineReader) fgets(n int) (chunk string, ok bool) {
	if r.off >= len(r.src) || n <= 1 {
		return "", false
	}
	end := r.off + n - 1
	if end > len(r.src) {
		end = len(r.src)
	}
	if i := strings.IndexByte(r.src[r.off:end], '\n'); i >= 0 {
		end = r.off + i + 1
	}
	chunk = r.src[r.off:end]
	r.off = end
	return chunk, true
}

// next returns the next logical line; ok is false at end of input. The
// buffer limit is size bytes (lineBufSize for the tables). A line that
// needs no joining is a substring of the source.
func (r *lineReader) next(size int) (l logical, ok bool) {
	var buf []byte
	room := size
	for room > 1 {
		chunk, more := r.fgets(room)
		if !more {
			break
		}
		// strlen: a NUL byte ends the string.
		if i := strings.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		got := len(chunk)
		if got >= 1 && chunk[got-1] == '\n' {
			r.line++
			if got >= 2 && chunk[got-2] == '\\' {
				got -= 2
			} else {
				if buf == nil {
					return logical{text: chunk, terminated: true, line: r.line}, true
				}
				buf = append(buf, chunk...)
				return logical{text: string(buf), terminated: true, line: r.line}, true
			}
		}
		buf = append(buf, chunk[:got]...)
		if buf == nil {
			buf = []byte{}
		}
		room -= got
	}
	if len(buf) == 0 {
		return logical{}, false
	}
	return logical{text: string(buf), terminated: false, line: r.line}, true
}
