package logscan_test

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
)

// The size of the generated syslog file of BenchmarkScanFile. The
// issue's figure is for 1 GiB: -logscan.benchsize=1073741824.
var benchSize = flag.Int64("logscan.benchsize", 256<<20, "size in bytes of the generated syslog file BenchmarkScanFile reads")

var (
	benchOnce   sync.Once
	benchFile   string
	benchEvents int64
	benchErr    error
	benchDir    string
)

// generated writes the benchmark's syslog file once per test binary.
func generated(b *testing.B) (string, int64) {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "logscan-bench-")
		if benchErr != nil {
			return
		}
		benchFile = filepath.Join(benchDir, "syslog")
		f, err := os.Create(benchFile)
		if err != nil {
			benchErr = err
			return
		}
		gen := newSyslogGen(42, *benchSize)
		w := bufio.NewWriterSize(f, 1<<20)
		if _, err := io.Copy(w, gen); err != nil {
			benchErr = err
		}
		if err := w.Flush(); err != nil && benchErr == nil {
			benchErr = err
		}
		if err := f.Close(); err != nil && benchErr == nil {
			benchErr = err
		}
		benchEvents = gen.events
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFile, benchEvents
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	cleanupHelpers()
	os.Exit(code)
}

// BenchmarkScanFile scans the generated syslog file (a quarter of its
// lines tcpd's, inetd's and xinetd's, the rest other programs' noise)
// and reports MB/s, and the peak heap in use as peak-heap-MB. Run it on
// one core: GOMAXPROCS=1 go test -run XXX -bench ScanFile ./watch/logscan/
func BenchmarkScanFile(b *testing.B) {
	path, want := generated(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var peak uint64
	var ms runtime.MemStats
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		st, err := logscan.Scan(f, opts(), func(watch.Event) {
			if n++; n%(1<<20) == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if st.Events != want {
			b.Fatalf("%d events, want %d", st.Events, want)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(max(peak, ms.HeapInuse))/(1<<20), "peak-heap-MB")
}

// BenchmarkScanMemory scans 32 MiB of the same generated syslog from
// memory: the parser's and splitter's cost without the file system's.
func BenchmarkScanMemory(b *testing.B) {
	gen := newSyslogGen(7, 32<<20)
	data, err := io.ReadAll(gen)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := logscan.Scan(bytes.NewReader(data), opts(), func(watch.Event) {})
		if err != nil || st.Events != gen.events {
			b.Fatalf("%v, %d events, want %d", err, st.Events, gen.events)
		}
	}
}
