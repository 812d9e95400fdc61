package superserver_test

import (
	"net/netip"
	"reflect"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/superserver"
)

// SessionEnd.Record: what the audit trail receives for each kind of
// session.
func TestSessionEndRecord(t *testing.T) {
	start := time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC)
	cases := []struct {
		name string
		end  superserver.SessionEnd
		want audit.SessionRecord
	}{
		// A program's exit status; no byte counts.
		{"program", superserver.SessionEnd{Service: "127.0.0.1:7000/tcp4", Daemon: "in.fake", Kind: "program",
			Client: netip.MustParseAddrPort("192.0.2.7:40000"), Server: netip.MustParseAddrPort("127.0.0.1:7000"),
			Start: start, Duration: time.Second, PID: 99, Status: &superserver.ExitStatus{Exited: true, Code: 3}},
			audit.SessionRecord{Time: start.Add(time.Second), Service: "127.0.0.1:7000/tcp4", Daemon: "in.fake", Kind: "program",
				Client: audit.Endpoint{Addr: "192.0.2.7", Port: 40000}, Server: audit.Endpoint{Addr: "127.0.0.1", Port: 7000},
				Start: start, Duration: time.Second, PID: 99, Exit: &audit.ExitStatus{Exited: true, Code: 3}}},
		// A signal; an unchecked service; IPv6 ends.
		{"killed", superserver.SessionEnd{Service: "[::1]:7001/tcp6", Kind: "twist",
			Client: netip.MustParseAddrPort("[::1]:5"), Server: netip.MustParseAddrPort("[::1]:7001"),
			Start: start, PID: 100, Status: &superserver.ExitStatus{Signal: syscall.SIGKILL}},
			audit.SessionRecord{Time: start, Service: "[::1]:7001/tcp6", Kind: "twist",
				Client: audit.Endpoint{Addr: "::1", Port: 5}, Server: audit.Endpoint{Addr: "::1", Port: 7001},
				Start: start, PID: 100, Exit: &audit.ExitStatus{Signal: syscall.SIGKILL}}},
		// Redirects and built-ins count their bytes, zero included.
		{"redirect", superserver.SessionEnd{Service: "s", Daemon: "fwd", Kind: "redirect", Start: start, BytesIn: 0, BytesOut: 7, Err: "refused"},
			audit.SessionRecord{Time: start, Service: "s", Daemon: "fwd", Kind: "redirect", Start: start,
				BytesCounted: true, BytesOut: 7, Err: "refused"}},
		{"builtin", superserver.SessionEnd{Service: "s", Daemon: "echo", Kind: "builtin", Start: start, BytesIn: 4, BytesOut: 4},
			audit.SessionRecord{Time: start, Service: "s", Daemon: "echo", Kind: "builtin", Start: start,
				BytesCounted: true, BytesIn: 4, BytesOut: 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.end.Record(); !reflect.DeepEqual(*got, c.want) {
				t.Errorf("got  %+v\nwant %+v", *got, c.want)
			}
		})
	}
}
