package superserver_test

import (
	"net"
	"strconv"
	"testing"

	"tcpwrap/superserver"
)

func FuzzParseRlimit(f *testing.F) {
	for _, s := range []string{"nofile=1024", "nofile=1024:4096", "core=0", "as=unlimited", "cpu=10:unlimited",
		"nofile", "nofile=", "nofile=-1", "nofile=2:1", "bogus=1", "nproc=18446744073709551615", "stack=0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := superserver.ParseRlimit(s)
		if err != nil {
			return
		}
		if r.Soft > r.Hard {
			t.Fatalf("%q: soft %d above hard %d", s, r.Soft, r.Hard)
		}
		// What String writes reads back the same.
		r2, err := superserver.ParseRlimit(r.String())
		if err != nil || r2 != r {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, r, r.String(), r2, err)
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"127.0.0.1:22", "[::1]:2222", "localhost:80", "host:0", "host:65536", ":22",
		"127.0.0.1", "[::1]", "a b:1", "h:+1", "h:0x10", "[fe80::1%eth0]:22", "h:00022"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		host, port, err := superserver.ParseTarget(s)
		if err != nil {
			return
		}
		if host == "" || port == 0 {
			t.Fatalf("%q: host %q port %d accepted", s, host, port)
		}
		h2, p2, err := net.SplitHostPort(s)
		if err != nil || h2 != host || p2 == "" {
			t.Fatalf("%q: %q %d but SplitHostPort says %q %q %v", s, host, port, h2, p2, err)
		}
		if n, err := strconv.Atoi(p2); err != nil || n != int(port) {
			t.Fatalf("%q: port %d, text %q", s, port, p2)
		}
	})
}
