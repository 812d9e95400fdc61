package devlog

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tcpwrap/audit"
)

func msg(text string) *audit.Message {
	return &audit.Message{
		Time:     time.Date(2026, 11, 7, 4, 5, 6, 0, time.Local),
		Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Info},
		AppName:  "in.fingerd",
		PID:      4242,
		Text:     text,
	}
}

// The bytes glibc's syslog(3) would send: a datagram, no newline, the day
// padded with a space.
func TestDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := New(path)
	defer w.Close()
	if err := w.Write(msg("connect from 192.0.2.7 (192.0.2.7)")); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(msg("refused connect from evil\nfake line (192.0.2.8)")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<30>Nov  7 04:05:06 in.fingerd[4242]: connect from 192.0.2.7 (192.0.2.7)",
		`<30>Nov  7 04:05:06 in.fingerd[4242]: refused connect from evil\x0afake line (192.0.2.8)`,
	} {
		buf := make([]byte, 4096)
		l.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := l.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != want {
			t.Errorf("got %q\nwant %q", got, want)
		}
	}
}

// A stream listener gets the message followed by a NUL, as from glibc.
func TestStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	got := make(chan string, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.Read(buf)
		got <- string(buf[:n])
	}()
	w := New(path)
	defer w.Close()
	if err := w.Write(msg("connect from 192.0.2.7 (192.0.2.7)")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != "<30>Nov  7 04:05:06 in.fingerd[4242]: connect from 192.0.2.7 (192.0.2.7)\x00" {
		t.Errorf("got %q", g)
	}
}

// No daemon: an error, nothing else (never standard error).
func TestNoDaemon(t *testing.T) {
	w := New(filepath.Join(t.TempDir(), "nothing"))
	if w.Available() {
		t.Fatal("available without a listener")
	}
	if err := w.Write(msg("x")); err == nil {
		t.Fatal("no error without a listener")
	}
}

// The daemon restarts: the next write reconnects.
func TestReconnect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	listen := func() *net.UnixConn {
		l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	l := listen()
	w := New(path)
	defer w.Close()
	if err := w.Write(msg("one")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	os.Remove(path) // a restarting daemon binds a new socket
	l = listen()
	defer l.Close()
	if err := w.Write(msg("two")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	l.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := l.Read(buf)
	if err != nil || string(buf[:n]) != "<30>Nov  7 04:05:06 in.fingerd[4242]: two" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}
