package rsyslogtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Line is one message as rsyslog stored it: Raw is its %rawmsg% line from
// the raw file, the other fields are the properties rsyslog parsed out
// of it (RFC 3164 or RFC 5424), from the fields file. A property rsyslog
// found empty is "-" for PROCID, MSGID and STRUCTURED-DATA, as rsyslog
// writes it.
type Line struct {
	Raw            string
	PRI            string
	Time           string // TIMESTAMP as RFC 3339
	Hostname       string
	AppName        string
	ProcID         string
	MsgID          string
	StructuredData string
	Msg            string
	Input          string // "imuxsock", "imudp", "imtcp" or "imtcp-tls"
}

// lineReader reads the two output files incrementally.
type lineReader struct {
	rawPath, fieldsPath string

	mu                  sync.Mutex
	rawOff, fieldsOff   int64
	rawPart, fieldsPart []byte // an incomplete last line
	raw                 []string
	fields              [][]string
	lines               []Line
	err                 error
}

// Lines returns every message stored so far.
func (s *Server) Lines() []Line {
	s.t.Helper()
	lines, err := s.reader.read()
	if err != nil {
		s.t.Fatalf("rsyslogtest: %v", err)
	}
	return lines
}

// Count returns how many messages are stored so far (cheaper than Lines
// for large counts).
func (s *Server) Count() int {
	s.t.Helper()
	lines, err := s.reader.read()
	if err != nil {
		s.t.Fatalf("rsyslogtest: %v", err)
	}
	return len(lines)
}

// Wait blocks until at least n messages are stored (in both files) and
// returns all stored messages, which may be more than n. It fails the test
// after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Line {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		lines, err := s.reader.read()
		if err != nil {
			t.Fatalf("rsyslogtest: %v", err)
		}
		if len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogtest: %d of %d messages stored after %v", len(lines), n, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// read takes in what was appended to both files since the last call.
func (r *lineReader) read() ([]Line, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, r.err
	}
	var err error
	if r.rawOff, r.rawPart, err = readLines(r.rawPath, r.rawOff, r.rawPart, func(l []byte) {
		r.raw = append(r.raw, string(l))
	}); err != nil {
		return nil, err
	}
	if r.fieldsOff, r.fieldsPart, err = readLines(r.fieldsPath, r.fieldsOff, r.fieldsPart, func(l []byte) {
		r.fields = append(r.fields, strings.Split(string(l), sep))
	}); err != nil {
		return nil, err
	}
	for len(r.lines) < len(r.raw) && len(r.lines) < len(r.fields) {
		i := len(r.lines)
		f := r.fields[i]
		if len(f) != len(fieldProps) || f[len(f)-1] != r.raw[i] {
			// The fields file ends in the raw message so that a line in
			// one file can be checked against its line in the other.
			r.err = fmt.Errorf("line %d: %s and %s disagree: raw %q, fields %q", i+1, r.rawPath, r.fieldsPath, r.raw[i], f)
			return nil, r.err
		}
		r.lines = append(r.lines, Line{
			Raw: r.raw[i], PRI: f[0], Time: f[1], Hostname: f[2], AppName: f[3], ProcID: f[4],
			MsgID: f[5], StructuredData: f[6], Msg: f[7], Input: f[8],
		})
	}
	return r.lines[:len(r.lines):len(r.lines)], nil
}

// readLines reads path from off and calls fn with every complete line;
// part is the incomplete line left over from the last call.
func readLines(path string, off int64, part []byte, fn func([]byte)) (int64, []byte, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return off, part, nil
	}
	if err != nil {
		return off, part, err
	}
	defer f.Close()
	buf := make([]byte, 256<<10)
	for {
		n, err := f.ReadAt(buf, off)
		off += int64(n)
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				part = append(part, data...)
				break
			}
			if len(part) > 0 {
				fn(append(part, data[:i]...))
				part = part[:0]
			} else {
				fn(data[:i])
			}
			data = data[i+1:]
		}
		if err == io.EOF || n == 0 {
			return off, part, nil
		}
		if err != nil {
			return off, part, err
		}
	}
}
