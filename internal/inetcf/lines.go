package inetcf

import (
	"bufio"
	"bytes"
	"io"
)

// chunkSize is the size of the line buffer Debian's checkers read
// inetd.conf into (BUFSIZ): a logical line holds at most chunkSize-1
// bytes. It is not the 2048 bytes of the access-table reader.
const chunkSize = 8192

// lineReader yields logical inetd.conf lines the way the checkers read
// them, quirks included:
//
//   - Physical lines are read fgets-style into one fixed buffer, and a
//     line ends where the text read so far ends in a newline. Text is
//     measured up to the first NUL byte, so a NUL hides the rest of its
//     physical line (newline included) and the next physical line is
//     appended to the same logical line.
//   - Backslash-newline is removed and reading continues (nothing is
//     inserted), so a comment ending in a backslash swallows the next line.
//   - The line counter counts newlines actually seen; diagnostics quote
//     the count after the logical line was read, so an unterminated final
//     line carries the previous line's number.
//   - When the buffer is full (8191 bytes) the text so far is returned as
//     a line without a warning; the rest of the physical line is read as
//     the next line.
//   - An unterminated final line is returned as it is; a read error ends
//     the file.
type lineReader struct {
	br     *bufio.Reader
	lineno int
	done   bool
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReader(r)}
}

// fgets reads at most n-1 bytes, stopping after a newline. It reports
// false, like fgets returning NULL, at end of file with nothing read and
// on a read error.
func (r *lineReader) fgets(n int) ([]byte, bool) {
	if r.done {
		return nil, false
	}
	var out []byte
	for len(out) < n-1 {
		b, err := r.br.ReadByte()
		if err != nil {
			r.done = true
			if err == io.EOF && len(out) > 0 {
				return out, true
			}
			return nil, false
		}
		out = append(out, b)
		if b == '\n' {
			break
		}
	}
	return out, true
}

// next returns the next logical line (with its newline, if any) and
// false at the end of the file.
func (r *lineReader) next() (string, bool) {
	var line []byte
	room := chunkSize
	for room > 1 {
		chunk, ok := r.fgets(room)
		if !ok {
			break
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		n := len(chunk)
		if n > 0 && chunk[n-1] == '\n' {
			r.lineno++
			if n >= 2 && chunk[n-2] == '\\' {
				line = append(line, chunk[:n-2]...)
				room -= n - 2
				continue
			}
			return string(append(line, chunk...)), true
		}
		line = append(line, chunk...)
		room -= n
	}
	return string(line), len(line) > 0
}

// fields splits a line the way the checkers do: on blanks, tabs, carriage
// returns and newlines (not on other white space), dropping empty fields.
func fields(line string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(line); i++ {
		if i == len(line) || isSep(line[i]) {
			if start >= 0 {
				out = append(out, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

func isSep(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
