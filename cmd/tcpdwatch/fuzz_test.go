package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseConfig: any input either parses or fails with messages that
// each name the file and a line, one per line; nothing panics. A file
// that parses once parses the same way again.
func FuzzParseConfig(f *testing.F) {
	if src, err := os.ReadFile(filepath.Join("..", "..", "examples", "tcpdwatch.conf")); err == nil {
		f.Add(string(src))
	}
	f.Add(minimal)
	f.Add(minimal + "[rule r]\nkind = threshold\ncount = 3\nwithin = 1m\nactions = ban\n[ban]\nfile = /b\n")
	f.Add("[input a]\nudp = 127.0.0.1:1\ndaemons = *\nallow = 10.0.0.0/8\n")
	f.Add("[tcpdwatch\n= x\n[input \"a b\"]\n")
	f.Fuzz(func(t *testing.T, src string) {
		cfg, err := ParseConfig([]byte(src), "f.conf")
		if err != nil {
			if cfg != nil {
				t.Fatal("a configuration together with an error")
			}
			for _, m := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(m, "f.conf:") || lineOf(m) < 1 {
					t.Fatalf("message without file and line: %q", m)
				}
			}
			return
		}
		if len(cfg.Inputs) == 0 {
			t.Fatal("a configuration without inputs")
		}
		for _, in := range cfg.Inputs {
			if in.IsFile() == (in.UDP != "" || in.TCP != "") {
				t.Fatalf("input %q is neither or both a file and a receiver", in.Name)
			}
			if !in.IsFile() && len(in.Allow) == 0 {
				t.Fatalf("receiver %q accepts anyone without saying so", in.Name)
			}
		}
		if _, err := ParseConfig([]byte(src), "f.conf"); err != nil {
			t.Fatalf("parsed once, not twice: %v", err)
		}
	})
}

// FuzzParsePositions: a positions file either is refused or reads back
// to what it writes.
func FuzzParsePositions(f *testing.F) {
	f.Add(positionsHeader + "\n\"/var/log/auth.log\"\t1 2 3 " + strings.Repeat("ab", 32) + "\n")
	f.Add(positionsHeader + "\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, data string) {
		m, err := parsePositions([]byte(data))
		if err != nil {
			return
		}
		out := marshalPositions(m)
		m2, err := parsePositions(out)
		if err != nil {
			t.Fatalf("written positions do not read back: %v\n%s", err, out)
		}
		if !bytes.Equal(marshalPositions(m2), out) {
			t.Fatalf("not stable:\n%s", out)
		}
	})
}

// FuzzParseHistory: a sources file either is refused or reads back to
// what it writes.
func FuzzParseHistory(f *testing.F) {
	f.Add(historyHeader + " ipv6-prefix=64\n192.0.2.1/32 1 2\n2001:db8::/64 5 9\n")
	f.Add(historyHeader + " ipv6-prefix=64\n")
	f.Add("x")
	f.Fuzz(func(t *testing.T, data string) {
		h, err := parseHistory(strings.NewReader(data), 1000, 64)
		if err != nil {
			return
		}
		out := h.marshal()
		h2, err := parseHistory(bytes.NewReader(out), 1000, 64)
		if err != nil {
			t.Fatalf("written history does not read back: %v\n%s", err, out)
		}
		if !bytes.Equal(h2.marshal(), out) {
			t.Fatalf("not stable:\n%s", out)
		}
	})
}
