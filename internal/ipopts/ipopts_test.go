package ipopts_test

import (
	"net"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
	"tcpwrap/internal/ipopts"
)

// A client that sends IP options (record route) is logged with the
// options in hex, and the options are cleared on the accepted socket.
func TestRecordRouteLoggedAndCleared(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) {
			// Record route: type 7, length 7, pointer 4, room for one
			// address; then end of options.
			serr = unix.SetsockoptString(int(fd), unix.IPPROTO_IP, unix.IP_OPTIONS, "\x07\x07\x04\x00\x00\x00\x00\x00")
		})
		return serr
	}}
	c, err := d.Dial("tcp4", l.Addr().String())
	if err != nil {
		t.Skipf("cannot send IP options here: %v", err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.(*net.TCPConn).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var logged []string
	logf := func(p audit.Priority, text string) { logged = append(logged, p.String()+" "+text) }
	ipopts.Check(int(f.Fd()), "127.0.0.1", logf)
	if len(logged) != 1 || !strings.Contains(logged[0], "connect from 127.0.0.1 with IP options (ignored): 07 07") {
		t.Fatalf("logged %q, want the record-route options in hex", logged)
	}
	if opts, err := unix.GetsockoptString(int(f.Fd()), unix.IPPROTO_IP, unix.IP_OPTIONS); err != nil || opts != "" {
		t.Errorf("options after Check: %q, %v; want none", opts, err)
	}
	logged = nil
	ipopts.Check(int(f.Fd()), "127.0.0.1", logf)
	if len(logged) != 0 {
		t.Errorf("a socket without options logged %q", logged)
	}
}
