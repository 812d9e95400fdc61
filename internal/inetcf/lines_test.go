package inetcf

import (
	"bytes"
	"strings"
	"testing"
)

// cReader is a slow, literal model of the C reading loop the checkers
// use: one fixed 8192-byte array, fgets(3) into the free tail of it,
// strlen(3) to find what was read. lineReader must agree with it.
type cReader struct {
	in     []byte
	eof    bool
	lineno int
	buf    [chunkSize]byte
}

// fgets stores at most n-1 bytes and a NUL at s, stopping after '\n'.
func (c *cReader) fgets(s []byte, n int) bool {
	if c.eof {
		return false
	}
	i := 0
	for i < n-1 {
		if len(c.in) == 0 {
			c.eof = true
			break
		}
		b := c.in[0]
		c.in = c.in[1:]
		s[i] = b
		i++
		if b == '\n' {
			break
		}
	}
	if i == 0 {
		return false
	}
	s[i] = 0
	return true
}

func cstrlen(b []byte) int {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return i
	}
	return len(b)
}

func (c *cReader) next() (string, bool) {
	ptr, room := 0, chunkSize
	for room > 1 && c.fgets(c.buf[ptr:], room) {
		got := cstrlen(c.buf[ptr:])
		if got >= 1 && c.buf[ptr+got-1] == '\n' {
			c.lineno++
			if got >= 2 && c.buf[ptr+got-2] == '\\' {
				got -= 2
			} else {
				return string(c.buf[:cstrlen(c.buf[:])]), true
			}
		}
		ptr += got
		room -= got
		c.buf[ptr] = 0
	}
	if ptr > 0 {
		return string(c.buf[:ptr]), true
	}
	return "", false
}

type readLine struct {
	text   string
	lineno int
}

func readAll(next func() (string, bool), lineno func() int) []readLine {
	var out []readLine
	for {
		s, ok := next()
		if !ok {
			return out
		}
		out = append(out, readLine{s, lineno()})
	}
}

func checkReaders(t *testing.T, in []byte) {
	lr := newLineReader(bytes.NewReader(in))
	got := readAll(lr.next, func() int { return lr.lineno })
	cr := &cReader{in: in}
	want := readAll(cr.next, func() int { return cr.lineno })
	if len(got) != len(want) {
		t.Fatalf("%q: %d lines, C model %d", in, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q: line %d = %q@%d, C model %q@%d", in, i, got[i].text, got[i].lineno, want[i].text, want[i].lineno)
		}
		if len(got[i].text) >= chunkSize {
			t.Fatalf("line of %d bytes", len(got[i].text))
		}
	}
}

func TestLineReaderMatchesCModel(t *testing.T) {
	for _, in := range []string{
		"", "\n", "a\n", "a", "a\\\nb\n", "a\\\n", "a\\", "\\\n\\\n", "a\x00b\nc\n", "\x00\n", "\x00",
		"#c\\\nx\n", strings.Repeat("x", 8191) + "\n", strings.Repeat("x", 8190) + "\n",
		strings.Repeat("x", 9000) + "\ny\n", strings.Repeat("ab\\\n", 3000) + "\n",
		strings.Repeat("x", 8190) + "\\\n" + "y\n", "a\r\n",
	} {
		checkReaders(t, []byte(in))
	}
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\\\nb\x00c\nd"))
	f.Add(bytes.Repeat([]byte("a\\\n"), 3000))
	f.Add(append(bytes.Repeat([]byte("x"), 8191), '\n'))
	f.Fuzz(func(t *testing.T, in []byte) { checkReaders(t, in) })
}

func TestFields(t *testing.T) {
	got := fields(" a\tb\r\nc\vd\fe  ")
	want := []string{"a", "b", "c\vd\fe"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("fields = %q", got)
	}
}
