package access_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"tcpwrap/access"
)

// snapClients are the clients every snapshot test decides, besides its
// own: they reach the exact, prefix, suffix, net/mask and IPv6 keys of the
// seed tables.
var snapClients = []string{"10.0.0.1", "10.0.0.2", "10.1.2.3", "192.0.2.5", "192.0.2.9", "2001:db8::1", "::ffff:10.1.2.3", "127.0.0.1", "10.255.255.255", "unknown"}

// snapSeeds exercise every part of the format: each kind of key, a key
// longer than a record holds, options, lists of several rules, generic
// rules, warnings, a truncated last line.
var snapSeeds = []string{
	"sshd: 10.0.0.1 10.1.\nALL: .0.2 [2001:db8::]/32 192.0.2.0/255.255.255.0 EXCEPT 192.0.2.9\nin.ftpd: KNOWN: spawn x %a\nbad line\n",
	"ALL: 10.0.0.1\nALL: 10.0.0.1\nsshd: 10.0.0.1, 10.0.0.2\n# c\nx",
	"ALL: 10.0.0.1.2.3.4.5.6.7.8.9.10.11.12\nsshd: 10.0.0.2: deny\nALL: 10.0.0.2 : allow\nsshd: 10.\nsshd: 10.\nALL: [2001:db8::]/32 [2001:db8::]/32\n",
	"sshd: 10.0.0.1/8 10.0.0.0/8 10.1.0.0/16: severity auth.warning\nALL: .0.1 .1.2.3\nALL EXCEPT sshd: 192.0.2.9\n",
	"",
}

func decideBoth(t *testing.T, orig, loaded *access.Table, client string) (d1, d2 access.Decision) {
	t.Helper()
	req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: client}, User: access.Unknown}
	d1 = access.Policy{Deny: orig}.Decide(access.NewFacts(req, access.Hooks{}))
	d2 = access.Policy{Deny: loaded}.Decide(access.NewFacts(req, access.Hooks{}))
	return d1, d2
}

// sameDecision reports how two decisions differ, or "".
func sameDecision(d1, d2 access.Decision) string {
	if d1.Verdict != d2.Verdict || d1.Reason != d2.Reason || (d1.Rule == nil) != (d2.Rule == nil) ||
		(d1.Rule != nil && (d1.Rule.Line != d2.Rule.Line || d1.Rule.Text != d2.Rule.Text ||
			d1.Rule.Options != d2.Rule.Options || d1.Rule.HasOptions != d2.Rule.HasOptions)) ||
		len(d1.Log) != len(d2.Log) || len(d1.Actions) != len(d2.Actions) {
		return fmt.Sprintf("%v/%v/%+v vs %v/%v/%+v (log %q vs %q)", d1.Verdict, d1.Reason, d1.Rule, d2.Verdict, d2.Reason, d2.Rule, d1.Log, d2.Log)
	}
	for i := range d1.Log {
		if d1.Log[i] != d2.Log[i] {
			return fmt.Sprintf("log %d: %q vs %q", i, d1.Log[i].Text, d2.Log[i].Text)
		}
	}
	return ""
}

