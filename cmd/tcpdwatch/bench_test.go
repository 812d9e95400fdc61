package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BenchmarkReportCLI runs "tcpdwatch report" in-process on a generated
// 64 MiB syslog file (a quarter of the lines tcpd's) and reports MB/s
// and the peak heap. The 1 GiB figure of the issue comes from
// bench/tcpdwatch-scan, which runs the built binary on one core and
// measures its resident set. On one core:
//
//	GOMAXPROCS=1 go test -run XXX -bench ReportCLI ./cmd/tcpdwatch
func BenchmarkReportCLI(b *testing.B) {
	path := filepath.Join(b.TempDir(), "syslog")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	size := genSyslog(w, 64<<20, time.Now())
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.SetBytes(size)
	b.ReportAllocs()
	var peak uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := testEnv(nil)
		e.stdout, e.stderr = io.Discard, io.Discard
		if code := run([]string{"tcpdwatch", "report", "-c", "testdata/report.conf", "-last", "366d", "-format", "json", path}, e); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// genSyslog writes about size bytes of traditional-format syslog ending
// at end: one line in four is tcpd's (in.fingerd, in.ftpd), the others
// another program's. It returns the bytes written.
func genSyslog(w io.Writer, size int64, end time.Time) int64 {
	lines := size / 100
	t := end.Add(-time.Duration(lines) * time.Second)
	var n int64
	var buf []byte
	for i := int64(0); n < size; i++ {
		t = t.Add(time.Second)
		buf = t.AppendFormat(buf[:0], time.Stamp)
		c := i % 250
		switch i % 4 {
		case 0:
			buf = fmt.Appendf(buf, " gate in.fingerd[%d]: refused connect from 198.51.100.%d (198.51.100.%d)\n", 1000+i%30000, c, c)
		case 1:
			buf = fmt.Appendf(buf, " gate sshd[%d]: Accepted publickey for root from 192.0.2.%d port %d ssh2\n", 1000+i%30000, c, i%65536)
		case 2:
			buf = fmt.Appendf(buf, " gate postfix/smtpd[%d]: connect from unknown[203.0.113.%d] port %d\n", 1000+i%30000, c, i%65536)
		default:
			buf = fmt.Appendf(buf, " gate CRON[%d]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1) %d\n", 1000+i%30000, c)
		}
		m, _ := w.Write(buf)
		n += int64(m)
	}
	return n
}
