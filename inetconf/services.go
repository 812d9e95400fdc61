package inetconf

import (
	"bufio"
	"io"
	"strings"
)

// Ports finds the port of a named service, as getservbyname(3) does:
// Parse asks it for each service field that is not a number, with the
// protocol name openbsd-inetd passes ("tcp", "udp", and "tcp4" or
// "udp4" for tcp46 and udp46 entries, which therefore never match a
// standard /etc/services).
type Ports interface {
	Port(name, proto string) (port uint16, ok bool)
}

// ServicesFile is a parsed /etc/services. Its zero value is an empty
// table. It is safe for concurrent lookups.
type ServicesFile struct {
	entries []servEntry
	byName  map[nameProto]uint16
}

type servEntry struct {
	Line    int
	Name    string
	Port    uint16
	Proto   string
	Aliases []string
}

type nameProto struct{ name, proto string }

// ParseServices reads an /etc/services file as glibc's files backend
// does: "#" starts a comment anywhere on a line; an entry is a name, a
// port and a protocol joined by one or more slashes ("7/tcp"), then
// aliases, all separated by white space. The port is read as strtoul(3)
// with base 0 does (so "010" is 8 and "0x10" is 16), and only its low
// 16 bits count. A lookup takes the first entry, in file order, whose
// name or one of whose aliases is the name asked for, with exactly the
// protocol asked for (case matters).
//
// Lines glibc ignores (no port, no slash after the port, a port that
// does not fit in 32 bits, as "-1" does not) are skipped with a warning
// naming file and line; a port between 65536 and 2^32-1, which glibc
// silently truncates to its low 16 bits, is kept, truncated alike, with
// a warning. The error is a read error.
func ParseServices(r io.Reader, name string) (*ServicesFile, []Warning, error) {
	t := &ServicesFile{byName: map[nameProto]uint16{}}
	var warns []Warning
	br := bufio.NewReader(r)
	for lineno := 1; ; lineno++ {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			if err == io.EOF {
				return t, warns, nil
			}
			return nil, warns, &Error{File: name, Text: "read: " + err.Error(), Err: err}
		}
		line = strings.TrimSuffix(line, "\n")
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		// glibc's string functions stop at a NUL byte.
		if i := strings.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		warn := func(format string, args ...any) {
			warns = append(warns, Warning{File: name, Line: lineno, Text: sprintf(format, args...)})
		}
		rest := strings.TrimLeftFunc(line, isSpaceRune)
		if rest == "" {
			continue
		}
		nameEnd := strings.IndexFunc(rest, isSpaceRune)
		if nameEnd < 0 {
			warn("entry %q has no port/protocol: ignored", rest)
			continue
		}
		e := servEntry{Line: lineno, Name: rest[:nameEnd]}
		rest = strings.TrimLeftFunc(rest[nameEnd:], isSpaceRune)
		v, n := strtoul(rest, 0)
		if n == 0 {
			warn("service %q: port %q is not a number: ignored", e.Name, firstField(rest))
			continue
		}
		if n >= len(rest) || rest[n] != '/' {
			warn("service %q: %q is not port/protocol: ignored", e.Name, firstField(rest))
			continue
		}
		if v > 0xffffffff {
			// glibc reads the port into 32 bits and ignores the
			// entry when it does not fit ("-1" wraps to 2^64-1).
			warn("service %q: port %q does not fit in 32 bits: ignored", e.Name, rest[:n])
			continue
		}
		if v > 0xffff {
			warn("service %q: port %q is out of range; glibc uses %d (its low 16 bits)", e.Name, rest[:n], uint16(v))
		}
		e.Port = uint16(v)
		rest = strings.TrimLeft(rest[n:], "/")
		protoEnd := strings.IndexFunc(rest, isSpaceRune)
		if protoEnd < 0 {
			protoEnd = len(rest)
		}
		e.Proto = rest[:protoEnd]
		e.Aliases = strings.FieldsFunc(rest[protoEnd:], isSpaceRune)
		t.add(e)
	}
}

// isSpaceRune is isspace(3) in the C locale.
func isSpaceRune(r rune) bool { return r < 0x80 && isCSpace(byte(r)) }

func firstField(s string) string {
	if i := strings.IndexFunc(s, isSpaceRune); i >= 0 {
		return s[:i]
	}
	return s
}

func (t *ServicesFile) add(e servEntry) {
	t.entries = append(t.entries, e)
	for _, n := range append([]string{e.Name}, e.Aliases...) {
		k := nameProto{n, e.Proto}
		if _, ok := t.byName[k]; !ok {
			t.byName[k] = e.Port
		}
	}
}

// Port returns the port of the first entry named name (or with name as
// an alias) for protocol proto.
func (t *ServicesFile) Port(name, proto string) (uint16, bool) {
	if t == nil || t.byName == nil {
		return 0, false
	}
	p, ok := t.byName[nameProto{name, proto}]
	return p, ok
}

// Len is the number of entries read.
func (t *ServicesFile) Len() int {
	if t == nil {
		return 0
	}
	return len(t.entries)
}