// A table loaded from its snapshot decides every request exactly as the
// table it was made from, lists the same rules and warnings, and refuses
// a truncated copy.
func FuzzSnapshot(f *testing.F) {
	for _, s := range snapSeeds {
		f.Add(s, "10.0.0.2")
	}
	f.Fuzz(func(t *testing.T, table, client string) {
		orig := access.Parse([]byte(table), "hosts.deny", access.ParseOptions{})
		snap := orig.AppendSnapshot(nil)
		loaded, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
		if err != nil {
			t.Fatalf("LoadSnapshot of a fresh snapshot: %v", err)
		}
		if loaded.NumRules() != len(orig.Rules) || loaded.Rules != nil {
			t.Fatalf("%d rules (Rules %d), want %d", loaded.NumRules(), len(loaded.Rules), len(orig.Rules))
		}
		for _, c := range append([]string{client}, snapClients...) {
			if diff := sameDecision(decideBoth(t, orig, loaded, c)); diff != "" {
				t.Fatalf("client %q: %s", c, diff)
			}
		}
		// A table scanned without its index (the reference) stores
		// every rule as one to try.
		noIndex := access.WithoutIndex(access.Policy{Deny: orig}).Deny
		fromNoIndex, err := access.LoadSnapshot(noIndex.AppendSnapshot(nil), "hosts.deny", access.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameDecision(decideBoth(t, orig, fromNoIndex, client)); diff != "" {
			t.Fatalf("client %q, snapshot of the table without its index: %s", client, diff)
		}
		all := loaded.AllRules()
		for i, r := range orig.Rules {
			if all[i].Line != r.Line || all[i].Text != r.Text || all[i].Options != r.Options || all[i].HasOptions != r.HasOptions {
				t.Fatalf("rule %d: %+v, want %+v", i, all[i], r)
			}
		}
		if fmt.Sprint(loaded.Warnings()) != fmt.Sprint(orig.Warnings()) || fmt.Sprint(loaded.Files()) != fmt.Sprint(orig.Files()) {
			t.Fatalf("warnings %q files %q, want %q %q", loaded.Warnings(), loaded.Files(), orig.Warnings(), orig.Files())
		}
		if !loaded.Verify() {
			t.Fatal("a fresh snapshot does not verify")
		}
		if again := loaded.AppendSnapshot(nil); string(again) != string(snap) {
			t.Fatal("a loaded table's snapshot differs from the one it was loaded from")
		}
		for i := len(snap) - 1; i >= 0 && i > len(snap)-64; i-- {
			if _, err := access.LoadSnapshot(snap[:i:i], "hosts.deny", access.ParseOptions{}); err == nil {
				t.Fatalf("truncated snapshot (%d of %d bytes) accepted", i, len(snap))
			}
		}
	})
}

// reseal recomputes a snapshot's checksums after it was changed, so that
// the loader and the decisions see the change itself (what a crafted file
// would hold) rather than a checksum mismatch. It leaves data it cannot
// make sense of as it is.
func reseal(b []byte) {
	if len(b) < 32 {
		return
	}
	start, shift := int(binary.LittleEndian.Uint32(b[20:])), binary.LittleEndian.Uint32(b[28:])
	if start < 32 || start > len(b) || shift < 6 || shift > 20 {
		return
	}
	data := b[start:]
	bs := 1 << shift
	nb := (len(data) + bs - 1) / bs
	if 4*nb <= start-32 {
		for i := range nb {
			sum := access.Checksum(data[i*bs : min((i+1)*bs, len(data))])
			binary.LittleEndian.PutUint32(b[start-4*nb+4*i:], sum)
		}
	}
	binary.LittleEndian.PutUint32(b[16:], access.Checksum(b[20:start]))
}

// FuzzLoadSnapshot damages a snapshot: one byte changed (a bit rot, a
// bad sector) or, with reseal, a change whose checksums are made to fit.
// Loading and deciding must never panic or hang. An accidental change
// must never change a decision: either the decision is exactly the one
// compiled from source, or it is a denial for a damaged table, and with
// a fallback it is always exactly the one compiled from source.
func FuzzLoadSnapshot(f *testing.F) {
	for i, s := range snapSeeds {
		f.Add(s, "10.0.0.1", uint32(i*97), byte(1), false)
		f.Add(s, "192.0.2.9", uint32(i*31+40), byte(0x80), true)
	}
	f.Add(snapSeeds[0], "10.0.0.2", uint32(0), byte(0), false)
	f.Fuzz(func(t *testing.T, table, client string, at uint32, flip byte, resealed bool) {
		orig := access.Parse([]byte(table), "hosts.deny", access.ParseOptions{})
		snap := orig.AppendSnapshot(nil)
		damaged := flip != 0
		if damaged {
			snap[int(at%uint32(len(snap)))] ^= flip
		}
		if resealed {
			reseal(snap)
		}
		plain, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
		if err != nil {
			if !damaged {
				t.Fatalf("undamaged snapshot refused: %v", err)
			}
			return
		}
		fallbacks := 0
		withFB, err := access.SnapshotOptions{Fallback: func() *access.Table {
			fallbacks++
			return access.Parse([]byte(table), "hosts.deny", access.ParseOptions{})
		}}.Load(snap, "hosts.deny")
		if err != nil {
			t.Fatalf("loads without a fallback, not with one: %v", err)
		}
		for _, c := range append([]string{client}, snapClients...) {
			d1, d2 := decideBoth(t, orig, plain, c)
			_, d3 := decideBoth(t, orig, withFB, c)
			// Explanations, rule lists and checks must not panic either.
			access.Policy{Deny: plain}.Explain(access.NewFacts(access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c}}, access.Hooks{}), d2)
			if resealed {
				continue // a crafted snapshot decides what it says
			}
			if diff := sameDecision(d1, d3); diff != "" {
				t.Fatalf("client %q with a fallback: %s", c, diff)
			}
			diff := sameDecision(d1, d2)
			if diff == "" {
				continue
			}
			if !damaged {
				t.Fatalf("client %q, undamaged: %s", c, diff)
			}
			if d2.Verdict != access.Denied || d2.Reason != access.ReasonTableError || len(d2.Log) == 0 ||
				!strings.Contains(d2.Log[len(d2.Log)-1].Text, "snapshot is damaged") {
				t.Fatalf("client %q: damage changed the decision: %s", c, diff)
			}
		}
		plain.Items()
		plain.Verify()
		if !damaged && !plain.Verify() {
			t.Fatal("undamaged snapshot does not verify")
		}
		if fallbacks > 1 {
			t.Fatalf("fallback called %d times", fallbacks)
		}
	})
}

