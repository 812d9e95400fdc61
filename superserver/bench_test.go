package superserver_test

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

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

// BenchmarkRedirect times whole connections through a checked redirect
// service, with the target answering in different ways: "answer" is the
// target of bench/superserver-compare (it writes three bytes and
// closes), "request" has the client speak first and half-close, and the
// 1 MiB transfers (each way) report their throughput.
func BenchmarkRedirect(b *testing.B) {
	const mib = 1 << 20
	big := pattern(mib)
	cases := []struct {
		name  string
		serve func(c *net.TCPConn)
		send  []byte // what the client sends before it half-closes
		want  int    // the bytes the client must read
		bytes int64  // for b.SetBytes
	}{
		{"answer", func(c *net.TCPConn) { c.Write([]byte("hi\n")) }, nil, 3, 0},
		{"request", func(c *net.TCPConn) {
			b, _ := io.ReadAll(c)
			c.Write(b)
		}, big[:64], 64, 0},
		{"download-1MiB", func(c *net.TCPConn) { c.Write(big) }, nil, mib, mib},
		{"upload-1MiB", func(c *net.TCPConn) {
			n, _ := io.Copy(io.Discard, c)
			fmt.Fprint(c, n)
		}, big, len(strconv.Itoa(mib)), mib},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			tg := newTarget(b, tc.serve)
			h := redirectTo(b, setup{limits: &limits.Config{Source: limits.SourceLimits{Max: 1000}}}, tg.addr())
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-h.obs.ended:
					case <-stop:
						return
					}
				}
			}()
			b.SetBytes(tc.bytes)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 64<<10)
				for pb.Next() {
					if n, err := roundTrip(h.addr(0), tc.send, buf); err != nil || n != tc.want {
						b.Errorf("read %d bytes, want %d: %v", n, tc.want, err)
						return
					}
				}
			})
		})
	}
}

// roundTrip connects to addr, sends send and half-closes (if send is not
// nil; else it only reads, as bench/superserver-compare's client does),
// and reads until the end of stream; it returns the number of bytes
// read.
func roundTrip(addr string, send, buf []byte) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if send != nil {
		if _, err := c.Write(send); err != nil {
			return 0, err
		}
		c.(*net.TCPConn).CloseWrite()
	}
	total := 0
	for {
		n, err := c.Read(buf)
		total += n
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
