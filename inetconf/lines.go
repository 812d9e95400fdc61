package inetconf

import (
	"bufio"
	"io"
	"strings"
)

// lineMax is how much of a line openbsd-inetd reads at once: fgets(3)
// into a 1024-byte buffer. The rest of a longer line is read as the
// next line.
const lineMax = 1023

// lineReader reads the file as openbsd-inetd does: in chunks of at most
// lineMax bytes ending at a newline, each cut at its first NUL byte (a C
// string ends there), with a one-byte look-ahead for continuation lines.
type lineReader struct {
	br       *bufio.Reader
	newlines int   // newlines read so far
	consumed int64 // bytes read so far
	err      error // first read error other than io.EOF
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReader(r)}
}

// next returns the next chunk's text and the number of the physical line
// it is on; ok is false at the end of the input.
func (r *lineReader) next() (text string, line int, ok bool) {
	if r.err != nil {
		return "", 0, false
	}
	line = r.newlines + 1
	var b strings.Builder
	n, cut := 0, false
	for n < lineMax {
		c, err := r.br.ReadByte()
		if err != nil {
			if err != io.EOF {
				r.err = err
			}
			break
		}
		n++
		if c == '\n' {
			r.newlines++
			break
		}
		if c == 0 {
			cut = true
		}
		if !cut {
			b.WriteByte(c)
		}
	}
	r.consumed += int64(n)
	if n == 0 {
		return "", 0, false
	}
	return b.String(), line, true
}

// peek returns the next byte without reading it, or -1 at the end.
func (r *lineReader) peek() int {
	if r.err != nil {
		return -1
	}
	b, err := r.br.Peek(1)
	if err != nil {
		if err != io.EOF {
			r.err = err
		}
		return -1
	}
	return int(b[0])
}

// cursor hands out the words of an entry as openbsd-inetd's skip() does:
// words are separated by blanks and tabs; when the current line runs out
// and the next line starts with a blank or a tab, that line continues
// the entry. Once the entry has ended (done), no more words come.
type cursor struct {
	rd   *lineReader
	rest string // what is left of the current line
	line int    // its line number
	done bool
	// comments are the continuation lines read whose first word starts
	// with "#" (read as words all the same).
	comments []int
}

// word returns the next word of the entry and the line it is on.
func (c *cursor) word() (string, int, bool) {
	if c.done {
		return "", 0, false
	}
	for {
		c.rest = strings.TrimLeft(c.rest, " \t")
		if c.rest != "" {
			break
		}
		if b := c.rd.peek(); b == ' ' || b == '\t' {
			if text, line, ok := c.rd.next(); ok {
				c.rest, c.line = text, line
				if strings.HasPrefix(strings.TrimLeft(text, " \t"), "#") {
					c.comments = append(c.comments, line)
				}
				continue
			}
		}
		c.done = true
		return "", 0, false
	}
	w := c.rest
	if i := strings.IndexAny(w, " \t"); i >= 0 {
		w, c.rest = w[:i], w[i+1:]
	} else {
		c.rest = ""
	}
	return w, c.line, true
}
