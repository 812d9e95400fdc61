package hostsfile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpwrap/access"
	"tcpwrap/hostsfile"
)

func bigTable(n int, extra string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "ALL: 10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	return b.String() + extra
}

// A snapshot is used only while the table and its /file lists are
// unchanged, and decides exactly as the table does.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	deny, list := filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "list")
	write(t, list, "192.0.2.9\n")
	write(t, deny, bigTable(5000, "ALL: "+list+"\n"))
	c := &hostsfile.Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	check := func(client string, want access.Verdict) {
		t.Helper()
		tab := c.ReadTable(deny, hostsfile.OS{})
		d := access.Policy{Deny: tab}.Check(req(client), access.Hooks{})
		if d.Verdict != want {
			t.Fatalf("%s: %v, want %v", client, d.Verdict, want)
		}
	}
	check("10.0.19.135", access.Denied) // rule 5000 - 1 = 4999 = 0x1387
	snaps, _ := filepath.Glob(filepath.Join(dir, "cache", "*.snap"))
	if len(snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(snaps))
	}
	check("10.0.19.135", access.Denied) // from the snapshot now
	check("192.0.2.9", access.Denied)
	check("192.0.2.10", access.Granted)
	// The list changes: the snapshot must not be used.
	write(t, list, "192.0.2.10\n")
	check("192.0.2.10", access.Denied)
	check("192.0.2.9", access.Granted)
	// The table changes: a new snapshot.
	write(t, deny, bigTable(10, "ALL: "+list+"\n"))
	check("10.0.19.135", access.Granted)
}

// A cache directory others may write to is not trusted.
func TestCacheRefusesSharedDirectory(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	write(t, deny, bigTable(100, ""))
	cdir := filepath.Join(dir, "cache")
	os.Mkdir(cdir, 0o777)
	os.Chmod(cdir, 0o777)
	c := &hostsfile.Cache{Dir: cdir, MinSize: 1}
	c.ReadTable(deny, hostsfile.OS{})
	if snaps, _ := filepath.Glob(filepath.Join(cdir, "*.snap")); len(snaps) != 0 {
		t.Fatalf("wrote a snapshot into a world-writable directory: %v", snaps)
	}
}

// A damaged snapshot is ignored, not trusted.
func TestCacheDamaged(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	write(t, deny, bigTable(100, ""))
	c := &hostsfile.Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	c.ReadTable(deny, hostsfile.OS{})
	snaps, _ := filepath.Glob(filepath.Join(dir, "cache", "*.snap"))
	data, _ := os.ReadFile(snaps[0])
	os.WriteFile(snaps[0], data[:len(data)-7], 0o600)
	tab := c.ReadTable(deny, hostsfile.OS{})
	if d := (access.Policy{Deny: tab}).Check(req("10.0.0.99"), access.Hooks{}); d.Verdict != access.Denied {
		t.Fatalf("after damage: %v", d.Verdict)
	}
}
