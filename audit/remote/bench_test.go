package remote_test

import (
	"io"
	"net"
	"testing"
	"time"

	"tcpwrap/audit/remote"
	"tcpwrap/internal/rsyslogtest"
)

// discardServer accepts TCP connections and reads them to the end.
func discardServer(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// BenchmarkSend measures what Send costs its caller with a TCP Sender
// (encoding included; delivery runs on another goroutine). The message
// is a full decision record of about 400 bytes.
func BenchmarkSend(b *testing.B) {
	s := newSender(b, remote.Config{Network: "tcp", Addr: discardServer(b)})
	m := message(1)
	b.ReportAllocs()
	for b.Loop() {
		s.Send(m)
	}
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(st.Records), "dropped/op")
}

// BenchmarkSendParallel is BenchmarkSend from GOMAXPROCS goroutines.
func BenchmarkSendParallel(b *testing.B) {
	s := newSender(b, remote.Config{Network: "tcp", Addr: discardServer(b)})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		m := message(1)
		for pb.Next() {
			s.Send(m)
		}
	})
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(st.Dropped)/float64(st.Records), "dropped/op")
}

// deliver sends n records to srv over TCP as fast as the Sender takes
// them (waiting while its queue is nearly full, so that nothing is
// dropped) and returns how long until rsyslog had stored them all.
func deliver(tb testing.TB, srv *rsyslogtest.Server, n int) time.Duration {
	const queue = 50000
	before := srv.Count()
	s := newSender(tb, remote.Config{Network: "tcp", Addr: srv.TCPAddr(), QueueSize: queue})
	m := message(7)
	start := time.Now()
	for i := 0; i < n; i++ {
		if i%1024 == 0 {
			for s.Stats().Queued > queue*3/4 {
				time.Sleep(100 * time.Microsecond)
			}
		}
		s.Send(m)
	}
	srv.Wait(tb, before+n, 5*time.Minute)
	d := time.Since(start)
	st := closeSender(tb, s, 30*time.Second)
	if st.Dropped != 0 || st.Resent != 0 {
		tb.Errorf("stats %+v", st)
	}
	return d
}

// BenchmarkRsyslogTCP measures sustained delivery to a loopback rsyslog
// over TCP: records stored per second, counted in rsyslog's output file.
func BenchmarkRsyslogTCP(b *testing.B) {
	srv := rsyslogtest.Start(b)
	n := max(b.N, 1000)
	b.ResetTimer()
	d := deliver(b, srv, n)
	b.ReportMetric(float64(n)/d.Seconds(), "records/s")
}

// TestThroughput delivers 200,000 records to rsyslog over TCP and logs
// the rate at which rsyslog stored them. It checks only that every
// record arrived: rates depend on the machine (see BenchmarkRsyslogTCP).
func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	srv := rsyslogtest.Start(t)
	const n = 200000
	d := deliver(t, srv, n)
	t.Logf("%d records stored by rsyslog in %v: %.0f records/s", n, d, float64(n)/d.Seconds())
}
