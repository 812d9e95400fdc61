// Command load is the client of bench/tcpd-compare: it opens -n
// connections to -addr, -c at a time, reads each until EOF and prints
//
//	conns=N errors=E seconds=S rate=R p50_ms=X p99_ms=Y
//
// With -sink PATH it instead binds a Unix datagram socket at PATH and
// discards what arrives (a stand-in syslog daemon for /dev/log) until
// killed.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "service address")
	n := flag.Int("n", 2000, "connections")
	c := flag.Int("c", 8, "concurrency")
	want := flag.String("want", "", "expected reply (empty: any)")
	sink := flag.String("sink", "", "discard datagrams sent to this Unix socket path")
	flag.Parse()
	if *sink != "" {
		os.Remove(*sink)
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: *sink, Net: "unixgram"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		os.Chmod(*sink, 0o666)
		buf := make([]byte, 1<<16)
		for {
			if _, err := conn.Read(buf); err != nil {
				os.Exit(0)
			}
		}
	}
	lat := make([]time.Duration, *n)
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				t0 := time.Now()
				conn, err := net.DialTimeout("tcp", *addr, 10*time.Second)
				if err == nil {
					conn.SetDeadline(time.Now().Add(20 * time.Second))
					var b []byte
					b, err = io.ReadAll(conn)
					conn.Close()
					if err == nil && *want != "" && string(b) != *want {
						err = fmt.Errorf("reply %q", b)
					}
				}
				lat[i] = time.Since(t0)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	fmt.Printf("conns=%d errors=%d seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		*n, errs.Load(), el.Seconds(), float64(*n)/el.Seconds(), pct(0.50), pct(0.99))
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "load: first error:", e)
	}
}
