package access

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestExamineHost(t *testing.T) {
	tests := []struct {
		pat  string
		want HostInfo
	}{
		// Classes, in the matcher's order.
		{"@ng", HostInfo{Class: HostNetgroup}},
		{"@1.2", HostInfo{Class: HostNetgroup}}, // netgroup before anything numeric
		{"/etc/list", HostInfo{Class: HostFile}},
		{"KNOWN", HostInfo{Class: HostKnown}},
		{"local", HostInfo{Class: HostLocal}},
		{"ALL", HostInfo{Class: HostString}},
		{"host.example.com", HostInfo{Class: HostString}},
		{".example.com", HostInfo{Class: HostString}},
		{"10.0.0.", HostInfo{Class: HostString, Numeric: true}},
		{"10.0.0.1", HostInfo{Class: HostString, Numeric: true}},
		{"[2001:db8::1]", HostInfo{Class: HostString, IPv6: true}},
		{"[::1", HostInfo{Class: HostString}}, // not bracketed, looked up as a name

		// Valid net/mask patterns.
		{"10.0.0.0/8", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},
		{"10.0.0.0/255.0.0.0", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},
		{"0.0.0.0/0.0.0.0", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},
		{"10.0.0.0/255.0.255.0", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},                                   // D09
		{"10.0.0.0/8abc", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},                                          // D08: atoi
		{"1.2.3.4/1.2.3", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true, Lint: NetHostBits, Suggest: "0.0.0.0/1"}}, // atoi gives /1
		{"[2001:db8::]/32", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},
		{"[::]/0", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},
		{"[::1]/abc", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}}, // atoi gives /0
		{"[::ffff:0:0]/80", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true}},

		// Net/mask patterns the matcher refuses ("bad net/mask pattern").
		{"10/8", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetShort, Suggest: "10.0.0.0/8"}},
		{"10.1/16", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetShort, Suggest: "10.1.0.0/16"}},
		{"10.0.0.0/0", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskZero, Suggest: "0.0.0.0/0.0.0.0"}},
		{"10.0.0.0/33", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskTooLong}},
		{"10.0.0.0/255.255.255.255", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskAllOnes, Suggest: "10.0.0.0"}},
		{"10.0.0.0/x", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskBad}},
		{"10.0.0.0/-1", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskBad}},
		{"10.0.0.0/", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetMaskBad}},
		{"::1/64", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetBareIPv6, Suggest: "[::1]/64"}},
		{"[x]/64", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetBadIPv6}},
		{"[::1]x/64", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetBadIPv6}},
		{"[::1]/129", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetBadIPv6Len}},
		{"[::1]/-1", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetBadIPv6Len}},
		{"256.0.0.0/8", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetAddressV4Bad}},
		{"255.255.255.255/8", HostInfo{Class: HostNetmask, Numeric: true, Lint: NetAddressV4Bad}},

		// Accepted patterns that never match.
		{"10.0.0.1/8", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true, Lint: NetHostBits, Suggest: "10.0.0.0/8"}},
		{"10.0.0.1/255.255.255.0", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true, Lint: NetHostBits, Suggest: "10.0.0.0/255.255.255.0"}},
		{"[::ffff:10.0.0.0]/104", HostInfo{Class: HostNetmask, Numeric: true, NetmaskValid: true, Lint: NetMappedIPv6, Suggest: "10.0.0.0/8"}},
		{"[::ffff:10.0.0.1]", HostInfo{Class: HostString, IPv6: true, Lint: BracketMapped, Suggest: "10.0.0.1"}},
		{"[x]", HostInfo{Class: HostString, Lint: BracketNotIPv6}},
		{"[fe80::1%eth0]", HostInfo{Class: HostString, IPv6: true}}, // the scope is ignored, as in Debian
		{".example.*", HostInfo{Class: HostString, Lint: WildLeadingDot, Suggest: "*.example.*"}},
		{"*.example.", HostInfo{Class: HostString, Lint: WildTrailingDot, Suggest: "*.example.*"}},
		{"host.example.com.", HostInfo{Class: HostString, Lint: NameTrailingDot, Suggest: "host.example.com"}},
		{"host1.", HostInfo{Class: HostString}},            // a deliberate name prefix (D23)
		{"host.example.c0m.", HostInfo{Class: HostString}}, // not a DNS-style FQDN
		{"10", HostInfo{Class: HostString, Numeric: true, Lint: NumberOnly, Suggest: "10."}},
		{"", HostInfo{Class: HostString, Numeric: true, Lint: EmptyHost}},
	}
	for _, tt := range tests {
		if got := ExamineHost(tt.pat); got != tt.want {
			t.Errorf("ExamineHost(%q) = %+v, want %+v", tt.pat, got, tt.want)
		}
	}
}

