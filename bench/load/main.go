// Command load is the client (and the redirect target) of
// bench/superserver-compare and bench/tcpd-compare.
//
//	load -addr HOST:PORT -n N -c C [-want TEXT]   N connections, C at a time
//	load -serve HOST:PORT -reply TEXT             a server that answers TEXT and closes
//	load -sink PATH                               discards datagrams sent to a Unix socket
//
// As a client it reads each connection until the service closes it and
// prints
//
//	conns=N errors=E seconds=S rate=R p50_ms=X p99_ms=Y
//
// It exits 1 when a connection failed. The service closes first, so that the TIME_WAIT states are the
// server's and the client's ports do not run out.
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
	addr := flag.String("addr", "", "service address")
	n := flag.Int("n", 2000, "connections")
	c := flag.Int("c", 8, "concurrency")
	want := flag.String("want", "", "expected reply (empty: any)")
	serve := flag.String("serve", "", "serve -reply on this address")
	reply := flag.String("reply", "hi\n", "what -serve answers")
	sink := flag.String("sink", "", "discard datagrams sent to this Unix socket path")
	flag.Parse()
	switch {
	case *sink != "":
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
	case *serve != "":
		l, err := net.Listen("tcp", *serve)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		for {
			conn, err := l.Accept()
			if err != nil {
				continue
			}
			go func() {
				io.WriteString(conn, *reply)
				conn.Close()
			}()
		}
	}
	lat := make([]time.Duration, *n)
	var next, errs atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
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
					conn.SetDeadline(time.Now().Add(30 * time.Second))
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
					first.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("conns=%d errors=%d seconds=%.3f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		*n, errs.Load(), el.Seconds(), float64(*n)/el.Seconds(), pct(0.50), pct(0.99))
	if e := first.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "load: first error:", e)
		os.Exit(1)
	}
}
