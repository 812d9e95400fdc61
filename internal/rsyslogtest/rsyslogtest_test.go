package rsyslogtest_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogtest"
)

// send writes each payload to addr over network, one datagram or one
// octet-counted frame each.
func send(t *testing.T, network, addr string, payloads ...string) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range payloads {
		if network == "tcp" {
			p = fmt.Sprintf("%d %s", len(p), p)
		}
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInputs(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())

	msgs := map[string]string{
		"imuxsock": "<30>Jan  2 03:04:05 unixapp[42]: via the unix socket",
		"imudp":    "<134>1 2024-01-02T03:04:05.123456Z host1 udpapp 7 ID1 - via UDP",
		"imtcp":    `<165>1 2024-01-02T03:04:05Z host2 tcpapp - ID2 [x@32473 a="b\]c"] via TCP`,
	}
	send(t, "unixgram", s.UnixSocket(), msgs["imuxsock"])
	send(t, "udp", s.UDPAddr(), msgs["imudp"])
	send(t, "tcp", s.TCPAddr(), msgs["imtcp"])

	tc, err := tls.Dial("tcp", s.TLSAddr(), s.ClientTLSConfig(true))
	if err != nil {
		t.Fatal(err)
	}
	msgs["imtcp-tls"] = "<38>1 2024-01-02T03:04:05Z host3 tlsapp - - - via TLS"
	fmt.Fprintf(tc, "%d %s", len(msgs["imtcp-tls"]), msgs["imtcp-tls"])
	tc.Close()

	lines := s.Wait(t, len(msgs), 10*time.Second)
	if len(lines) != len(msgs) {
		t.Fatalf("%d lines stored, want %d: %q", len(lines), len(msgs), lines)
	}
	for _, l := range lines {
		if want := msgs[l.Input]; l.Raw != want {
			t.Errorf("%s: raw %q, want %q", l.Input, l.Raw, want)
		}
	}
	byInput := map[string]rsyslogtest.Line{}
	for _, l := range lines {
		byInput[l.Input] = l
	}
	if l := byInput["imtcp"]; l.Hostname != "host2" || l.AppName != "tcpapp" || l.MsgID != "ID2" ||
		l.StructuredData != `[x@32473 a="b\]c"]` || l.Msg != "via TCP" || l.PRI != "165" {
		t.Errorf("imtcp parsed as %+v", l)
	}
	if l := byInput["imudp"]; l.ProcID != "7" || l.Time != "2024-01-02T03:04:05.123456Z" {
		t.Errorf("imudp parsed as %+v", l)
	}
	// RFC 3164's MSG keeps the space after the colon.
	if l := byInput["imuxsock"]; l.AppName != "unixapp" || l.ProcID != "42" || l.Msg != " via the unix socket" {
		t.Errorf("imuxsock parsed as %+v", l)
	}
}

// TestRestart checks that Restart keeps the ports and appends to the same
// files.
func TestRestart(t *testing.T) {
	s := rsyslogtest.Start(t)
	addr := s.TCPAddr()
	send(t, "tcp", addr, "<13>1 - - a - - - one")
	s.Wait(t, 1, 10*time.Second)
	s.Restart()
	if s.TCPAddr() != addr {
		t.Fatalf("TCPAddr %s after restart, was %s", s.TCPAddr(), addr)
	}
	send(t, "tcp", addr, "<13>1 - - a - - - two")
	send(t, "udp", s.UDPAddr(), "<13>1 - - a - - - three")
	lines := s.Wait(t, 3, 10*time.Second)
	var got []string
	for _, l := range lines {
		got = append(got, l.Msg)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[one three two]" {
		t.Errorf("messages %q", got)
	}
	s.Kill()
	if s.Running() {
		t.Fatal("running after Kill")
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("TCP port still accepts after Kill")
	}
	s.Start()
}

// TestClientAuthRequired checks that the WithClientAuth listener refuses a
// client without a certificate.
func TestClientAuthRequired(t *testing.T) {
	s := rsyslogtest.Start(t, rsyslogtest.WithClientAuth())
	c, err := tls.Dial("tcp", s.TLSAddr(), s.ClientTLSConfig(false))
	if err == nil {
		// With TLS 1.3 the client learns of the refusal on its first read.
		fmt.Fprintf(c, "%d %s", 5, "<13>x")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if err == nil {
		t.Fatal("no error without a client certificate")
	}
	send(t, "udp", s.UDPAddr(), "<13>1 - - a - - - marker")
	if lines := s.Wait(t, 1, 10*time.Second); len(lines) != 1 || lines[0].Msg != "marker" {
		t.Errorf("stored %q", lines)
	}
}

// TestEscaping pins down what rsyslog's default
// $EscapeControlCharactersOnReceive does to hostile bytes, as the package
// documentation describes.
func TestEscaping(t *testing.T) {
	s := rsyslogtest.Start(t)
	cases := []struct {
		network, in, raw string
	}{
		// Control characters (tab and NUL included) become #ooo.
		{"udp", "<13>1 - - a - - - x\ty\x01z\x00w\x7f", `<13>1 - - a - - - x#011y#001z#000w` + "\x7f"},
		// A newline inside an octet-counted frame stays in the message,
		// escaped.
		{"tcp", "<13>1 - - b - - - line1\nline2", `<13>1 - - b - - - line1#012line2`},
		// One trailing LF is dropped; bytes >= 0x80 (invalid UTF-8 too)
		// pass unchanged.
		{"udp", "<13>1 - - c - - - caf\xc3\xa9 \xff\n", "<13>1 - - c - - - caf\xc3\xa9 \xff"},
	}
	for _, c := range cases {
		send(t, c.network, map[string]string{"udp": s.UDPAddr(), "tcp": s.TCPAddr()}[c.network], c.in)
	}
	lines := s.Wait(t, len(cases), 10*time.Second)
	got := map[string]string{}
	for _, l := range lines {
		got[l.AppName] = l.Raw
	}
	for i, c := range cases {
		app := string(rune('a' + i))
		if got[app] != c.raw {
			t.Errorf("%q: stored %q, want %q", c.in, got[app], c.raw)
		}
	}
}
