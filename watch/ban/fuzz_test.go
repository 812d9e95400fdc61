package ban_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"tcpwrap/watch/ban"
)

// The state loader never panics, refuses what it does not understand,
// and what it accepts survives a round trip unchanged.
func FuzzStateFile(f *testing.F) {
	if data, err := os.ReadFile("testdata/state.golden"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"records":[]}`))
	f.Add([]byte(`{"version":1,"records":[{"prefix":"0.0.0.0/0","since":"2026-03-01T12:00:00Z","until":"2026-03-01T13:00:00Z","offences":1}]}`))
	f.Add([]byte(`{"version":1,"records":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := ban.RoundTripState(data)
		if err != nil {
			return
		}
		again, err := ban.RoundTripState(out)
		if err != nil {
			t.Fatalf("cannot read back what was written: %v\n%s", err, out)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("round trip changed the state:\n%s\n%s", out, again)
		}
	})
}

// The configuration parser never panics, names file and line in every
// error, and never accepts a ban wider than the minimum prefixes.
func FuzzParseConfig(f *testing.F) {
	if data, err := os.ReadFile("testdata/ban.conf"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("[ban]\nfile = /b\nprefix6 = 32\n"))
	f.Add([]byte("[ban]\nfile = /b\nallow = ::/0 0.0.0.0/0\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, ok, err := ban.ParseConfig(src, "f.conf")
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(l, "f.conf:") {
					t.Fatalf("error without file and line: %q", l)
				}
			}
			return
		}
		if !ok {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted an invalid configuration: %v", err)
		}
		if cfg.Prefix4 != 0 && cfg.Prefix4 < ban.MinPrefix4 || cfg.Prefix6 != 0 && cfg.Prefix6 < ban.MinPrefix6 {
			t.Fatalf("accepted prefix lengths %d, %d", cfg.Prefix4, cfg.Prefix6)
		}
	})
}

// Every pattern ParsePattern accepts is the one Pattern writes for it.
func FuzzParsePattern(f *testing.F) {
	for _, w := range []string{"192.0.2.7", "198.51.100.0/255.255.255.0", "[2001:db8::7]", "[2001:db8:1:2::]/64", "[::]/0", "1.2.3.4/0.0.0.0"} {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, w string) {
		p, ok := ban.ParsePattern(w)
		if !ok {
			return
		}
		back, ok := ban.ParsePattern(ban.Pattern(p))
		if !ok || back != p {
			t.Fatalf("ParsePattern(%q) = %v, but Pattern gives %q which reads as %v", w, p, ban.Pattern(p), back)
		}
	})
}
