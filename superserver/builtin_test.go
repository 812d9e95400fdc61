package superserver_test

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/superserver"
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
