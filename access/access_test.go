package access_test

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"tcpwrap/access"
)

// names is a fake NameLookup: address text → name, and warnings.
type names map[string]string

func (n names) HostName(a netip.Addr) (string, []string) {
	v, ok := n[a.String()]
	if !ok {
		return access.Unknown, nil
	}
	if name, warn, ok := strings.Cut(v, "|"); ok {
		return name, []string{warn}
	}
	return v, nil
}

// ident is a fake IdentLookup that counts its calls.
type ident struct {
	user  string
	calls int
}

func (i *ident) User(c, s netip.AddrPort, _ time.Duration) string {
	i.calls++
	return i.user
}

type tc struct {
	name        string
	allow, deny string
	req         access.Request
	hooks       access.Hooks
	want        string   // "granted", "denied" or "delegated"
	log         []string // expected diagnostics (nil: not checked)
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// tcpdmatch-style requests: a numeric client is an address only.
func addr(daemon, client string) access.Request {
	return access.Request{Daemon: daemon, Client: access.Endpoint{Addr: client}, User: access.Unknown}
}

// sock is a tcpd-style request: client and server socket addresses known.
func sock(daemon, client string) access.Request {
	return access.Request{
		Daemon: daemon,
		Client: access.Endpoint{IP: ip(client), Port: 40000},
		Server: access.Endpoint{IP: ip("127.0.0.1"), Port: 22},
	}
}

var files = fstest.MapFS{
	"lists/list1":  {Data: []byte("# comment line\n10.9.9.9 10.0.0.*\n")},
	"lists/except": {Data: []byte("EXCEPT 10.0.0.1\n")},
	"lists/outer":  {Data: []byte("/lists/inner\n")},
	"lists/inner":  {Data: []byte("10.0.0.1\n")},
	"lists/self":   {Data: []byte("/lists/self 10.0.0.7\n")},
	"ban/sshd":     {Data: []byte("Hello %a from %d\n[unbalanced %d\n\x00lost line\nno newline at end")},
	// A NUL ends a word as it ends a C string; the word goes on to the
	// next blank all the same.
	"lists/nul":      {Data: []byte("10.9.9.9\x00 10.0.0.1\x00junk\n")},
	"lists/nulhead":  {Data: []byte("junk\x0010.0.0.1\n")},
	"lists/nulempty": {Data: []byte("\x00 \x00x\n\x00\n10.0.0.2\n")},
}

func run(t *testing.T, c tc) (string, []string, access.Decision) {
	t.Helper()
	opts := access.ParseOptions{Files: access.FromFS(files)}
	p := access.Policy{}
	if c.allow != "-" {
		p.Allow = access.Parse([]byte(c.allow), "hosts.allow", opts)
	}
	if c.deny != "-" {
		p.Deny = access.Parse([]byte(c.deny), "hosts.deny", opts)
	}
	c.hooks.Verbose = true
	f := access.NewFacts(c.req, c.hooks)
	d := p.Decide(f)
	// The reference scan must agree in every respect.
	f2 := access.NewFacts(c.req, c.hooks)
	d2 := access.WithoutIndex(p).Decide(f2)
	if d.Verdict != d2.Verdict || d.Reason != d2.Reason || len(d.Log) != len(d2.Log) {
		t.Errorf("index and reference disagree: %+v vs %+v", d, d2)
	}
	var log []string
	for _, m := range d.Log {
		log = append(log, m.Text)
	}
	v := d.Verdict.String()
	if d.Delegated {
		v = "delegated"
	}
	return v, log, d
}

func TestDecide(t *testing.T) {
	cases := []tc{
		// A: file syntax
		{name: "A01 allow without final newline is skipped", allow: "sshd: 10.0.0.1", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"warning: hosts.allow, line 0: missing newline or line too long", "warning: hosts.allow, line 0: all the subsequent rules will be ignored", "matched:  hosts.deny line 1"}},
		{name: "A02 deny without final newline denies", allow: "", deny: "sshd: 10.9.9.9", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "A03 unterminated comment in deny", allow: "", deny: "sshd: 10.9.9.9\n# end of file", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"warning: hosts.deny, line 1: missing newline or line too long", "warning: hosts.deny, line 1: all the subsequent rules will be ignored"}},
		{name: "A04 earlier match wins over unterminated line", allow: "sshd: 10.0.0.1\nsshd: 10.9.9.9", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A05 2046 characters accepted", allow: "sshd: 10.0.0.1" + strings.Repeat(" ", 2046-14) + "\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A06 2047 characters too long", allow: "sshd: 10.0.0.1" + strings.Repeat(" ", 2047-14) + "\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"warning: hosts.allow, line 0: missing newline or line too long", "warning: hosts.allow, line 0: all the subsequent rules will be ignored", "matched:  hosts.deny line 1"}},
		{name: "A08 continuation joins without space", allow: "ss\\\nhd: 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted",
			log: []string{"matched:  hosts.allow line 2"}},
		{name: "A09 comment swallows next line", allow: "# comment \\\nsshd: 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "A11 indented # is not a comment", allow: " # sshd: ALL\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A12 trailing # text is patterns", allow: "sshd: 10.9.9.9 # 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A13 missing separator warns and continues", allow: "sshd 10.0.0.1\nsshd: 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted",
			log: []string{`warning: hosts.allow, line 1: missing ":" separator`, "matched:  hosts.allow line 2"}},
		{name: "A14 CRLF", allow: "sshd: 10.0.0.1: deny\r\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "option:   deny "}},
		{name: "A15 trailing colon denies", allow: "sshd: ALL:\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "error: hosts.allow, line 1: missing option name"}},
		{name: "A16 empty client list", allow: "sshd:\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "A17 keywords ignore case", allow: "all except in.ftpd: all\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A18 runs of separators", allow: "sshd: ,,, ,10.0.0.1,,\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "A19 bare IPv6 splits at colons", allow: "sshd: 2001:db8::1\n", deny: "", req: addr("sshd", "2001"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", `error: hosts.allow, line 1: bad option name: "db8"`}},
		{name: "A20 backslash-colon not an escape in lists", allow: "sshd: a\\:b: allow\n", deny: "", req: addr("sshd", "a\\"), want: "denied"},
		{name: "A21 escape in options, lone %", allow: "ALL: ALL: spawn echo 100\\%% a\\:b %%d %\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted",
			log: []string{"matched:  hosts.allow line 1", "option:   spawn echo 100\\% a:b %d %"}},
		{name: "A22 brackets protect colons", allow: "sshd: [2001:db8::1]: deny\n", deny: "", req: addr("sshd", "2001:db8::1"), want: "denied"},
		{name: "A23 bracket depth may go negative", allow: "sshd: ]x[: 10.0.0.1\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted"},
		// B: order and failures
		{name: "B03 deny option in allow", allow: "sshd: ALL: deny\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "B04 allow option in deny", allow: "", deny: "sshd: ALL: allow\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "B05 option error stops", allow: "sshd: ALL: bogus\nsshd: ALL\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "B10 both missing", allow: "-", deny: "-", req: addr("sshd", "10.0.0.1"), want: "granted"},
		// C: EXCEPT and daemon patterns
		{name: "C01 nested except a", allow: "sshd: 10. EXCEPT 10.0. EXCEPT 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.1.0.1"), want: "granted"},
		{name: "C02 nested except b", allow: "sshd: 10. EXCEPT 10.0. EXCEPT 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.2"), want: "denied"},
		{name: "C03 nested except c", allow: "sshd: 10. EXCEPT 10.0. EXCEPT 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "C04 leading except", allow: "sshd: EXCEPT 10.0.0.2\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "C05 trailing except", allow: "sshd: 10.0.0.1 EXCEPT\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "C06 daemon prefix", allow: "in.: ALL\n", deny: "ALL: ALL\n", req: addr("in.telnetd", "10.0.0.1"), want: "granted"},
		{name: "C07 daemon suffix", allow: ".telnetd: ALL\n", deny: "ALL: ALL\n", req: addr("in.telnetd", "10.0.0.1"), want: "granted"},
		{name: "C08 daemon wildcard", allow: "s?h*: ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "C09 daemon case", allow: "SSHD: ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "C10 port pattern without server", allow: "22: ALL\n", deny: "ALL: ALL\n", req: addr("22", "10.0.0.1"), want: "denied"},
		{name: "C11 big number is a name", allow: "65536: ALL\n", deny: "ALL: ALL\n", req: addr("65536", "10.0.0.1"), want: "granted"},
		{name: "C12 port 0 with server", allow: "0: ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, Server: access.Endpoint{IP: ip("10.2.2.2")}}, want: "granted"},
		{name: "C17 signed port", allow: "-0: ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, Server: access.Endpoint{IP: ip("10.2.2.2")}}, want: "granted"},
		{name: "C18 -1 is a name", allow: "-1: ALL\n", deny: "ALL: ALL\n", req: addr("-1", "10.0.0.1"), want: "granted"},
		{name: "long s is not s in a daemon name", allow: "\u017fshd: ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "Kelvin sign is not K in KNOWN", allow: "\u212aNOWN: ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "C14 KNOWN daemon", allow: "KNOWN: ALL\n", deny: "ALL: ALL\n", req: addr("unknown", "10.0.0.1"), want: "denied"},
		{name: "empty daemon name is KNOWN", allow: "KNOWN: ALL\n", deny: "ALL: ALL\n", req: addr("", "10.0.0.1"), want: "granted"},
		{name: "port wraps at 2^32", allow: "4294967296: ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, Server: access.Endpoint{IP: ip("10.2.2.2")}}, want: "granted"},
		{name: "=x is a missing option name", allow: "sshd: ALL: =x\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied", log: []string{"matched:  hosts.allow line 1", "error: hosts.allow, line 1: missing option name"}},
		{name: "G28 port pattern in tcpd", allow: "22: ALL\n", deny: "ALL: ALL\n", req: sock("in.fake", "127.0.0.1"), want: "granted"},
		// D: client patterns
		{name: "D01 numeric suffix", allow: "sshd: .0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D02 prefix is not a string prefix", allow: "sshd: 10.\n", deny: "ALL: ALL\n", req: addr("sshd", "100.0.0.1"), want: "denied"},
		{name: "D03 exact only", allow: "sshd: 10\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D04 host bits in net", allow: "sshd: 10.0.0.1/255.0.0.0\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D05 /0 invalid", allow: "sshd: 0.0.0.0/0\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D06 mask 0.0.0.0", allow: "sshd: 0.0.0.0/0.0.0.0\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D07 all-ones mask never", allow: "sshd: 10.0.0.1/255.255.255.255\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D08 atoi length", allow: "sshd: 10.0.0.0/8abc\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D09 non-contiguous mask", allow: "sshd: 10.0.0.1/255.0.0.255\n", deny: "ALL: ALL\n", req: addr("sshd", "10.9.9.1"), want: "granted"},
		{name: "D10 short net", allow: "sshd: 10/8\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D11 mapped client", allow: "sshd: 10.0.0.1\n", deny: "ALL: ALL\n", req: addr("sshd", "::ffff:10.0.0.1"), want: "granted"},
		{name: "D12 mapped client net/len", allow: "sshd: 10.0.0.0/8\n", deny: "ALL: ALL\n", req: addr("sshd", "::ffff:10.0.0.1"), want: "granted"},
		{name: "D13 bracketed mapped never", allow: "sshd: [::ffff:10.0.0.1]\n", deny: "ALL: ALL\n", req: addr("sshd", "::ffff:10.0.0.1"), want: "denied"},
		{name: "D14 binary IPv6 compare", allow: "sshd: [2001:DB8::1]\n", deny: "ALL: ALL\n", req: addr("sshd", "2001:db8:0::1"), want: "granted"},
		{name: "D15 v6 /32", allow: "sshd: [2001:db8::]/32\n", deny: "ALL: ALL\n", req: addr("sshd", "2001:db8:1::1"), want: "granted"},
		{name: "D16 v6 /33", allow: "sshd: [2001:db8::]/33\n", deny: "ALL: ALL\n", req: addr("sshd", "2001:db8:8000::1"), want: "denied"},
		{name: "D17 v6 /0", allow: "sshd: [::]/0\n", deny: "ALL: ALL\n", req: addr("sshd", "2001:db8::1"), want: "granted"},
		{name: "D18 v6 /0 not v4", allow: "sshd: [::]/0\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D19 ? is one char", allow: "sshd: 10.0.0.?1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D21 wildcard loses suffix", allow: "sshd: .example.*\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "host1.example.com"}}, want: "denied"},
		{name: "D20 wildcard on names", allow: "sshd: HOST?.*.COM\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "host1.example.com"}}, want: "granted"},
		{name: "D22 trailing dot FQDN", allow: "sshd: host1.example.com.\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "host1.example.com"}}, want: "denied"},
		{name: "D23 name prefix", allow: "sshd: host1.\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "host1.example.com"}}, want: "granted"},
		{name: "D24 .domain needs more", allow: "sshd: .example.com\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "example.com"}}, want: "denied"},
		{name: "D27 LOCAL", allow: "sshd: LOCAL\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.2"), hooks: access.Hooks{Names: names{"10.1.1.2": "nodots"}}, want: "granted"},
		{name: "D28 KNOWN needs a name", allow: "sshd: KNOWN\n", deny: "ALL: ALL\n", req: addr("sshd", "10.1.1.1"), want: "denied"},
		{name: "D29 UNKNOWN matches unknown name", allow: "sshd: UNKNOWN\n", deny: "ALL: ALL\n", req: addr("sshd", "10.1.1.1"), want: "granted"},
		{name: "D30 client unknown and *", allow: "sshd: *\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Name: "unknown"}}, want: "granted"},
		{name: "D31 paranoid lower case", allow: "sshd: paranoid\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Name: "paranoid"}}, want: "granted"},
		{name: "D32 paranoid not LOCAL", allow: "sshd: LOCAL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Name: "paranoid"}}, want: "denied"},
		{name: "D36 /file words", allow: "sshd: /lists/list1\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D37 EXCEPT in a file is a word", allow: "sshd: /lists/except\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D38 nested files", allow: "sshd: /lists/outer\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "D39 missing file", allow: "sshd: /lists/none\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied", log: []string{"matched:  hosts.deny line 1"}},
		{name: "self-including file terminates", allow: "sshd: /lists/self\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.7"), want: "granted"},
		{name: "D40 /file as daemon", allow: "/lists/list1: ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D41 user case", allow: "sshd: ROOT@10.0.0.1\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, User: "root"}, want: "granted"},
		{name: "D42 KNOWN@ALL without user", allow: "sshd: KNOWN@ALL\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D43 user wildcard", allow: "sshd: r*t@ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, User: "ROOT"}, want: "granted"},
		{name: "D45 daemon@host", allow: "sshd@srv.example.com: ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, Server: access.Endpoint{IP: ip("10.2.2.2")}}, hooks: access.Hooks{Names: names{"10.2.2.2": "srv.example.com"}}, want: "granted"},
		{name: "long s is not s in a host name", allow: "sshd: localho\u017ft\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "localhost"}}, want: "denied"},
		{name: "Kelvin sign is not K in KNOWN host", allow: "sshd: \u212aNOWN\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.1"), hooks: access.Hooks{Names: names{"10.1.1.1": "localhost"}}, want: "denied"},
		{name: "Kelvin sign is not K in UNKNOWN", allow: "sshd: UN\u212aNOWN\n", deny: "ALL: ALL\n", req: addr("sshd", "10.1.1.1"), want: "denied"},
		{name: "long s is not s in a user", allow: "sshd: \u017fam@ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, User: "sam"}, want: "denied"},
		{name: "Kelvin sign is not K in KNOWN user", allow: "sshd: \u212aNOWN@ALL\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}, User: "root"}, want: "denied"},
		{name: "mask length 2^32+8 is 8", allow: "sshd: 127.0.0.0/4294967304\n", deny: "ALL: ALL\n", req: addr("sshd", "127.0.0.1"), want: "granted"},
		{name: "mask length -(2^32-8) is 8", allow: "sshd: 127.0.0.0/-4294967288\n", deny: "ALL: ALL\n", req: addr("sshd", "127.0.0.1"), want: "granted"},
		{name: "mask length LONG_MIN+8 is 8", allow: "sshd: 127.0.0.0/-9223372036854775800\n", deny: "ALL: ALL\n", req: addr("sshd", "127.0.0.1"), want: "granted"},
		{name: "mask length overflow is -1", allow: "sshd: 127.0.0.0/18446744073709551624\n", deny: "ALL: ALL\n", req: addr("sshd", "127.0.0.1"), want: "denied"},
		{name: "v6 length 2^32+128 is 128", allow: "sshd: [::1]/4294967424\n", deny: "ALL: ALL\n", req: addr("sshd", "::1"), want: "granted"},
		{name: "v6 length 2^32 is 0", allow: "sshd: [::]/4294967296\n", deny: "ALL: ALL\n", req: addr("sshd", "::1"), want: "granted"},
		{name: "NUL ends a /file word", allow: "sshd: /lists/nul\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "NUL hides the rest of a /file word", allow: "sshd: /lists/nulhead\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "empty /file words match nothing", allow: "sshd: /lists/nulempty\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.2"), want: "granted"},
		{name: "D48 netgroup without NIS", allow: "sshd: @ng\n", deny: "ALL: ALL\n", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "D49 UNKNOWN matches paranoid client", allow: "sshd: UNKNOWN\n", deny: "ALL: ALL\n", req: access.Request{Daemon: "sshd", Client: access.Endpoint{Name: "paranoid"}}, want: "granted"},
		// E: options
		{name: "E01 expansions", allow: "ALL: ALL: spawn echo a=%a A=%A c=%c d=%d h=%h H=%H n=%n N=%N r=%r R=%R s=%s u=%u pct=%% x=%x\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted",
			log: []string{"matched:  hosts.allow line 1", "warning: hosts.allow, line 1: unrecognized %x", "option:   spawn echo a=10.0.0.1 A=unknown c=10.0.0.1 d=sshd h=10.0.0.1 H=unknown n=unknown N=unknown r=0 R=0 s=sshd u=unknown pct=% x="}},
		{name: "unrecognized % byte logged raw", allow: "ALL: ALL: spawn x %\x80\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted",
			log: []string{"matched:  hosts.allow line 1", "warning: hosts.allow, line 1: unrecognized %\x80", "option:   spawn x"}},
		{name: "E02 twist delegates", allow: "sshd: ALL: twist /bin/echo hi %a\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "delegated"},
		{name: "E03 twist must be last", allow: "sshd: ALL: twist echo: deny\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", `error: hosts.allow, line 1: option "twist" must be at end`}},
		{name: "E04 allow takes no value", allow: "sshd: ALL: allow = yes\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", `error: hosts.allow, line 1: option "allow" requires no value`}},
		{name: "E08 bad level", allow: "sshd: ALL: severity local0.bogus\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "option:   severity local0.bogus", `error: hosts.allow, line 1: bad syslog facility or severity: "bogus"`}},
		{name: "E09 umask octal", allow: "sshd: ALL: umask 08\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "E10 one = eaten", allow: "sshd: ALL: SPAWN = = x\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted", log: []string{"matched:  hosts.allow line 1", "option:   SPAWN = x"}},
		{name: "keyword ended by = keeps the next =", allow: "sshd: ALL: umask==022\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "option:   umask =022", `error: hosts.allow, line 1: bad umask value: "=022"`}},
		{name: "allow== has a value", allow: "sshd: ALL: allow==\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", `error: hosts.allow, line 1: option "allow" requires no value`}},
		{name: "spawn= =x", allow: "sshd: ALL: spawn= =x\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted", log: []string{"matched:  hosts.allow line 1", "option:   spawn =x"}},
		{name: "Kelvin sign is not K in an option name", allow: "sshd: ALL: \u212aeepalive\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "error: hosts.allow, line 1: bad option name: \"\u212aeepalive\""}},
		{name: "Kelvin sign is not K in a facility", allow: "sshd: ALL: severity \u212aern.err\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "linger below 2^63 wraps", allow: "sshd: ALL: linger 5000000000000000001\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "rfc931 LONG_MIN is 0", allow: "sshd: ALL: rfc931 -9223372036854775808\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "umask 2^63 is 0", allow: "sshd: ALL: umask 1000000000000000000000\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted"},
		{name: "E12 rfc931 timeout", allow: "sshd: ALL: rfc931 0\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "E17 whitespace-only field", allow: "sshd: ALL: spawn x: : deny\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied",
			log: []string{"matched:  hosts.allow line 1", "option:   spawn x", "error: hosts.allow, line 1: missing option name"}},
		{name: "E19 setenv", allow: "sshd: ALL: setenv =FOO   a  b  \n", deny: "", req: addr("sshd", "10.0.0.1"), want: "granted", log: []string{"matched:  hosts.allow line 1", "option:   setenv FOO   a  b"}},
		{name: "E20 requires value", allow: "sshd: ALL: spawn\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied", log: []string{"matched:  hosts.allow line 1", `error: hosts.allow, line 1: option "spawn" requires value`}},
		{name: "E21 deny must be last", allow: "sshd: ALL: deny: spawn x\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		{name: "setenv name with = fails", allow: "sshd: ALL: setenv A=B c\n", deny: "", req: addr("sshd", "10.0.0.1"), want: "denied"},
		// G: with sockets
		{name: "G14 paranoid warning with context", allow: "", deny: "sshd: PARANOID\n", req: sock("sshd", "10.1.1.8"), hooks: access.Hooks{Names: names{"10.1.1.8": "paranoid|host name/name mismatch: liar.example.com != real.example.com"}}, want: "denied",
			log: []string{"warning: hosts.deny, line 1: host name/name mismatch: liar.example.com != real.example.com", "matched:  hosts.deny line 1"}},
		{name: "G15 paranoid host accepted when no rule looks", allow: "", deny: "sshd: 10.9.9.9\n", req: sock("sshd", "10.1.1.8"), hooks: access.Hooks{Names: names{"10.1.1.8": "paranoid"}}, want: "granted"},
		{name: "G33 paranoid is neither UNKNOWN nor KNOWN", allow: "sshd: UNKNOWN KNOWN\n", deny: "ALL: ALL\n", req: sock("sshd", "10.1.1.8"), hooks: access.Hooks{Names: names{"10.1.1.8": "paranoid"}}, want: "denied"},
		{name: "G25 aclexec failure skips rest of table", allow: "sshd: ALL: aclexec false\nsshd: ALL\n", deny: "ALL: ALL\n", req: sock("sshd", "127.0.0.1"),
			hooks: access.Hooks{AclExec: func(string) (bool, []string) { return false, nil }}, want: "denied"},
		{name: "G26 aclexec leak into deny", allow: "sshd: ALL: aclexec false\n", deny: "ALL: ALL: severity notice\n", req: sock("sshd", "127.0.0.1"),
			hooks: access.Hooks{AclExec: func(string) (bool, []string) { return false, nil }}, want: "granted",
			log: []string{"matched:  hosts.allow line 1", "option:   aclexec false", "aclexec returned 1", "matched:  hosts.deny line 1", "option:   severity notice", "aclexec returned 1"}},
		{name: "G27 aclexec success in deny denies", allow: "", deny: "ALL: ALL: aclexec true\n", req: sock("sshd", "127.0.0.1"),
			hooks: access.Hooks{AclExec: func(string) (bool, []string) { return true, nil }}, want: "denied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, log, _ := run(t, c)
			if got != c.want {
				t.Errorf("verdict %s, want %s; log:\n%s", got, c.want, strings.Join(log, "\n"))
			}
			if c.log != nil && strings.Join(log, "\n") != strings.Join(c.log, "\n") {
				t.Errorf("log:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(c.log, "\n"))
			}
		})
	}
}

// TestZones: an interface name is a scope only for link-local addresses,
// as glibc's getaddrinfo takes it; elsewhere only a number is, and a
// pattern with a bad scope never matches.
func TestZones(t *testing.T) {
	zones := func(z string) bool {
		if _, err := strconv.ParseUint(z, 10, 32); err == nil {
			return true
		}
		return z == "lo" || z == "eth0"
	}
	for _, c := range []struct {
		pat, client string
		zones       func(string) bool
		want        access.Verdict
	}{
		{"[::1%lo]", "::1", zones, access.Denied},
		{"[::1%lo]", "::1", nil, access.Denied},
		{"[::1%eth0]/128", "::1", zones, access.Denied},
		{"[::%lo]/0", "::1", zones, access.Denied},
		{"[::1%1]", "::1", zones, access.Granted},
		{"[::1%4294967296]", "::1", zones, access.Denied},
		{"[fe80::1%lo]", "fe80::1", zones, access.Granted},
		{"[fe80::1%nosuch]", "fe80::1", zones, access.Denied},
		{"[fe80::%eth0]/64", "fe80::1", zones, access.Granted},
		{"[ff02::1%lo]", "ff02::1", zones, access.Granted},
		{"[ff01::1%lo]", "ff01::1", zones, access.Granted},
		{"[ff12::1%lo]", "ff12::1", zones, access.Granted},
		{"[ff05::1%lo]", "ff05::1", zones, access.Denied},
		{"[fec0::1%lo]", "fec0::1", zones, access.Denied},
	} {
		opts := access.ParseOptions{Zones: c.zones}
		p := access.Policy{
			Allow: access.Parse([]byte("sshd: "+c.pat+"\n"), "hosts.allow", opts),
			Deny:  access.Parse([]byte("ALL: ALL\n"), "hosts.deny", opts),
		}
		d := p.Decide(access.NewFacts(addr("sshd", c.client), access.Hooks{}))
		if d.Verdict != c.want {
			t.Errorf("%s against %s (zones %v): %v, want %v", c.pat, c.client, c.zones != nil, d.Verdict, c.want)
		}
	}
}

// Ident is asked only after the host part of user@host matched (G09).
func TestIdentIsLazy(t *testing.T) {
	id := &ident{user: "bob"}
	c := tc{allow: "sshd: bob@10.9.9.9\n", deny: "ALL: ALL\n", req: sock("sshd", "127.0.0.1"), hooks: access.Hooks{Ident: id}}
	if v, _, _ := run(t, c); v != "denied" || id.calls != 0 {
		t.Fatalf("verdict %s with %d ident calls, want denied with none", v, id.calls)
	}
	c.allow = "sshd: bob@ALL\n"
	if v, _, _ := run(t, c); v != "granted" || id.calls != 2 {
		t.Fatalf("verdict %s with %d ident calls, want granted with 2 (one per scan)", v, id.calls)
	}
}

// %u sanitises the cached user name in place, so what is logged later
// shows the sanitised form (G11).
func TestSanitiseInPlace(t *testing.T) {
	id := &ident{user: "a;b$c"}
	p := access.Policy{Allow: access.Parse([]byte("ALL: ALL: spawn echo %u\n"), "hosts.allow", access.ParseOptions{})}
	f := access.NewFacts(sock("in.fake", "127.0.0.1"), access.Hooks{Ident: id})
	d := p.Decide(f)
	if d.Actions[0].Value != "echo a_b_c" {
		t.Errorf("spawn %q", d.Actions[0].Value)
	}
	if got := f.ClientInfo(); got != "a_b_c@127.0.0.1" {
		t.Errorf("client info %q", got)
	}
}

func TestBanner(t *testing.T) {
	var out strings.Builder
	p := access.Policy{Allow: access.Parse([]byte("sshd: ALL: banners /ban\n"), "hosts.allow", access.ParseOptions{})}
	f := access.NewFacts(addr("sshd", "10.0.0.1"), access.Hooks{BannerFS: access.FromFS(files), BannerOut: &out})
	p.Decide(f)
	want := "Hello 10.0.0.1 from sshd\r\n[unbalanced sshd\nno newline at end"
	if out.String() != want {
		t.Errorf("banner %q, want %q", out.String(), want)
	}
}

func TestExpansionTooLong(t *testing.T) {
	p := access.Policy{Allow: access.Parse([]byte("ALL: ALL: spawn "+strings.Repeat("%d", 70)+"\n"), "hosts.allow", access.ParseOptions{})}
	f := access.NewFacts(addr(strings.Repeat("d", 200), "10.0.0.1"), access.Hooks{})
	d := p.Decide(f)
	if d.Reason != access.ReasonAborted || d.Verdict != access.Denied {
		t.Fatalf("decision %v/%v", d.Verdict, d.Reason)
	}
	last := d.Log[len(d.Log)-1].Text
	if last != "warning: hosts.allow, line 1: percent_x: expansion too long: "+strings.Repeat("d", 30)+"..." {
		t.Errorf("log %q", last)
	}
}

// accountsLog records the account checks a decision makes; a name in
// fail fails.
type accountsLog struct {
	calls []string
	fail  map[string]bool
}

func (a *accountsLog) check(call, name string) error {
	a.calls = append(a.calls, call)
	if a.fail[name] {
		return fmt.Errorf("%s failed", call)
	}
	return nil
}
func (a *accountsLog) User(n string) error  { return a.check("User("+n+")", n) }
func (a *accountsLog) Group(n string) error { return a.check("Group("+n+")", n) }

// withUserGroup also has UserGroup.
type withUserGroup struct{ *accountsLog }

func (a withUserGroup) UserGroup(n, g string) error {
	return a.check("UserGroup("+n+","+g+")", n+"."+g)
}

// "user name.group" is one step for Accounts that have UserGroup (tcpd
// sets the group, then only the uid), and Group then User for others.
func TestUserGroupOption(t *testing.T) {
	policy := access.Policy{Allow: access.Parse([]byte("sshd: ALL: user nobody.nogroup\n"), "hosts.allow", access.ParseOptions{})}
	req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: "10.0.0.1"}}
	for _, c := range []struct {
		name  string
		acc   access.Accounts
		log   *accountsLog
		calls string
		want  access.Verdict
	}{
		{name: "plain", log: &accountsLog{}, calls: "Group(nogroup) User(nobody)", want: access.Granted},
		{name: "user.group in one step", log: &accountsLog{}, calls: "UserGroup(nobody,nogroup)", want: access.Granted},
		{name: "one step fails", log: &accountsLog{fail: map[string]bool{"nobody.nogroup": true}}, calls: "UserGroup(nobody,nogroup)", want: access.Denied},
	} {
		t.Run(c.name, func(t *testing.T) {
			var acc access.Accounts = c.log
			if strings.HasPrefix(c.calls, "UserGroup") {
				acc = withUserGroup{c.log}
			}
			d := policy.Decide(access.NewFacts(req, access.Hooks{Accounts: acc}))
			if got := strings.Join(c.log.calls, " "); got != c.calls || d.Verdict != c.want {
				t.Errorf("calls %q, verdict %v; want %q, %v", got, d.Verdict, c.calls, c.want)
			}
		})
	}
}
