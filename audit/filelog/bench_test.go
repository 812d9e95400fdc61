package filelog_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

// BenchmarkWrite measures one Write to one file, with the rotation check
// before every record (Open's policy) and at most once a second, and the
// encoding alone. The difference between the first two is the cost of
// the stat(2).
func BenchmarkWrite(b *testing.B) {
	m := msg(audit.Info, audit.Daemon, "connect from 192.0.2.7 (192.0.2.7)")
	rec := goldenMessages()[6] // with a decision record
	for _, bc := range []struct {
		name   string
		m      *audit.Message
		format filelog.Format
		every  time.Duration
	}{
		{"text/stat-every-record", m, filelog.Text, 0},
		{"text/stat-every-second", m, filelog.Text, time.Second},
		{"json-record/stat-every-record", rec, filelog.JSON, 0},
		{"json-record/stat-every-second", rec, filelog.JSON, time.Second},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "log")
			w := filelog.OpenForTest(filelog.Table{{Selector: mustSelector(b, "*.*"), Path: path, Format: bc.format}}, bc.every, time.Now, "gate")
			defer w.Close()
			for b.Loop() {
				if err := w.Write(bc.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("encode-only/text", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = filelog.Text.AppendLine(buf[:0], m, "gate")
		}
	})
	b.Run("no-match", func(b *testing.B) {
		w := filelog.Open(filelog.Table{{Selector: mustSelector(b, "mail.*"), Path: filepath.Join(b.TempDir(), "log")}})
		defer w.Close()
		for b.Loop() {
			if err := w.Write(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStat is the rotation check by itself.
func BenchmarkStat(b *testing.B) {
	path := filepath.Join(b.TempDir(), "log")
	if err := os.WriteFile(path, nil, 0o640); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := os.Stat(path); err != nil {
			b.Fatal(err)
		}
	}
}
