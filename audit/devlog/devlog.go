// Package devlog writes messages to the local syslog daemon through its
// socket (/dev/log) exactly as glibc's syslog(3) does, so that a syslog
// daemon stores the same bytes for our tcpd as for Debian's: the RFC 3164
// form "<PRI>Mmm dd hh:mm:ss APP[PID]: TEXT", a datagram socket, and a
// stream socket (with the terminating NUL glibc sends) when the daemon only
// offers one. A failed send reconnects and retries once, as glibc does.
//
// What it deliberately does not do: fall back to the console or to
// standard error (tcpd's standard error is the client's socket). Callers
// get the error and choose another destination.
package devlog

import (
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"

	"tcpwrap/audit"
)

// DefaultPath is the local syslog socket.
const DefaultPath = "/dev/log"

// Writer sends messages to a syslog socket. It is safe for concurrent use.
// The zero value is not usable; use New.
type Writer struct {
	path   string
	mu     sync.Mutex
	conn   net.Conn
	stream bool
	buf    []byte
}

// New returns a writer for the socket at path ("" means /dev/log). It
// connects on the first Write.
func New(path string) *Writer {
	if path == "" {
		path = DefaultPath
	}
	return &Writer{path: path}
}

// connect opens the socket: a datagram socket, or a stream socket when the
// listener is one (EPROTOTYPE), as glibc's openlog does.
func (w *Writer) connect() error {
	c, err := net.Dial("unixgram", w.path)
	if err == nil {
		w.conn, w.stream = c, false
		return nil
	}
	if errors.Is(err, syscall.EPROTOTYPE) {
		c, err2 := net.Dial("unix", w.path)
		if err2 == nil {
			w.conn, w.stream = c, true
			return nil
		}
		return err2
	}
	return err
}

// Available reports whether a syslog daemon accepts connections on the
// socket now.
func (w *Writer) Available() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn != nil {
		return true
	}
	return w.connect() == nil
}

// Write sends one message.
func (w *Writer) Write(m *audit.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = m.Append3164(w.buf[:0])
	return w.send()
}

// send writes w.buf, reconnecting once if the daemon went away.
func (w *Writer) send() error {
	var err error
	for try := 0; try < 2; try++ {
		if w.conn == nil {
			if err = w.connect(); err != nil {
				return err
			}
		}
		b := w.buf
		if w.stream {
			b = append(b, 0)
		}
		if _, err = w.conn.Write(b); err == nil {
			return nil
		}
		// The daemon went away (or restarted): reconnect and try once
		// more.
		w.conn.Close()
		w.conn = nil
	}
	return err
}

// Close closes the socket.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conn == nil {
		return nil
	}
	err := w.conn.Close()
	w.conn = nil
	return err
}

// WriteRecord sends the message's decision record as one JSON object,
// in an RFC 3164 message from "tcpwrap" (with the message's PID,
// facility and severity). The local socket is not the place for RFC 5424:
// rsyslog's imuxsock, for one, does not parse it there and stores the
// header as text. A message without a record sends nothing.
func (w *Writer) WriteRecord(m *audit.Message) error {
	if m.Record == nil {
		return nil
	}
	j := *m
	j.AppName = "tcpwrap"
	j.Text = strings.TrimSuffix(string(m.Record.AppendJSON(nil)), "\n")
	return w.Write(&j)
}
