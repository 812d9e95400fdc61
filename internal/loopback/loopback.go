// Package loopback holds the client side of the super-server tests:
// free ports, connections from a chosen 127.0.0.x source, and a stand-in
// /dev/log that records what is logged. It is used by the superserver
// and cmd/tcpwrapd tests.
package loopback

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"tcpwrap/internal/oracle"
)

// FreePorts returns n ports on addr that were free a moment ago
// ("udp..." networks: datagram ports).
func FreePorts(t testing.TB, network, addr string, n int) []int {
	t.Helper()
	var ports []int
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for range n {
		if strings.HasPrefix(network, "udp") {
			c, err := net.ListenPacket(network, net.JoinHostPort(addr, "0"))
			if err != nil {
				t.Fatal(err)
			}
			closers = append(closers, c)
			ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
			continue
		}
		l, err := net.Listen(network, net.JoinHostPort(addr, "0"))
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Exchange connects from src ("" for any) to addr, sends send (then
// half-closes) and returns what it received until end of stream. A reset
// counts as the end, as for a refused connection whose data was never
// read.
func Exchange(src, addr, send string) (string, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if src != "" {
		d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0))
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if send != "" {
		if _, err := io.WriteString(c, send); err != nil {
			return "", err
		}
	}
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		return string(b), err
	}
	return string(b), nil
}

// MustExchange is Exchange that fails the test on error.
func MustExchange(t testing.TB, src, addr, send string) string {
	t.Helper()
	got, err := Exchange(src, addr, send)
	if err != nil {
		t.Fatalf("%s -> %s: %v", src, addr, err)
	}
	return got
}

// Fetch connects from src to addr and reads until the service closes, so
// that the TIME_WAIT states are the server's: the client's ports do not
// run out over many connections.
func Fetch(src, addr string) (string, error) {
	d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0))}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// SyslogSink records syslog datagrams as a syslog daemon's /dev/log would
// receive them.
type SyslogSink struct {
	Path string // the socket (mode 0666, so services as other users can log)
	mu   sync.Mutex
	recs []oracle.Record
}

// NewSyslogSink listens on a new socket until the test ends.
func NewSyslogSink(t testing.TB) *SyslogSink {
	t.Helper()
	dir, err := os.MkdirTemp("", "loopback-log-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &SyslogSink{Path: filepath.Join(dir, "log")}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.Path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(s.Path, 0o666)
	c.SetReadBuffer(8 << 20)
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			r := oracle.ParseRecord(buf[:k])
			s.mu.Lock()
			s.recs = append(s.recs, r)
			s.mu.Unlock()
		}
	}()
	return s
}

// Lines returns the records so far as "[daemon.info] echo[PID]: text".
func (s *SyslogSink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.recs {
		out = append(out, r.String())
	}
	return out
}

// Matching returns the records containing text.
func (s *SyslogSink) Matching(text string) []string {
	var out []string
	for _, l := range s.Lines() {
		if strings.Contains(l, text) {
			out = append(out, l)
		}
	}
	return out
}

// WaitFor waits (up to 15 s) until a record contains text, and returns
// all records.
func (s *SyslogSink) WaitFor(t testing.TB, text string) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ls := s.Lines()
		for _, l := range ls {
			if strings.Contains(l, text) {
				return ls
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q; got:\n  %s", text, strings.Join(ls, "\n  "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Flood opens connections from src to addr as fast as workers goroutines
// can until stop is called; stop returns how many connections were made
// and how many of them received want.
func Flood(src, addr, want string, workers int) (stop func() (made, answered int64)) {
	done := make(chan struct{})
	var n, ok atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				got, _ := Exchange(src, addr, "")
				n.Add(1)
				if got == want {
					ok.Add(1)
				}
			}
		}()
	}
	return func() (int64, int64) {
		close(done)
		wg.Wait()
		return n.Load(), ok.Load()
	}
}

// Serve accepts connections on l until the test ends (it then closes l)
// and runs handle for each in a goroutine of its own, closing the
// connection after. It returns l's address.
func Serve(t testing.TB, l net.Listener, handle func(net.Conn)) net.Addr {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return l.Addr()
}

// ServeTCP is Serve on a new listener on a free port of 127.0.0.1.
func ServeTCP(t testing.TB, handle func(net.Conn)) *net.TCPAddr {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, l, handle).(*net.TCPAddr)
}
