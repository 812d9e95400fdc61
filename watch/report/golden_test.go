package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"tcpwrap/watch/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden renders the fixture in the three formats and compares them
// with testdata/fixture.{txt,json,html}.
func TestGolden(t *testing.T) {
	r := fixtureReport(t)
	for _, tc := range []struct {
		file  string
		write func(*report.Report, *bytes.Buffer) error
	}{
		{"fixture.txt", func(r *report.Report, b *bytes.Buffer) error { return r.WriteText(b) }},
		{"fixture.json", func(r *report.Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
		{"fixture.html", func(r *report.Report, b *bytes.Buffer) error { return r.WriteHTML(b) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(r, &b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the output (run go test -update and review the diff): %s", path, firstDiff(b.Bytes(), want))
			}
		})
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
	return "same lines, different bytes"
}
