package access_test

import (
	"testing"

	"tcpwrap/access"
)

// A table loaded from its snapshot decides every request exactly as the
// table it was made from.
func FuzzSnapshot(f *testing.F) {
	f.Add("sshd: 10.0.0.1 10.1.\nALL: .0.2 [2001:db8::]/32 192.0.2.0/255.255.255.0 EXCEPT 192.0.2.9\nin.ftpd: KNOWN: spawn x %a\nbad line\n", "10.0.0.2")
	f.Add("ALL: 10.0.0.1\nALL: 10.0.0.1\nsshd: 10.0.0.1, 10.0.0.2\n# c\nx", "10.0.0.1")
	f.Add("", "::1")
	f.Fuzz(func(t *testing.T, table, client string) {
		orig := access.Parse([]byte(table), "hosts.deny", access.ParseOptions{})
		snap := orig.AppendSnapshot(nil)
		loaded, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
		if err != nil {
			t.Fatalf("LoadSnapshot of a fresh snapshot: %v", err)
		}
		if len(loaded.Rules) != len(orig.Rules) {
			t.Fatalf("%d rules, want %d", len(loaded.Rules), len(orig.Rules))
		}
		for _, c := range []string{client, "10.0.0.1", "10.0.0.2", "192.0.2.5", "2001:db8::1", "::ffff:10.1.2.3"} {
			req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: c}, User: access.Unknown}
			d1 := access.Policy{Deny: orig}.Decide(access.NewFacts(req, access.Hooks{}))
			d2 := access.Policy{Deny: loaded}.Decide(access.NewFacts(req, access.Hooks{}))
			if d1.Verdict != d2.Verdict || d1.Reason != d2.Reason || (d1.Rule == nil) != (d2.Rule == nil) ||
				(d1.Rule != nil && (d1.Rule.Line != d2.Rule.Line || d1.Rule.Text != d2.Rule.Text)) || len(d1.Log) != len(d2.Log) {
				t.Fatalf("client %q: parsed %v/%v/%+v, snapshot %v/%v/%+v", c, d1.Verdict, d1.Reason, d1.Rule, d2.Verdict, d2.Reason, d2.Rule)
			}
			for i := range d1.Log {
				if d1.Log[i] != d2.Log[i] {
					t.Fatalf("log %d: %q vs %q", i, d1.Log[i].Text, d2.Log[i].Text)
				}
			}
		}
		// Any damage is refused, never turned into a table that decides
		// differently.
		for i := len(snap) - 1; i >= 0 && i > len(snap)-64; i-- {
			bad := append([]byte(nil), snap[:i]...)
			if _, err := access.LoadSnapshot(bad, "hosts.deny", access.ParseOptions{}); err == nil {
				t.Fatalf("truncated snapshot (%d of %d bytes) accepted", i, len(snap))
			}
		}
	})
}

// Garbage never panics the loader.
func FuzzLoadSnapshot(f *testing.F) {
	f.Add(access.Parse([]byte("sshd: 10.0.0.1\nALL: 10.\n"), "t", access.ParseOptions{}).AppendSnapshot(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := access.LoadSnapshot(data, "t", access.ParseOptions{})
		if err != nil {
			return
		}
		req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}}
		access.Policy{Deny: tab}.Decide(access.NewFacts(req, access.Hooks{}))
	})
}

func BenchmarkLoadSnapshot(b *testing.B) {
	src := denyHostsTable(100000)
	snap := access.Parse(src, "hosts.deny", access.ParseOptions{}).AppendSnapshot(nil)
	b.SetBytes(int64(len(snap)))
	req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: nthAddr(99999)}, User: access.Unknown}
	for b.Loop() {
		tab, err := access.LoadSnapshot(snap, "hosts.deny", access.ParseOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if d := (access.Policy{Deny: tab}).Decide(access.NewFacts(req, access.Hooks{})); d.Verdict != access.Denied {
			b.Fatal(d.Verdict)
		}
	}
}
