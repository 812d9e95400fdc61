// Package stdio imitates C stdio's buffering of standard output. Debian's
// tcpdmatch and tcpdchk print their reports through stdio, while the
// banners option writes its file straight to the descriptor with write(2),
// past the buffer; where a banner lands in the output therefore depends on
// the buffering, and Stdout reproduces it: line by line on a terminal, in
// 4096-byte blocks otherwise.
package stdio

import (
	"bytes"
	"fmt"
	"io"
)

// BlockSize is the buffer size of C stdio on a pipe or a file.
const BlockSize = 4096

// Stdout buffers what is printed to W as C stdio would.
type Stdout struct {
	W        io.Writer
	Terminal bool // W is a terminal: flush at each newline
	buf      []byte
}

// Printf formats into the buffer and writes out what stdio would.
func (s *Stdout) Printf(format string, a ...any) {
	s.buf = fmt.Appendf(s.buf, format, a...)
	if s.Terminal {
		if i := bytes.LastIndexByte(s.buf, '\n'); i >= 0 {
			s.W.Write(s.buf[:i+1])
			s.buf = s.buf[i+1:]
		}
		return
	}
	for len(s.buf) >= BlockSize {
		s.W.Write(s.buf[:BlockSize])
		s.buf = s.buf[BlockSize:]
	}
}

// Flush writes what is left, as exit(3) does.
func (s *Stdout) Flush() {
	if len(s.buf) > 0 {
		s.W.Write(s.buf)
		s.buf = nil
	}
}
