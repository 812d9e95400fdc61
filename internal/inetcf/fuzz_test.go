package inetcf_test

import (
	"bytes"
	"strings"
	"testing"

	"tcpwrap/internal/inetcf"
)

// FuzzScan feeds arbitrary inetd.conf text to Scan over the "sb2" tree:
// it must not panic, every record must be a warning, in-file records must
// quote a line number no larger than the number of newlines read, and
// there is at most one name per logical line.
func FuzzScan(f *testing.F) {
	for _, tc := range observed {
		f.Add([]byte(tc.conf))
	}
	f.Add([]byte("svc stream tcp nowait root ? \x00\n"))
	f.Add([]byte("x y z w /usr/sbin/TCPD /a/ /a/\n"))
	f.Fuzz(func(t *testing.T, conf []byte) {
		const path = "/tmp/exp/c/fuzz/inetd.conf"
		fsys := debianTree("sb2", "/tmp/exp/c/fuzz")
		fsys.set(path, fileData(0o644, string(conf)))
		tab, warnings, err := inetcf.Scan(fsys, path, "")
		if err != nil {
			t.Fatal(err)
		}
		newlines := bytes.Count(conf, []byte("\n"))
		for _, w := range warnings {
			if !strings.HasPrefix(w, "warning: ") {
				t.Fatalf("record %q", w)
			}
			rest, ok := strings.CutPrefix(w, "warning: "+path+", line ")
			if !ok {
				if !strings.HasSuffix(w, ": world writable") {
					t.Fatalf("record without context: %q", w)
				}
				continue
			}
			n := 0
			for _, c := range rest {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
				if n > newlines {
					t.Fatalf("%q quotes line > %d", w, newlines)
				}
			}
		}
		// At most one name per logical line; a line is cut every 8191 bytes.
		if limit := newlines + 1 + len(conf)/8191; tab.Len() > limit {
			t.Fatalf("%d names from at most %d lines", tab.Len(), limit)
		}
		if tab.Name() != path {
			t.Fatalf("Name() = %q", tab.Name())
		}
	})
}
