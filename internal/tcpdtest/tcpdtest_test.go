package tcpdtest

import (
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// TestFakeDaemonDirect checks the harness without a wrapper: the fake
// daemon itself is the program, so the client gets its report.
func TestFakeDaemonDirect(t *testing.T) {
	for _, nw := range []string{TCP, TCP6, Dual, UDP} {
		t.Run(nw, func(t *testing.T) {
			r := Run(t, Spec{Program: FakeDaemon(t), Argv0: "in.fake", Args: []string{"-x", "two words"}, Network: nw, Send: []byte("dgram1")})
			got := string(r.Received)
			if !strings.HasPrefix(got, "ARGV: [in.fake] [-x] [two words]\nDAEMON uid=") {
				t.Errorf("received %q", got)
			}
			if nw == UDP {
				if !strings.HasSuffix(got, ` got="dgram1"`+"\n") || r.DatagramLeft {
					t.Errorf("received %q, datagram left %v", got, r.DatagramLeft)
				}
			}
			if r.Exit != 0 || r.ClientTimeout || len(r.Log) != 0 {
				t.Errorf("exit %d, timeout %v, log %q", r.Exit, r.ClientTimeout, r.LogStrings())
			}
		})
	}
}

// TestDebianGrant runs Debian's tcpd in its namespace (case G01).
func TestDebianGrant(t *testing.T) {
	if ok, why := DebianAvailable(); !ok {
		t.Skip(why)
	}
	r := Run(t, Spec{Program: DebianTcpd})
	if !strings.HasPrefix(string(r.Received), "ARGV: [in.fake]\nDAEMON uid=0 gid=0 groups=[") {
		t.Errorf("received %q", r.Received)
	}
	want := "[daemon.info] in.fake[PID]: connect from 127.0.0.1 (127.0.0.1)"
	if got := strings.Join(r.LogStrings(), "\n"); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}

// TestDebianRefusedUDP checks the UDP path with Debian's tcpd (case G18):
// the datagram is consumed.
func TestDebianRefusedUDP(t *testing.T) {
	if ok, why := DebianAvailable(); !ok {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("sleeps 5 s")
	}
	r := Run(t, Spec{Program: DebianTcpd, Network: UDP, Send: []byte("x"), Deny: "ALL: ALL\n"})
	if !r.ClientTimeout || r.DatagramLeft || r.Elapsed.Seconds() < 4.5 {
		t.Errorf("timeout %v, left %v, elapsed %v, received %q", r.ClientTimeout, r.DatagramLeft, r.Elapsed, r.Received)
	}
	want := "[daemon.warning] in.fake[PID]: refused connect from 127.0.0.1 (127.0.0.1)"
	if got := strings.Join(r.LogStrings(), "\n"); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
}
