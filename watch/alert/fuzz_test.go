package alert_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"tcpwrap/watch/alert"
)

// The configuration parser never panics, every error names the file and
// line, and whatever it accepts is valid.
func FuzzParseConfig(f *testing.F) {
	if src, err := os.ReadFile("testdata/alert.conf"); err == nil {
		f.Add(src)
	}
	f.Add([]byte("[alert]\nquiet = 1m\n"))
	f.Add([]byte("[rule r]\nkind = threshold\ncount = 3\nwithin = 1m\nactions = a\n[action a]\nkind = webhook\nurl = http://127.0.0.1/\n"))
	f.Add([]byte("[action p]\nkind = program\nargv = /bin/x \"{source}\" {{\n"))
	f.Add([]byte("[rule\n= x\n[ban]\nfoo\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := alert.ParseConfig(src, "f.conf")
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "f.conf:") {
					t.Fatalf("error without file and line: %q", l)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
	})
}

// The seen file loader never panics, and what it accepts survives a
// round trip unchanged.
func FuzzSeenFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"created":"2026-01-01T00:00:00Z","entries":[{"r":"fresh","s":"sshd","a":"192.0.2.1","t":1767225600}]}`))
	f.Add([]byte(`{"version":1,"created":"2026-01-01T00:00:00Z","entries":[]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"created":"2026-01-01T00:00:00Z","entries":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := alert.RoundTripSeen(data, 10)
		if err != nil {
			return
		}
		again, err := alert.RoundTripSeen(out, 10)
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, out)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip changed the file:\n%s\n%s", out, again)
		}
	})
}

// Clean's output is printable ASCII, bounded, and keeps plain text.
func FuzzClean(f *testing.F) {
	f.Add("host.example.org")
	f.Add("evil\r\nBcc: x@y")
	f.Add("\x1b]0;title\x07\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		c := alert.Clean(s)
		for i := 0; i < len(c); i++ {
			if c[i] < 0x20 || c[i] >= 0x7f {
				t.Fatalf("Clean(%q) = %q has byte %#x", s, c, c[i])
			}
		}
		if len(c) > 200+16 {
			t.Fatalf("Clean(%q) is %d bytes", s, len(c))
		}
		plain := utf8.ValidString(s) && len(s) <= 200 && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f || r == '\\' })
		if plain && c != s {
			t.Fatalf("Clean(%q) = %q changed plain text", s, c)
		}
	})
}
