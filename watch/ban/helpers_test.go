package ban_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"tcpwrap/internal/fakeclock"
	"tcpwrap/watch/ban"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newClock is a clock the test moves by hand, at t0.
func newClock() *fakeclock.Clock { return fakeclock.New(t0) }

// noLocal is a machine with no addresses of its own (the tests use
// documentation addresses, which are nobody's).
func noLocal() ([]netip.Addr, error) { return nil, nil }

// setup is a list in a fresh directory.
type setup struct {
	dir, file, state string
	clock            *fakeclock.Clock
	cfg              ban.Config
}

func newSetup(t testing.TB, change func(*ban.Config)) *setup {
	t.Helper()
	dir := t.TempDir()
	s := &setup{dir: dir, file: filepath.Join(dir, "banned"), state: filepath.Join(dir, "state", "bans.json"), clock: newClock()}
	s.cfg = ban.Config{File: s.file, State: s.state}
	if change != nil {
		change(&s.cfg)
	}
	return s
}

func (s *setup) open(t testing.TB) *ban.List {
	t.Helper()
	l, err := ban.Open(s.cfg, ban.Options{Clock: s.clock, LocalAddrs: noLocal})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (s *setup) list(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }
