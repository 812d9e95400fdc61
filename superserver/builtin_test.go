package superserver_test

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/superserver"

	"golang.org/x/sys/unix"
)

// fixedClock is a clock that always says the same time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

var testTime = time.Date(2026, 11, 27, 4, 5, 6, 0, time.Local)

func TestBuiltinStream(t *testing.T) {
	h := startBuiltins(t, "stream", "tcp4")
	cases := []struct {
		name, send string
		check      func(got string) bool
		want       string
	}{
		// echo sends back what it gets.
		{name: "echo", send: "hello\r\nworld", want: "hello\r\nworld"},
		// discard sends nothing.
		{name: "discard", send: "hello", want: ""},
		// daytime is ctime(3) of the clock, CR LF.
		{name: "daytime", want: testTime.Format("Mon Jan _2 15:04:05 2006") + "\r\n"},
		// time is seconds since 1900, big-endian.
		{name: "time", want: string(binary.BigEndian.AppendUint32(nil, uint32(testTime.Unix()+2208988800)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustExchange(t, "127.0.0.1", h.builtinAddr(c.name), c.send)
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			e := h.obs.nextEnd(t)
			if e.Kind != "builtin" || !strings.HasSuffix(e.Service, c.name+"/tcp4") {
				t.Errorf("session end %+v", e)
			}
		})
	}
	t.Run("chargen", func(t *testing.T) {
		c, err := net.Dial("tcp", h.builtinAddr("chargen"))
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2*74)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := readFull(c, buf); err != nil {
			t.Fatal(err)
		}
		c.Close()
		want := ` !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_` + "`abcdefg\r\n" +
			`!"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_` + "`abcdefgh\r\n"
		if string(buf) != want {
			t.Errorf("chargen sent\n%q\nwant\n%q", buf, want)
		}
		if e := h.obs.nextEnd(t); e.BytesOut < 148 {
			t.Errorf("chargen session end %+v", e)
		}
	})
}

// daytime and time send their answer and the end of stream in one
// segment: the client receives the SYN-ACK and one more segment. (Two
// more, data then FIN, before the answer went with MSG_MORE.)
func TestBuiltinAnswerAndFINInOneSegment(t *testing.T) {
	h := startBuiltins(t, "stream", "tcp4")
	for _, name := range []string{"daytime", "time"} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", h.builtinAddr(name))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			b, err := io.ReadAll(c)
			if err != nil || len(b) == 0 {
				t.Fatalf("read %q, %v", b, err)
			}
			rc, err := c.(*net.TCPConn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var info *unix.TCPInfo
			var ierr error
			if err := rc.Control(func(fd uintptr) { info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) }); err != nil || ierr != nil {
				t.Fatal(err, ierr)
			}
			if info.Segs_in == 0 {
				t.Skip("this kernel does not count segments (tcpi_segs_in)")
			}
			if info.Segs_in != 2 {
				t.Errorf("the client received %d segments; want 2 (SYN-ACK, answer with FIN)", info.Segs_in)
			}
			h.obs.nextEnd(t)
		})
	}
}

// A client that sends something to daytime (as some do, a line) still
// gets the answer, although the close resets the connection then.
func TestBuiltinAnswerToATalkingClient(t *testing.T) {
	h := startBuiltins(t, "stream", "tcp4")
	for i := range 20 {
		c, err := net.Dial("tcp", h.builtinAddr("daytime"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("what time is it?\r\n")); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 64)
		n, err := readFull(c, b)
		c.Close()
		if want := testTime.Format("Mon Jan _2 15:04:05 2006") + "\r\n"; string(b[:n]) != want {
			t.Fatalf("connection %d: got %q (%v), want %q", i, b[:n], err, want)
		}
		h.obs.nextEnd(t)
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestBuiltinDatagram(t *testing.T) {
	h := startBuiltins(t, "dgram", "udp4")
	ask := func(t *testing.T, src netip.AddrPort, name, send string) (string, bool) {
		t.Helper()
		c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(src), net.UDPAddrFromAddrPort(netip.MustParseAddrPort(h.builtinAddr(name))))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(send))
		c.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 65536)
		n, err := c.Read(buf)
		if err != nil {
			return "", false
		}
		return string(buf[:n]), true
	}
	src := netip.MustParseAddrPort("127.0.0.2:0")
	cases := []struct{ name, send, want string }{
		{"echo", "ping", "ping"},
		{"daytime", "", testTime.Format("Mon Jan _2 15:04:05 2006") + "\r\n"},
		{"time", "x", string(binary.BigEndian.AppendUint32(nil, uint32(testTime.Unix()+2208988800)))},
	}
	for _, c := range cases {
		got, ok := ask(t, src, c.name, c.send)
		if !ok || got != c.want {
			t.Errorf("%s: got %q (%v), want %q", c.name, got, ok, c.want)
		}
	}
	if got, ok := ask(t, src, "chargen", "x"); !ok || len(got) != 74 || !strings.HasSuffix(got, "\r\n") {
		t.Errorf("chargen: got %q", got)
	}
	if got, ok := ask(t, src, "discard", "x"); ok {
		t.Errorf("discard answered %q", got)
	}
	// A privileged source port is another server: never answered.
	if os.Geteuid() == 0 {
		if got, ok := ask(t, netip.MustParseAddrPort("127.0.0.3:1023"), "echo", "loop"); ok {
			t.Errorf("echo answered port 1023: %q", got)
		}
	}
}

// builtinHarness is a harness whose services file names the built-ins'
// ports.
type builtinHarness struct {
	*harness
	ports map[string]int
}

func (b *builtinHarness) builtinAddr(name string) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.ports[name]))
}

// portsTable resolves the built-ins' names to test ports.
type portsTable map[string]int

func (p portsTable) Port(name, proto string) (uint16, bool) {
	n, ok := p[name]
	return uint16(n), ok
}

func startBuiltins(t *testing.T, socket, proto string) *builtinHarness {
	t.Helper()
	h := start(t, setup{cfg: superserver.Config{Clock: fixedClock{testTime}}})
	network := "tcp4"
	if socket == "dgram" {
		network = "udp4"
	}
	ports := portsTable{}
	var conf strings.Builder
	free := freePorts(t, network, "127.0.0.1", 5)
	for i, name := range []string{"echo", "discard", "chargen", "daytime", "time"} {
		ports[name] = free[i]
		conf.WriteString("127.0.0.1:" + name + " " + socket + " " + proto + " nowait root internal\n")
	}
	svcs, warns, err := parseWith(conf.String(), ports)
	if err != nil || len(warns) > 0 {
		t.Fatal(warns, err)
	}
	if w, err := h.srv.Load(svcs, nil, true); err != nil {
		t.Fatal(w, err)
	}
	return &builtinHarness{harness: h, ports: ports}
}
