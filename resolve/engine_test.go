package resolve_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tcpwrap/access"
	"tcpwrap/resolve"
	"tcpwrap/resolve/dnstest"
)

// The engine's name-dependent patterns against a real DNS server on
// loopback, through the real resolver: names that verify, names that fail
// the double-reverse check, and addresses with no name.
func TestEngineWithDNS(t *testing.T) {
	zone := `
1.0.9.10.in-addr.arpa. PTR good.example.org.
good.example.org.      A   10.9.0.1
2.0.9.10.in-addr.arpa. PTR liar.example.org.
liar.example.org.      A   10.9.0.99
3.0.9.10.in-addr.arpa. PTR nodots.
nodots.                A   10.9.0.3
`
	srv := dnstest.Start(t, zone)
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &resolve.Resolver{Net: srv.Resolver(), HostsFile: hosts, Timeout: 2 * time.Second}
	allow := access.Parse([]byte("sshd: .example.org EXCEPT PARANOID\nin.ftpd: LOCAL\nin.telnetd: UNKNOWN\n"), "hosts.allow", access.ParseOptions{})
	deny := access.Parse([]byte("ALL: PARANOID: severity auth.crit\nALL: ALL\n"), "hosts.deny", access.ParseOptions{})
	p := access.Policy{Allow: allow, Deny: deny}

	cases := []struct {
		daemon, client string
		want           access.Verdict
		line           int // the deciding rule's line
		file           string
		name           string // %n after the decision
		log            string // a diagnostic that must be present
	}{
		{"sshd", "10.9.0.1", access.Granted, 1, "hosts.allow", "good.example.org", ""},
		{"sshd", "10.9.0.2", access.Denied, 1, "hosts.deny", "paranoid", "warning: hosts.allow, line 1: host name/address mismatch: 10.9.0.2 != liar.example.org"},
		{"in.ftpd", "10.9.0.3", access.Granted, 2, "hosts.allow", "nodots", ""},
		{"in.telnetd", "10.9.0.4", access.Granted, 3, "hosts.allow", "unknown", ""},
		{"sshd", "10.9.0.4", access.Denied, 2, "hosts.deny", "unknown", ""},
	}
	for _, c := range cases {
		t.Run(c.daemon+"/"+c.client, func(t *testing.T) {
			req := access.Request{
				Daemon: c.daemon,
				Client: access.Endpoint{IP: netip.MustParseAddr(c.client), Port: 40000},
				Server: access.Endpoint{IP: netip.MustParseAddr("127.0.0.1"), Port: 22},
			}
			f := access.NewFacts(req, access.Hooks{Names: r})
			d := p.Decide(f)
			var log []string
			for _, m := range d.Log {
				log = append(log, m.Text)
			}
			if d.Verdict != c.want || d.Rule == nil || d.Rule.Line != c.line || d.Rule.File != c.file {
				t.Fatalf("%v by %+v; log:\n%s", d.Verdict, d.Rule, strings.Join(log, "\n"))
			}
			if got := f.ClientName(); got != c.name {
				t.Errorf("name %q, want %q", got, c.name)
			}
			if c.log != "" && !strings.Contains(strings.Join(log, "\n"), c.log) {
				t.Errorf("log lacks %q:\n%s", c.log, strings.Join(log, "\n"))
			}
		})
	}
	// Each address was looked up once per decision, however many rules
	// asked about its name.
	if n := srv.Asked("1.0.9.10.in-addr.arpa", 12); n != 1 {
		t.Errorf("PTR for 10.9.0.1 asked %d times, want 1", n)
	}
}