// neverLints are the HostLint values that promise the pattern never
// matches any client.
var neverLints = map[HostLint]bool{
	NetShort: true, NetMaskZero: true, NetMaskTooLong: true, NetMaskAllOnes: true, NetMaskBad: true,
	NetBareIPv6: true, NetBadIPv6: true, NetBadIPv6Len: true, NetAddressV4Bad: true,
	NetHostBits: true, NetMappedIPv6: true, BracketNotIPv6: true, BracketMapped: true,
	WildLeadingDot: true, WildTrailingDot: true, NumberOnly: true, EmptyHost: true,
}

// lintNames is a NameLookup for the cross-checks: every address has a
// name.
type lintNames map[string]string

func (n lintNames) HostName(a netip.Addr) (string, []string) {
	if name, ok := n[a.String()]; ok {
		return name, nil
	}
	return Unknown, nil
}

var lintClients = lintNames{
	"10.0.0.0":        "net.example.com",
	"10.0.0.1":        "host.example.com",
	"10.1.2.3":        "example.com",
	"10.255.255.255":  "bcast.example.com",
	"192.0.2.1":       "www.example.org",
	"1.2.3.4":         "a",
	"0.0.0.10":        "ten",
	"::1":             "localhost",
	"2001:db8::1":     "v6.example.com",
	"fe80::1":         "ll.example.com",
	"::ffff:10.0.0.1": "mapped.example.com",
}

// matches decides a tcpd-style request (socket address known, name looked
// up) against "sshd: PATTERN" and reports whether the rule matched.
func matches(t *testing.T, pattern, client string) bool {
	t.Helper()
	p := Policy{Allow: Parse([]byte("sshd: "+pattern+"\n"), "hosts.allow", ParseOptions{})}
	f := NewFacts(Request{
		Daemon: "sshd",
		Client: Endpoint{IP: netip.MustParseAddr(client), Port: 4000},
		Server: Endpoint{IP: netip.MustParseAddr("192.0.2.200"), Port: 22},
		User:   "u",
	}, Hooks{Names: lintClients})
	return p.Decide(f).Reason == ReasonAllowTable
}

// TestExamineHostAgreesWithMatcher checks the promise of every "never
// matches" finding against the matcher itself, over clients with names.
func TestExamineHostAgreesWithMatcher(t *testing.T) {
	patterns := []string{
		"10/8", "10.0/16", "10.0.0.0/0", "10.0.0.0/33", "10.0.0.0/255.255.255.255", "10.0.0.0/x",
		"[x]/64", "[::1]/129", "256.0.0.0/8", "10.0.0.1/8", "10.0.0.1/255.255.255.0",
		"[::ffff:10.0.0.0]/104", "[::ffff:10.0.0.1]", "[::ffff:10.0.0.0]/96", "[x]", ".example.*",
		"*.example.", ".example.com.*", "10", "0",
	}
	for _, pat := range patterns {
		info := ExamineHost(pat)
		if !neverLints[info.Lint] {
			t.Errorf("ExamineHost(%q).Lint = %v, which does not promise \"never\"", pat, info.Lint)
			continue
		}
		for client := range lintClients {
			if matches(t, pat, client) {
				t.Errorf("%q is said never to match, but it matches %s", pat, client)
			}
		}
	}
	// The harness does see matches.
	for pat, client := range map[string]string{
		"10.0.0.0/8": "10.0.0.1", "10.0.0.1": "::ffff:10.0.0.1", "*.example.*": "192.0.2.1",
		"[2001:db8::]/32": "2001:db8::1", "host.example.com.": "10.0.0.1x", "10.": "10.1.2.3",
	} {
		if client == "10.0.0.1x" {
			continue // a prefix pattern needs a longer name; see below
		}
		if !matches(t, pat, client) {
			t.Errorf("%q does not match %s", pat, client)
		}
	}
	// A trailing-dot FQDN is a prefix pattern: it never matches the host
	// itself.
	if matches(t, "host.example.com.", "10.0.0.1") {
		t.Errorf("host.example.com. matches host.example.com")
	}
}

