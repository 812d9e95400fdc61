package superserver_test

import (
	"net"
	"strings"
	"testing"

	"tcpwrap/limits"
	"tcpwrap/superserver"
)

// benchConnections times whole loopback connections to a built-in:
// accept, limits, (check), serve, close.
func benchConnections(b *testing.B, allow, deny string, checkAll bool) {
	h := start(b, setup{cfg: superserver.Config{CheckAll: checkAll}, allow: allow, deny: deny,
		limits: &limits.Config{Source: limits.SourceLimits{Max: 1000}}})
	ports := portsTable{"daytime": freePort(b, "tcp4", "127.0.0.1")}
	svcs, _, _ := parseWith("127.0.0.1:daytime stream tcp4 nowait root internal\n", ports)
	if w, err := h.srv.Load(svcs, nil, true); err != nil {
		b.Fatal(w, err)
	}
	addr := "127.0.0.1:" + strings.TrimPrefix(svcs[0].Addr.String(), "127.0.0.1:")
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got, err := exchange("", addr, ""); err != nil || len(got) != 26 {
				b.Errorf("%q %v", got, err)
				return
			}
		}
	})
}

func BenchmarkDaytimeUnchecked(b *testing.B) { benchConnections(b, "", "", false) }

func BenchmarkDaytimeChecked(b *testing.B) { benchConnections(b, "", "", true) }

// With a 100,000-line DenyHosts table the client is not in.
func BenchmarkDaytimeChecked100k(b *testing.B) {
	var deny strings.Builder
	for i := 0; i < 100000; i++ {
		deny.WriteString("ALL: 10." + itoa3(i>>16&255) + "." + itoa3(i>>8&255) + "." + itoa3(i&255) + "\n")
	}
	benchConnections(b, "", deny.String(), true)
}

func itoa3(n int) string {
	const d = "0123456789"
	if n < 10 {
		return d[n : n+1]
	}
	if n < 100 {
		return d[n/10:n/10+1] + d[n%10:n%10+1]
	}
	return d[n/100:n/100+1] + d[n/10%10:n/10%10+1] + d[n%10:n%10+1]
}

// BenchmarkRedirect times whole connections through a redirect service
// (checked) to a target that answers and closes.
func BenchmarkRedirect(b *testing.B) {
	target, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer target.Close()
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hi\n"))
			c.Close()
		}
	}()
	h := start(b, setup{nports: 1, limits: &limits.Config{Source: limits.SourceLimits{Max: 1000}}})
	conf := "127.0.0.1:{P0} stream tcp4 nowait root redirect fwd " + target.Addr().String() + "\n"
	if w, err := h.load(conf, true); err != nil {
		b.Fatal(w, err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got, err := fetch("127.0.0.1", h.addr(0)); err != nil || got != "hi\n" {
				b.Errorf("%q %v", got, err)
				return
			}
		}
	})
}
