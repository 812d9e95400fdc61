package hostsfile

// These tests are inside the package: they set the cache's clock, and
// craft snapshot headers to stand for races a test cannot time.

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tcpwrap/access"
)

func bigTable(n int, extra string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "ALL: 10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	return b.String() + extra
}

// replaceFile writes a new file and renames it into place, as editors
// and tcpdwatch do.
func replaceFile(t testing.TB, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func decide(tab *access.Table, client string) access.Decision {
	req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: client}, User: access.Unknown}
	return access.Policy{Deny: tab}.Check(req, access.Hooks{})
}

// later is a clock an hour ahead: every file written by the test is then
// old enough for its identity alone to be trusted.
func later() time.Time { return time.Now().Add(time.Hour) }

// A snapshot is used only while the table and its /file lists are
// unchanged, and decides exactly as the table does.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	deny, list := filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "list")
	replaceFile(t, list, "192.0.2.9\n")
	replaceFile(t, deny, bigTable(5000, "ALL: "+list+"\n"))
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	check := func(client string, want access.Verdict) {
		t.Helper()
		tab := c.ReadTable(deny, OS{})
		if d := decide(tab, client); d.Verdict != want {
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
	replaceFile(t, list, "192.0.2.10\n")
	check("192.0.2.10", access.Denied)
	check("192.0.2.9", access.Granted)
	// The table changes: a new snapshot, in the same file; a new file a
	// dead writer left long ago is removed, a recent one (being written)
	// is not.
	stale, recent := filepath.Join(dir, "cache", ".snap-1"), filepath.Join(dir, "cache", ".snap-2")
	os.WriteFile(stale, nil, 0o600)
	os.WriteFile(recent, nil, 0o600)
	os.Chtimes(stale, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	replaceFile(t, deny, bigTable(10, "ALL: "+list+"\n"))
	check("10.0.19.135", access.Granted)
	if snaps, _ := filepath.Glob(filepath.Join(dir, "cache", "*.snap")); len(snaps) != 1 {
		t.Fatalf("%d snapshots, want 1", len(snaps))
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("a stale new file was left")
	}
	if _, err := os.Stat(recent); err != nil {
		t.Error("a recent new file was removed")
	}
}

// Each way a lookup can go, in the order a table's life takes them.
func TestCacheOutcomes(t *testing.T) {
	dir := t.TempDir()
	deny, list := filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "list")
	replaceFile(t, list, "192.0.2.9\n")
	replaceFile(t, deny, bigTable(3000, "ALL: "+list+"\n"))
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	steps := []struct {
		name   string
		change func()
		clock  func() time.Time
		want   Outcome
		client string
		denied bool
	}{
		{"first use", nil, time.Now, Compiled, "192.0.2.9", true},
		{"files just written: checked by content", nil, time.Now, Verified, "10.0.11.183", true},
		{"again: still checked, not rewritten", nil, time.Now, Verified, "192.0.2.10", false},
		{"files now old: checked, then rewritten", nil, later, Verified, "192.0.2.9", true},
		{"identities alone", nil, later, Trusted, "192.0.2.9", true},
		{"table touched, same text", func() {
			now := time.Now().Add(-time.Minute)
			os.Chtimes(deny, now, now)
		}, later, Reused, "10.0.11.183", true},
		{"rewritten after the touch", nil, later, Trusted, "10.0.11.183", true},
		{"list edited", func() { replaceFile(t, list, "192.0.2.10\n") }, later, Compiled, "192.0.2.10", true},
		{"list removed", func() { os.Remove(list) }, later, Compiled, "192.0.2.10", false},
		{"list still missing", nil, later, Trusted, "192.0.2.9", false},
		{"list back", func() { replaceFile(t, list, "192.0.2.9\n") }, later, Compiled, "192.0.2.9", true},
		{"table edited", func() { replaceFile(t, deny, bigTable(2000, "")) }, later, Compiled, "10.0.11.183", false},
		{"table too small for a snapshot", func() { c.MinSize = 1 << 30 }, later, Uncached, "10.0.0.7", true},
	}
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		c.now = s.clock
		tab, how := c.Lookup(deny, OS{})
		if how != s.want {
			t.Fatalf("%s: %v, want %v", s.name, how, s.want)
		}
		if d := decide(tab, s.client); (d.Verdict == access.Denied) != s.denied {
			t.Fatalf("%s: %s %v", s.name, s.client, d.Verdict)
		}
		tab.Close()
	}
	if tab, how := c.Lookup(filepath.Join(dir, "missing"), OS{}); tab != nil || how != Uncached {
		t.Fatalf("missing table: %v %v", tab, how)
	}
}