// Damage in each part of a snapshot: the header and prelude are refused
// at load; damage in the data is found by the decision that reads it,
// which denies (or, with a fallback, decides on the table compiled from
// source); a decision that reads no damaged block is unaffected.
func TestSnapshotDamage(t *testing.T) {
	src := denyHostsTable(5000)
	orig := access.Parse(src, "hosts.deny", access.ParseOptions{})
	snap := orig.AppendSnapshot(nil)
	start := int(binary.LittleEndian.Uint32(snap[20:]))
	last := nthAddr(4999)
	// Where rule 4999's text is: its record, the blob.
	textAt := strings.LastIndex(string(snap), "ALL: "+last+"\n")
	tests := []struct {
		name     string
		at       int
		loadFail bool
		client   string
		hit      bool // the decision reads the damaged block
	}{
		{"magic", 0, true, last, false},
		{"header checksum", 17, true, last, false},
		{"prelude: table name", 36, true, last, false},
		{"block checksum table", start - 8, true, last, false},
		{"rule record", start + 4999*20 + 2, false, last, true},
		{"rule text", textAt + 6, false, last, true},
		{"rule text, other client", textAt + 6, false, nthAddr(0), false},
		{"last byte (blob)", len(snap) - 1, false, last, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := append([]byte(nil), snap...)
			bad[tt.at] ^= 0x20
			tab, err := access.LoadSnapshot(bad, "hosts.deny", access.ParseOptions{})
			if tt.loadFail {
				if !errors.Is(err, access.ErrBadSnapshot) {
					t.Fatalf("loaded: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d1, d2 := decideBoth(t, orig, tab, tt.client)
			if !tt.hit {
				if diff := sameDecision(d1, d2); diff != "" {
					t.Fatal(diff)
				}
				if tab.Verify() {
					t.Fatal("Verify found no damage")
				}
				return
			}
			if d2.Verdict != access.Denied || d2.Reason != access.ReasonTableError {
				t.Fatalf("%v/%v, want a table error", d2.Verdict, d2.Reason)
			}
			if got := d2.Log[len(d2.Log)-1].Text; got != "warning: hosts.deny: table snapshot is damaged" {
				t.Fatalf("log %q", got)
			}
			// Damage in the allow table denies too, although an allow
			// table that cannot be read otherwise just grants nothing.
			req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: tt.client}, User: access.Unknown}
			if d := (access.Policy{Allow: tab}).Decide(access.NewFacts(req, access.Hooks{})); d.Verdict != access.Denied || d.Reason != access.ReasonTableError {
				t.Fatalf("damaged allow table: %v/%v", d.Verdict, d.Reason)
			}
			calls := 0
			fb, err := access.SnapshotOptions{Fallback: func() *access.Table {
				calls++
				return access.Parse(src, "hosts.deny", access.ParseOptions{})
			}}.Load(bad, "hosts.deny")
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if diff := sameDecision(decideBoth(t, orig, fb, tt.client)); diff != "" {
					t.Fatalf("with a fallback: %s", diff)
				}
			}
			if calls != 1 {
				t.Fatalf("fallback called %d times", calls)
			}
			if n := len(fb.AllRules()); n != 5000 {
				t.Fatalf("AllRules after the fallback: %d", n)
			}
		})
	}
}

