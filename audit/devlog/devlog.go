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
//
// The socket is a plain blocking descriptor driven with system calls, as
// glibc's is, not a net.Conn: tcpd starts once per connection, and the
// network poller a net.Conn sets up is a measurable share of its start-up.
package devlog

import (
	"errors"
	"os"
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
	fd     int // -1: not connected
	stream bool
	buf    []byte
}

// New returns a writer for the socket at path ("" means /dev/log). It
// connects on the first Write.
func New(path string) *Writer {
	if path == "" {
		path = DefaultPath
	}
	return &Writer{path: path, fd: -1}
}

// connect opens the socket: a datagram socket, or a stream socket when the
// listener is one (EPROTOTYPE), as glibc's openlog does.
func (w *Writer) connect() error {
	fd, err := dial(w.path, syscall.SOCK_DGRAM)
	if err == nil {
		w.fd, w.stream = fd, false
		return nil
	}
	if errors.Is(err, syscall.EPROTOTYPE) {
		fd, err2 := dial(w.path, syscall.SOCK_STREAM)
		if err2 == nil {
			w.fd, w.stream = fd, true
			return nil
		}
		return err2
	}
	return err
}

// dial connects a new Unix-domain socket of the type to path.
func dial(path string, typ int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	for {
		err = syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, &os.PathError{Op: "connect", Path: path, Err: err}
	}
	return fd, nil
}

// write sends b whole: one datagram, or every byte on a stream.
func (w *Writer) write(b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(w.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: w.path, Err: err}
		}
		if !w.stream {
			return nil
		}
		b = b[n:]
	}
	return nil
}

// Available reports whether a syslog daemon accepts connections on the
// socket now.
func (w *Writer) Available() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd >= 0 {
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
		if w.fd < 0 {
			if err = w.connect(); err != nil {
				return err
			}
		}
		b := w.buf
		if w.stream {
			b = append(b, 0)
		}
		if err = w.write(b); err == nil {
			return nil
		}
		// The daemon went away (or restarted): reconnect and try once
		// more.
		syscall.Close(w.fd)
		w.fd = -1
	}
	return err
}

// Close closes the socket.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return nil
	}
	err := syscall.Close(w.fd)
	w.fd = -1
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}

// WriteRecord sends the message's decision record as one JSON object,
// in an RFC 3164 message from "tcpwrap" (with the message's PID,
// facility and severity). The local socket is not the place for RFC 5424:
// rsyslog's imuxsock, for one, does not parse it there and stores the
// header as text. A message without a record sends nothing. The text of
// a message is cut to audit.MaxText bytes, so a longer record (long rule
// texts, many options) is sent with its strings cut shorter
// (Record.AppendJSONWithin): still whole JSON.
func (w *Writer) WriteRecord(m *audit.Message) error {
	if m.Record == nil {
		return nil
	}
	j := *m
	j.AppName = "tcpwrap"
	j.Text = strings.TrimSuffix(string(m.Record.AppendJSONWithin(nil, audit.MaxText)), "\n")
	return w.Write(&j)
}