// Whatever state a /file list is in (missing, behind a file, a
// directory, readable), a table from the cache decides exactly as the
// table read from source, warnings included, and the snapshot follows
// each change.
func TestCacheListStates(t *testing.T) {
	dir := t.TempDir()
	deny, sub := filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "sub")
	list := filepath.Join(sub, "list")
	replaceFile(t, deny, bigTable(2000, "ALL: "+list+"\n"))
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1, now: later}
	for _, st := range []struct {
		name   string
		change func() error
	}{
		{"missing", func() error { return nil }},
		{"behind a file (ENOTDIR)", func() error { return os.WriteFile(sub, []byte("x"), 0o644) }},
		{"directory there, list missing", func() error {
			os.Remove(sub)
			return os.Mkdir(sub, 0o755)
		}},
		{"readable", func() error { return os.WriteFile(list, []byte("192.0.2.9\n"), 0o644) }},
		{"a directory", func() error {
			os.Remove(list)
			return os.Mkdir(list, 0o755)
		}},
	} {
		if err := st.change(); err != nil {
			t.Fatal(err)
		}
		ref := ReadTable(deny, OS{})
		for i, want := range []Outcome{Compiled, Trusted} {
			tab, how := c.Lookup(deny, OS{})
			if how != want {
				t.Fatalf("%s, lookup %d: %v, want %v", st.name, i, how, want)
			}
			for _, client := range []string{"192.0.2.9", "10.0.0.5", "127.0.0.1"} {
				d1, d2 := decide(ref, client), decide(tab, client)
				if d1.Verdict != d2.Verdict || d1.Reason != d2.Reason || fmt.Sprint(d1.Log) != fmt.Sprint(d2.Log) {
					t.Fatalf("%s, %s: cache %v %v %q, source %v %v %q", st.name, client, d2.Verdict, d2.Reason, d2.Log, d1.Verdict, d1.Reason, d1.Log)
				}
			}
			tab.Close()
		}
	}
}

// rewriteHeader replaces a snapshot file's header, keeping its compiled
// table: it stands for what a racing writer could have recorded.
func rewriteHeader(t *testing.T, file string, edit func(made *int64, recs []fileRecord)) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	made, recs, body, ok := parseHeader(data)
	if !ok {
		t.Fatal("cannot read the header")
	}
	edit(&made, recs)
	if err := os.WriteFile(file, append(appendHeader(nil, made, recs), body...), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The racy case: the table changes, within the timestamp granularity,
// right after it was read for the snapshot, so that its identity (size,
// times) is the one recorded while its text is not. The snapshot, made
// just then, is not trusted on identity alone: the content check finds
// the change. The same snapshot, had it been made well after the file's
// times, would be trusted, which is why the check is needed.
func TestCacheRacyTable(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	old := bigTable(3000, "ALL: 192.0.2.1\n")
	edited := strings.Replace(old, "192.0.2.1", "192.0.2.2", 1) // same size
	for _, tt := range []struct {
		name   string
		made   func(st identity) int64
		want   Outcome
		denied string
	}{
		{"made within the settle time of the change", func(st identity) int64 { return st.ctime }, Compiled, "192.0.2.2"},
		{"made long after", func(st identity) int64 { return st.ctime + int64(time.Hour) }, Trusted, "192.0.2.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			replaceFile(t, deny, old)
			c.now = nil
			tab, how := c.Lookup(deny, OS{})
			if how != Compiled {
				t.Fatalf("first lookup: %v", how)
			}
			tab.Close()
			replaceFile(t, deny, edited)
			fi, err := os.Stat(deny)
			if err != nil {
				t.Fatal(err)
			}
			st := identityOf(fi)
			rewriteHeader(t, c.snapshotPath(deny), func(made *int64, recs []fileRecord) {
				recs[0].id = st // the old text's hash, the new file's identity
				*made = tt.made(st)
			})
			c.now = func() time.Time { return time.Unix(0, st.ctime).Add(2 * time.Hour) }
			tab, how = c.Lookup(deny, OS{})
			if how != tt.want {
				t.Fatalf("%v, want %v", how, tt.want)
			}
			if d := decide(tab, tt.denied); d.Verdict != access.Denied {
				t.Fatalf("%s: %v", tt.denied, d.Verdict)
			}
		})
	}
}

// A cache directory others may write to is not trusted.
func TestCacheRefusesSharedDirectory(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	replaceFile(t, deny, bigTable(100, ""))
	cdir := filepath.Join(dir, "cache")
	os.Mkdir(cdir, 0o777)
	os.Chmod(cdir, 0o777)
	c := &Cache{Dir: cdir, MinSize: 1}
	c.ReadTable(deny, OS{})
	if snaps, _ := filepath.Glob(filepath.Join(cdir, "*.snap")); len(snaps) != 0 {
		t.Fatalf("wrote a snapshot into a world-writable directory: %v", snaps)
	}
	// Nor a snapshot file others may write.
	os.Chmod(cdir, 0o700)
	c.ReadTable(deny, OS{})
	file := c.snapshotPath(deny)
	os.Chmod(file, 0o666)
	c.now = later
	if _, how := c.Lookup(deny, OS{}); how != Compiled {
		t.Fatalf("a world-writable snapshot was used: %v", how)
	}
}