// A snapshot is used in place: loading it and deciding allocates a few
// small objects whatever the table's size, not one per rule.
func TestSnapshotInPlace(t *testing.T) {
	snap := access.Parse(denyHostsTable(100000), "hosts.deny", access.ParseOptions{}).AppendSnapshot(nil)
	for _, c := range []struct {
		client string
		want   access.Verdict
	}{{nthAddr(99999), access.Denied}, {nthAddr(4242), access.Denied}, {"127.0.0.1", access.Granted}} {
		req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c.client}, User: access.Unknown}
		allocs := testing.AllocsPerRun(20, func() {
			tab, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if d := (access.Policy{Deny: tab}).Check(req, access.Hooks{}); d.Verdict != c.want {
				t.Fatalf("%s: %v", c.client, d.Verdict)
			}
		})
		t.Logf("%s: %.0f allocations", c.client, allocs)
		if allocs > 40 {
			t.Errorf("%s: %.0f allocations to load and decide, want a few", c.client, allocs)
		}
	}
}

// tcpdmatch --explain walks every rule of a table; a snapshot table
// explains as its source does.
func TestSnapshotExplain(t *testing.T) {
	src := "sshd: 10.0.0.1\nALL: 10.0.0.2: severity auth.warning\nALL: 10.\n"
	orig := access.Parse([]byte(src), "hosts.deny", access.ParseOptions{})
	loaded, err := access.LoadSnapshot(orig.AppendSnapshot(nil), "hosts.deny", access.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"10.0.0.2", "10.9.9.9", "192.0.2.1"} {
		var out [2]string
		for i, tab := range []*access.Table{orig, loaded} {
			p := access.Policy{Deny: tab}
			f := access.NewFacts(access.Request{Daemon: "in.ftpd", Client: access.Endpoint{Addr: c}}, access.Hooks{})
			out[i] = strings.Join(p.Explain(f, p.Decide(f)), "\n")
		}
		if out[0] != out[1] {
			t.Errorf("%s: snapshot explains\n%s\nsource explains\n%s", c, out[1], out[0])
		}
	}
}

func ExampleSnapshotOptions_Load() {
	src := []byte("sshd: 192.0.2.7\nALL: 198.51.100.\n")
	snap := access.Parse(src, "hosts.deny", access.ParseOptions{}).AppendSnapshot(nil)
	// Store snap; in a later run, load it in place (hostsfile.Cache maps
	// the file), with the source as the way out if it is damaged.
	tab, err := access.SnapshotOptions{Fallback: func() *access.Table {
		return access.Parse(src, "hosts.deny", access.ParseOptions{})
	}}.Load(snap, "hosts.deny")
	if err != nil {
		fmt.Println(err)
		return
	}
	d := access.Policy{Deny: tab}.Check(access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "198.51.100.20"}}, access.Hooks{})
	fmt.Println(d.Verdict, d.Rule.File, d.Rule.Line, tab.NumRules())
	// Output: denied hosts.deny 2 2
}

func BenchmarkLoadSnapshot(b *testing.B) {
	src := denyHostsTable(100000)
	snap := access.Parse(src, "hosts.deny", access.ParseOptions{}).AppendSnapshot(nil)
	for _, c := range []struct {
		name, addr string
		want       access.Verdict
	}{{"denied", nthAddr(99999), access.Denied}, {"granted", "127.0.0.1", access.Granted}} {
		b.Run(c.name, func(b *testing.B) {
			req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c.addr}, User: access.Unknown}
			b.ReportAllocs()
			for b.Loop() {
				tab, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if d := (access.Policy{Deny: tab}).Decide(access.NewFacts(req, access.Hooks{})); d.Verdict != c.want {
					b.Fatal(d.Verdict)
				}
			}
		})
	}
}
