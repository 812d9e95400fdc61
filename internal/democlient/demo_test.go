package main

import (
	"context"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// TestDemo runs scripts/demo, the README's first command, and checks what
// it shows: every client's outcome, the classic log lines, the records
// and the report.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the programs and runs the whole demo")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "../../scripts/demo").CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		`127\.0\.0\.1 -> 127\.0\.0\.1:\d+: SSH-2\.0-demo \(a stand-in sshd, started for 127\.0\.0\.1\)`,
		`::1 -> \[::1\]:\d+: SSH-2\.0-demo \(a stand-in sshd, started for ::1\)`,
		`127\.0\.0\.66 -> 127\.0\.0\.1:\d+: \(closed without a word: refused\)`,
		`127\.0\.0\.2 -> 127\.0\.0\.1:\d+: no finger here`,
		`127\.0\.0\.3 -> 127\.0\.0\.1:\d+: \(closed without a word: refused\)`,
		`127\.0\.0\.4 -> 127\.0\.0\.1:\d+: \(closed without a word: refused\)`,
		`127\.0\.0\.5 -> 127\.0\.0\.1:\d+: HTTP/1\.0 200 OK: the intranet web server \(you sent "GET / HTTP/1\.0"\)`,
		`127\.0\.0\.7 -> 127\.0\.0\.1:\d+: \(closed without a word: refused\)`,
		`sshd\[\d+\]: refused connect from 127\.0\.0\.66 \(127\.0\.0\.66\)`,
		`in\.fingerd\[\d+\]: twist 127\.0\.0\.2 to /bin/echo "no finger here"`,
		`httpd\[\d+\]: connect from 127\.0\.0\.5 \(127\.0\.0\.5\)`,
		`httpd\[\d+\]: refused connect from 127\.0\.0\.7 \(127\.0\.0\.7\)`,
		`"verdict":"granted","reason":"allow-table","daemon":"sshd"`,
		`"event":"session-end".*"daemon":"httpd","kind":"redirect".*"bytes_in":15,"bytes_out":69`,
		`events: 8 \(granted 3, refused 4\)`,
		`access:   denied`,
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("the demo's output has no match for %s", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
