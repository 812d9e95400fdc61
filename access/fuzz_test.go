package access_test

import (
	"strings"
	"testing"

	"tcpwrap/access"
)

// FuzzDecide parses arbitrary tables and decides arbitrary clients with
// the indexed matcher and with the rule-by-rule reference scan: neither may
// panic, and they must agree on everything (verdict, reason, rule, log).
func FuzzDecide(f *testing.F) {
	seeds := []struct{ allow, deny, daemon, client string }{
		{"sshd: 10.0.0.1\n", "ALL: ALL\n", "sshd", "10.0.0.1"},
		{"ALL: 10. EXCEPT 10.0.0.1\n", "ALL: .0.1 192.168.0.0/255.255.0.0\n", "in.ftpd", "10.0.0.1"},
		{"sshd: [2001:db8::]/32 [::1]: spawn echo %a\n", "ALL: ALL: deny\n", "sshd", "2001:db8::5"},
		{"sshd 10.0.0.1\nsshd: 10.0.0.1/8 10.0.0.0/8\n", "ALL:ALL", "sshd", "::ffff:10.1.2.3"},
		{"a\\\nb: ALL\n#c\n", "x: y: z\n", "ab", "unknown"},
		{"sshd: 0.0.0.0/0.0.0.0 EXCEPT 10.0.0.1\n", "", "sshd", "10.0.0.1"},
		{"ALL: KNOWN LOCAL UNKNOWN PARANOID @ng user@10.0.0.1\n", "ALL: ALL\n", "sshd", "paranoid"},
	}
	for _, s := range seeds {
		f.Add(s.allow, s.deny, s.daemon, s.client)
	}
	f.Fuzz(func(t *testing.T, allow, deny, daemon, client string) {
		p := access.Policy{
			Allow: access.Parse([]byte(allow), "hosts.allow", access.ParseOptions{}),
			Deny:  access.Parse([]byte(deny), "hosts.deny", access.ParseOptions{}),
		}
		r := access.Request{Daemon: daemon, Client: access.Endpoint{Addr: client}, User: access.Unknown}
		if access.NumericAddress(client) {
			// tcpdmatch's view and tcpd's view of the same address.
			if a, err := netipParse(client); err == nil {
				r2 := r
				r2.Client = access.Endpoint{IP: a}
				compare(t, p, r2)
			}
		} else if strings.EqualFold(client, access.Unknown) || strings.EqualFold(client, access.Paranoid) {
			r.Client = access.Endpoint{Name: client}
		}
		compare(t, p, r)
	})
}

func compare(t *testing.T, p access.Policy, r access.Request) {
	t.Helper()
	d1 := p.Decide(access.NewFacts(r, access.Hooks{}))
	d2 := access.WithoutIndex(p).Decide(access.NewFacts(r, access.Hooks{}))
	if d1.Verdict != d2.Verdict || d1.Reason != d2.Reason || d1.Rule != d2.Rule || d1.Delegated != d2.Delegated {
		t.Fatalf("index %v/%v/%v, reference %v/%v/%v", d1.Verdict, d1.Reason, d1.Rule, d2.Verdict, d2.Reason, d2.Rule)
	}
	if len(d1.Log) != len(d2.Log) {
		t.Fatalf("logs differ:\n%v\n%v", d1.Log, d2.Log)
	}
	for i := range d1.Log {
		if d1.Log[i] != d2.Log[i] {
			t.Fatalf("logs differ at %d: %q vs %q", i, d1.Log[i].Text, d2.Log[i].Text)
		}
	}
	// A decision never grants by error: an option error or table error
	// always denies.
	if (d1.Reason == access.ReasonOptionError || d1.Reason == access.ReasonTableError) && d1.Verdict != access.Denied {
		t.Fatalf("%v with verdict %v", d1.Reason, d1.Verdict)
	}
}