func TestFileWords(t *testing.T) {
	data := "# c\nnosuch1.invalid 10.0.0.0/99\n\n  a,b\tc\r\n" + strings.Repeat("x", 9000) + "\nlast"
	got := FileWords([]byte(data))
	want := []FileWord{
		{1, "#"}, {1, "c"}, {2, "nosuch1.invalid"}, {2, "10.0.0.0/99"},
		{4, "a,b"}, {4, "c"}, {5, strings.Repeat("x", 8191)}, {6, "last"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FileWords = %v\nwant %v", got, want)
	}
	// The matcher reads the same words.
	c := &compiler{fsys: FromFS(fstest.MapFS{"list": {Data: []byte(data)}})}
	fl := c.fileList("/list")
	var texts []string
	for _, w := range fl.words {
		texts = append(texts, w.text())
	}
	var wantTexts []string
	for _, w := range want {
		wantTexts = append(wantTexts, w.Text)
	}
	if !reflect.DeepEqual(texts, wantTexts) {
		t.Errorf("the matcher reads %q, FileWords %q", texts, wantTexts)
	}
}

func rule(t *testing.T, text string) *Rule {
	t.Helper()
	tab := Parse([]byte(text+"\n"), "hosts.allow", ParseOptions{})
	if len(tab.Rules) != 1 {
		t.Fatalf("%q: %d rules", text, len(tab.Rules))
	}
	return tab.Rules[0]
}

func TestAlwaysMatches(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"ALL: ALL", true},
		{"all: all: deny", true},
		{"*: *", true},
		{"ALL: ALL@ALL", true},
		{"ALL EXCEPT: ALL EXCEPT", true},    // C05: a trailing EXCEPT changes nothing
		{"sshd ALL: 10.0.0.1 ALL", true},    // any always-matching word will do
		{"ALL: ALL EXCEPT 10.0.0.1", false}, // an exception
		{"ALL EXCEPT sshd: ALL", false},
		{"ALL: KNOWN", false},
		{"ALL: bob@ALL", false},
		{"ALL@host: ALL", false},        // the server must match too
		{"ALL: 0.0.0.0/0.0.0.0", false}, // IPv4 only
		{"sshd: ALL", false},
	}
	for _, tt := range tests {
		if got := rule(t, tt.text).AlwaysMatches(); got != tt.want {
			t.Errorf("%q: AlwaysMatches = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		earlier, later string
		want           bool
	}{
		{"ALL: ALL", "sshd: 10.0.0.1", true},
		{"sshd: ALL", "sshd: 10.0.0.1", true},
		{"SSHD: ALL", "sshd: 10.0.0.1", true}, // names ignore case
		{"sshd in.ftpd: ALL", "in.ftpd sshd: 10.0.0.1 EXCEPT 10.0.0.2", true},
		{"sshd: ALL", "sshd EXCEPT sshd: 10.0.0.1", true},
		{"sshd: ALL", "sshd@10.0.0.9: ALL", true},
		{"s*: ALL", "sshd: 10.0.0.1", true},
		{"KNOWN: ALL", "sshd: 10.0.0.1", true},
		{"22: ALL", "22: 10.0.0.1", true},
		{"sshd: ALL: aclexec x", "sshd: 10.0.0.1", true}, // in the same table
		{"sshd: ALL", "in.ftpd: 10.0.0.1", false},
		{"sshd: ALL", "sshd in.ftpd: 10.0.0.1", false},
		{"sshd: ALL", "s*: 10.0.0.1", false},
		{"sshd: ALL", "22: 10.0.0.1", false},
		{"sshd@10.0.0.9: ALL", "sshd: 10.0.0.1", false},
		{"sshd: 10.0.0.1", "sshd: 10.0.0.1", false}, // only always-matching client lists
		{"ALL EXCEPT in.ftpd: ALL", "sshd: 10.0.0.1", false},
		{"sshd: ALL EXCEPT 10.0.0.1", "sshd: 10.0.0.2", false},
	}
	for _, tt := range tests {
		if got := rule(t, tt.earlier).Covers(rule(t, tt.later)); got != tt.want {
			t.Errorf("%q covers %q = %v, want %v", tt.earlier, tt.later, got, tt.want)
		}
	}
}

// TestCoversAgreesWithMatcher checks Covers against the matcher: whenever
// the later rule matches a request, the earlier one does too.
func TestCoversAgreesWithMatcher(t *testing.T) {
	pairs := [][2]string{
		{"sshd: ALL", "sshd: 10.0.0.1"},
		{"s*: ALL", "sshd@192.0.2.200: ALL"},
		{"KNOWN: ALL", "sshd in.ftpd: ALL"},
		{"22: ALL", "22: ALL"},
		{"ALL EXCEPT: ALL@ALL", "unknown: ALL"},
	}
	daemons := []string{"sshd", "in.ftpd", "unknown", ""}
	for _, pair := range pairs {
		e, l := rule(t, pair[0]), rule(t, pair[1])
		if !e.Covers(l) {
			t.Errorf("%q should cover %q", pair[0], pair[1])
			continue
		}
		for _, d := range daemons {
			for client := range lintClients {
				f := NewFacts(Request{
					Daemon: d,
					Client: Endpoint{IP: netip.MustParseAddr(client), Port: 4000},
					Server: Endpoint{IP: netip.MustParseAddr("192.0.2.200"), Port: 22},
					User:   "u",
				}, Hooks{Names: lintClients})
				if f.ruleMatches(l.compiled()) && !f.ruleMatches(e.compiled()) {
					t.Errorf("%q matches (%s, %s) but %q does not", pair[1], d, client, pair[0])
				}
			}
		}
	}
}

func TestNeverMatches(t *testing.T) {
	tests := []struct {
		text             string
		daemons, clients bool
	}{
		{"sshd: ALL", false, false},
		{"EXCEPT sshd: ALL", true, false},
		{": ALL", true, false},
		{"sshd:", false, true},
		{"sshd: except ALL", false, true},
		{"sshd EXCEPT: ALL EXCEPT", false, false},
	}
	for _, tt := range tests {
		d, c := rule(t, tt.text).NeverMatches()
		if d != tt.daemons || c != tt.clients {
			t.Errorf("%q: NeverMatches = %v, %v; want %v, %v", tt.text, d, c, tt.daemons, tt.clients)
		}
	}
}

func TestMisplacedLastAndAclExec(t *testing.T) {
	tests := []struct {
		text    string
		last    string
		aclexec bool
	}{
		{"sshd: ALL", "", false},
		{"sshd: ALL: allow", "", false},
		{"sshd: ALL: ALLOW: spawn x", "ALLOW", false},
		{"sshd: ALL: spawn x: deny: allow", "deny", false},
		{"sshd: ALL: twist x: allow", "twist", false},
		{"sshd: ALL: aclexec x: deny", "", true},
		{"sshd: ALL: spawn echo aclexec", "", false},
		{"sshd: ALL: AclExec=x", "", true},
	}
	for _, tt := range tests {
		r := rule(t, tt.text)
		name, ok := r.MisplacedLast()
		if name != tt.last || ok != (tt.last != "") {
			t.Errorf("%q: MisplacedLast = %q, %v; want %q", tt.text, name, ok, tt.last)
		}
		if got := r.HasAclExec(); got != tt.aclexec {
			t.Errorf("%q: HasAclExec = %v, want %v", tt.text, got, tt.aclexec)
		}
	}
}

func TestBareIPv6(t *testing.T) {
	tests := []struct {
		text string
		want BareIPv6
		ok   bool
	}{
		{"sshd: 2001:db8::1", BareIPv6{Addr: "2001:db8::1"}, true}, // A19
		{"sshd: 10.0.0.1, 2001:db8::/32 10.0.0.2", BareIPv6{Addr: "2001:db8::", Prefix: "/32"}, true},
		{"sshd: ::1", BareIPv6{Addr: "::1"}, true},
		{"sshd: ::ffff:10.0.0.1", BareIPv6{Addr: "::ffff:10.0.0.1"}, true},
		{"sshd: bob@fe80::1: spawn x", BareIPv6{Addr: "fe80::1"}, true},
		{"sshd@2001:db8::1: ALL", BareIPv6{Addr: "2001:db8::1", InDaemonList: true}, true},
		{"sshd: [2001:db8::1]", BareIPv6{}, false},
		{"sshd: ALL: deny", BareIPv6{}, false},
		{"sshd: face: deaf", BareIPv6{}, false},
		{"sshd: cafe:allow", BareIPv6{}, false},
		{"sshd: 10.0.0.1: spawn x", BareIPv6{}, false},
		{"beef: ALL", BareIPv6{}, false},
	}
	for _, tt := range tests {
		got, ok := rule(t, tt.text).BareIPv6()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: BareIPv6 = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}
