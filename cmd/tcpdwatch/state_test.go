package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
)

// TestPositionsRoundTrip: positions saved are read back, paths with odd
// characters included; a damaged file is moved aside, never trusted.
func TestPositionsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "positions")
	ps, err := loadPositions(path)
	if err != nil || len(ps.m) != 0 {
		t.Fatalf("missing file: %v, %v", ps, err)
	}
	a := logscan.Position{Dev: 1, Ino: 2, Offset: 300}
	a.Sum[0] = 0xab
	b := logscan.Position{Dev: 9, Ino: 8, Offset: 7}
	ps.set("/var/log/auth.log", a)
	ps.set("/var/log/with space\tand\"quote", b)
	if err := ps.save(); err != nil {
		t.Fatal(err)
	}
	ps2, err := loadPositions(path)
	if err != nil {
		t.Fatal(err)
	}
	if ps2.get("/var/log/auth.log") != a || ps2.get("/var/log/with space\tand\"quote") != b {
		t.Errorf("read back %+v", ps2.m)
	}

	for _, bad := range []string{
		"",                                  // empty
		"tcpdwatch-positions 2\n",           // other version
		positionsHeader + "\n\"/a\"\t1 2 3", // cut short
		positionsHeader + "\n\"a\"\t1 2 3 " + strings.Repeat("0", 64) + "\n", // relative
		positionsHeader + "\n\"/a\"\t1 2\n",                                  // short position
	} {
		writeFile(t, path, bad)
		ps, err := loadPositions(path)
		if err == nil || ps == nil || len(ps.m) != 0 {
			t.Errorf("%q: %v, %v", bad, ps, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%q: the damaged file was not moved aside", bad)
		}
	}
	if m, _ := filepath.Glob(path + ".damaged-*"); len(m) != 5 {
		t.Errorf("damaged files kept: %v", m)
	}
}

func ev(addr string, at time.Time) watch.Event {
	return watch.Event{Time: at, Addr: netip.MustParseAddr(addr), Verdict: watch.Refused, Daemon: "in.fingerd"}
}

// TestHistory: first and last times per source, IPv6 by prefix, bounded,
// saved and read back.
func TestHistory(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	h := newHistory(filepath.Join(t.TempDir(), "sources"), 100, 64)
	h.observe(ev("192.0.2.7", t0))
	h.observe(ev("192.0.2.7", t0.Add(-time.Hour))) // an older line read later
	h.observe(ev("2001:db8:1:2::1", t0))
	h.observe(ev("2001:db8:1:2::ffff", t0.Add(time.Minute)))     // same /64
	h.observe(ev("::ffff:198.51.100.1", t0.Add(2*time.Minute)))  // mapped: IPv4
	h.observe(watch.Event{Time: t0, Name: "no.address.example"}) // no address: not kept
	if h.len() != 3 {
		t.Fatalf("%d sources, want 3: %v", h.len(), h.m)
	}
	p := netip.MustParsePrefix
	for _, tc := range []struct {
		src    string
		before time.Time
		want   bool
	}{
		{"192.0.2.7/32", t0, true},                         // first seen an hour before
		{"192.0.2.7/32", t0.Add(-time.Hour), false},        // not before its first time
		{"2001:db8:1:2::/64", t0.Add(time.Second), true},   // the prefix
		{"2001:db8:1:2::5/128", t0.Add(time.Second), true}, // an address within it
		{"2001:db8:1::/48", t0.Add(time.Second), false},    // wider than kept: unknown
		{"198.51.100.1/32", t0.Add(time.Hour), true},
		{"198.51.100.0/24", t0.Add(time.Hour), false}, // IPv4 only by address
		{"203.0.113.1/32", t0.Add(time.Hour), false},
	} {
		if got := h.knownBefore(p(tc.src), tc.before.Unix()); got != tc.want {
			t.Errorf("knownBefore(%s, %v) = %v", tc.src, tc.before, got)
		}
	}
	if err := h.save(); err != nil {
		t.Fatal(err)
	}
	h2, err := loadHistory(h.path, 100, 64, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h2.marshal(), h.marshal()) {
		t.Errorf("read back:\n%s\nwant:\n%s", h2.marshal(), h.marshal())
	}
	// Kept under another prefix length: not used (the keys would be
	// wrong), and moved aside by the daemon.
	if _, err := loadHistory(h.path, 100, 48, false); err == nil {
		t.Error("a /64 history was read as a /48 one")
	}

	// Bounded: past the maximum, the sources seen longest ago go.
	small := newHistory("", 10, 64)
	for i := range 25 {
		small.observe(ev(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}).String(), t0.Add(time.Duration(i)*time.Second)))
	}
	if small.len() > 10 {
		t.Errorf("%d sources kept, max 10", small.len())
	}
	if !small.knownBefore(p("192.0.2.24/32"), t0.Add(time.Hour).Unix()) {
		t.Error("the newest source was forgotten")
	}
	if small.knownBefore(p("192.0.2.0/32"), t0.Add(time.Hour).Unix()) {
		t.Error("the oldest source was kept")
	}
}

// TestHistoryDamaged: damaged files are refused with the line.
func TestHistoryDamaged(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"", "empty file"},
		{"tcpdwatch-sources 1\n", "bad header"},
		{historyHeader + " ipv6-prefix=64\n192.0.2.0/24 1 2\n", "line 2: bad source"},
		{historyHeader + " ipv6-prefix=64\n2001:db8::/48 1 2\n", "line 2: bad source"},
		{historyHeader + " ipv6-prefix=64\n192.0.2.1 1 2\n", "line 2: bad source"},
		{historyHeader + " ipv6-prefix=64\n192.0.2.1/32 3 2\n", "line 2: bad times"},
		{historyHeader + " ipv6-prefix=64\n192.0.2.1/32 1 2\n192.0.2.1/32 1 2\n", "line 3: 192.0.2.1/32 twice"},
		{historyHeader + " ipv6-prefix=64\n" + strings.Repeat("x", 5000) + "\n", "line 2: bufio.Scanner: token too long"},
	} {
		_, err := parseHistory(strings.NewReader(tc.data), 10, 64)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%.40q: %v, want %q", tc.data, err, tc.want)
		}
	}
}