// A damaged snapshot is ignored, not trusted: a truncated file at load,
// a damaged block by the decision that reads it, which is then made on
// the table compiled from source, and the snapshot replaced.
func TestCacheDamaged(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	replaceFile(t, deny, bigTable(3000, ""))
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1, now: later}
	c.ReadTable(deny, OS{})
	file := c.snapshotPath(deny)
	data, _ := os.ReadFile(file)
	os.WriteFile(file, data[:len(data)-7], 0o600)
	tab, how := c.Lookup(deny, OS{})
	if how != Compiled {
		t.Fatalf("truncated: %v", how)
	}
	if d := decide(tab, "10.0.0.99"); d.Verdict != access.Denied {
		t.Fatalf("after damage: %v", d.Verdict)
	}

	// Damage the text of the last rule (the blob ends the file).
	data, _ = os.ReadFile(file)
	last := "ALL: 10.0.11.183"
	at := strings.LastIndex(string(data), last)
	data[at+len(last)-1] ^= 1
	os.WriteFile(file, data, 0o600)
	tab, how = c.Lookup(deny, OS{})
	if how != Trusted {
		t.Fatalf("damaged block: %v (found at load?)", how)
	}
	d := decide(tab, "10.0.11.183")
	if d.Verdict != access.Denied || d.Rule == nil || d.Rule.Line != 3000 || d.Rule.Text != last {
		t.Fatalf("damaged block: %v %+v", d.Verdict, d.Rule)
	}
	if _, how := c.Lookup(deny, OS{}); how != Trusted {
		t.Fatalf("after the fallback: %v, want a new snapshot", how)
	}
	if again, _ := os.ReadFile(file); string(again) == string(data) {
		t.Fatal("the damaged snapshot is still there")
	}
}

// Many lookups and decisions at once (run with -race), while the table
// changes under them.
func TestCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	replaceFile(t, deny, bigTable(3000, ""))
	c := &Cache{Dir: filepath.Join(dir, "cache"), MinSize: 1}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				tab := c.ReadTable(deny, OS{})
				// Rule 1 is in every version of the table.
				if d := decide(tab, "10.0.0.0"); d.Verdict != access.Denied {
					errs <- fmt.Sprintf("goroutine %d, round %d: %v", g, i, d.Verdict)
					return
				}
				tab.Close()
			}
		}()
	}
	for i := range 5 {
		replaceFile(t, deny, bigTable(3000+i, ""))
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// FuzzCacheHeader: a snapshot file's header, however damaged, never
// panics the reader, and what it reads writes back the same. With fix,
// the header's length and checksum are made to fit, so that the records
// themselves are read.
func FuzzCacheHeader(f *testing.F) {
	recs := []fileRecord{
		{path: "/etc/hosts.deny", id: identity{dev: 1, ino: 2, size: 3, mtime: 4, ctime: 5, exists: true}, readOK: true},
		{path: "/etc/list", id: identity{errno: 2}},
	}
	f.Add(append(appendHeader(nil, 12345, recs), "body"...), false)
	f.Add(appendHeader(nil, 1, recs[:1]), true)
	f.Fuzz(func(t *testing.T, data []byte, fix bool) {
		if fix && len(data) >= 24 {
			binary.LittleEndian.PutUint32(data[20:], uint32(len(data)))
			binary.LittleEndian.PutUint32(data[16:], access.Checksum(data[20:]))
		}
		made, recs, body, ok := parseHeader(data)
		if !ok {
			return
		}
		made2, recs2, body2, ok := parseHeader(append(appendHeader(nil, made, recs), body...))
		if !ok || made2 != made || string(body2) != string(body) || fmt.Sprint(recs2) != fmt.Sprint(recs) {
			t.Fatalf("read back %v %v, want %v %v", made2, recs2, made, recs)
		}
	})
}

// BenchmarkCacheReadTable is what tcpd pays for a 100,000-line
// hosts.deny (page cache hot): find the snapshot, check the table's
// identity, map it, decide one request, unmap it. The empty table is the
// reference: it is read and compiled, as every table under MinSize is.
func BenchmarkCacheReadTable(b *testing.B) {
	dir := b.TempDir()
	deny, empty := filepath.Join(dir, "hosts.deny"), filepath.Join(dir, "empty")
	replaceFile(b, deny, bigTable(100000, ""))
	replaceFile(b, empty, "")
	c := &Cache{Dir: filepath.Join(dir, "cache"), now: later}
	if _, how := c.Lookup(deny, OS{}); how != Compiled {
		b.Fatal(how)
	}
	for _, bc := range []struct {
		name, table, client string
		want                access.Verdict
		how                 Outcome
	}{
		{"empty", empty, "127.0.0.1", access.Granted, Uncached},
		{"100000/granted", deny, "127.0.0.1", access.Granted, Trusted},
		{"100000/denied-first", deny, "10.0.0.0", access.Denied, Trusted},
		{"100000/denied-last", deny, "10.1.134.159", access.Denied, Trusted},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab, how := c.Lookup(bc.table, OS{})
				if how != bc.how {
					b.Fatal(how)
				}
				if d := decide(tab, bc.client); d.Verdict != bc.want {
					b.Fatal(d.Verdict)
				}
				tab.Close()
			}
		})
	}
}
