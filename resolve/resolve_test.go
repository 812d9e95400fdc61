package resolve_test

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"tcpwrap/resolve"
	"tcpwrap/resolve/dnstest"
)

// The /etc/hosts of the tcpdmatch cases D26 to D51.
const hostsD = "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.2 nodots\n" +
	"10.1.1.3 Mixed.Example.COM\n10.1.1.4 multi.example.com\n10.1.1.5 multi.example.com\n" +
	"10.1.1.9 real.example.com liar.example.com\n10.1.1.8 liar.example.com\n" +
	"10.1.1.10 dual.example.com\n2001:db8::10 dual.example.com\n10.2.2.2 srv.example.com\n" +
	"10.2.2.3 srv2.example.com\n10.2.2.4 srv2.example.com\n"

// The /etc/hosts of the tcpd cases G14 to G36.
const hostsG = "127.0.0.1 localhost\n127.0.0.9 real.example.com liar.example.com\n" +
	"127.0.0.2 liar.example.com\n127.0.0.3 good.example.com\n127.0.0.5 10.20.30.40\n"

var long150 = strings.Repeat("a", 150)

// Extra lines for edge cases of our own.
var hostsExtra = "" +
	// Names are returned verbatim, shell metacharacters included.
	"10.4.4.1 ;rm$(x)`y`|z\n" +
	// An address without a name.
	"10.4.4.2\n" +
	// A 150-byte name is cut to 127 bytes before it is verified.
	"10.4.4.3 " + strings.Repeat("b", 150) + "\n" +
	"10.4.4.4 " + long150 + " " + long150[:127] + "\n" +
	// Link-local: the scope never matches a hosts-file address.
	"fe80::1 ll.example\n" +
	// Reverse finds the mapped line for an IPv4 client.
	"::ffff:10.4.4.5 mapped.example\n"

// The DNS zone behind the hosts files.
var zone = `
; verified names
50.30.20.10.in-addr.arpa.   PTR good.dns.example.
good.dns.example.           A   10.20.30.50
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.2.0.0.2.ip6.arpa. PTR v6.dns.example.
v6.dns.example.             AAAA 2002:db8::1
; a PTR whose name maps to another address
51.30.20.10.in-addr.arpa.   PTR moved.dns.example.
moved.dns.example.          A   10.9.9.9
; a numeric PTR (G16 through DNS) and its IPv6 counterpart
52.30.20.10.in-addr.arpa.   PTR 10.20.30.40.
2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.2.0.0.2.ip6.arpa. PTR 10.20.30.40.
53.30.20.10.in-addr.arpa.   PTR 10.1.
; a PTR whose forward lookup fails (NXDOMAIN), in both families
54.30.20.10.in-addr.arpa.   PTR gone.dns.example.
3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.2.0.0.2.ip6.arpa. PTR gone.dns.example.
; a PTR to an alias: the canonical name differs
55.30.20.10.in-addr.arpa.   PTR alias.dns.example.
alias.dns.example.          CNAME target.dns.example.
target.dns.example.         A   10.20.30.55
target.dns.example.         AAAA 2001:db8::55
; case is kept
56.30.20.10.in-addr.arpa.   PTR MiXeD.Dns.Example.
mixed.dns.example.          A   10.20.30.56
; hostile PTR targets glibc refuses
60.30.20.10.in-addr.arpa.   PTR a\;b\$c.dns.example.
61.30.20.10.in-addr.arpa.   PTR evil\010newline.dns.example.
62.30.20.10.in-addr.arpa.   PTR nul\000byte.dns.example.
63.30.20.10.in-addr.arpa.   PTR -lead.dns.example.
; a PTR whose forward lookup never answers
64.30.20.10.in-addr.arpa.   PTR slow.dns.example.
slow.dns.example.           A   10.20.30.64
; a PTR the server fails on
65.30.20.10.in-addr.arpa.   PTR never.dns.example.
; names net.Resolver refuses but glibc looks up
58.30.20.10.in-addr.arpa.   PTR x.-y.dns.example.
x.-y.dns.example.           A   10.20.30.58
59.30.20.10.in-addr.arpa.   PTR 1.2.3.4.5.
1.2.3.4.5.                  A   10.20.30.59
67.30.20.10.in-addr.arpa.   PTR y.-z.dns.example.
y.-z.dns.example.           CNAME bad\;target.dns.example.
bad\;target.dns.example.    A   10.20.30.67
; localhost from DNS
57.30.20.10.in-addr.arpa.   PTR localhost.
68.30.20.10.in-addr.arpa.   PTR LocalHost.
; a PTR answer too big for UDP, so it comes over TCP; the first counts
66.30.20.10.in-addr.arpa.   PTR big.dns.example.
big.dns.example.            A   10.20.30.66
` + bigPTRs

var bigPTRs = func() string {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		b.WriteString("66.30.20.10.in-addr.arpa. PTR filler-" + strings.Repeat("x", 20) + "-" + string(rune('a'+i%26)) + ".dns.example.\n")
	}
	return b.String()
}()

type fixture struct {
	r   *resolve.Resolver
	dns *dnstest.Server
}

func newFixture(t *testing.T, hosts string, opts ...dnstest.Option) fixture {
	t.Helper()
	dir := t.TempDir()
	hf := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hf, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two name servers, both reached through the test Dial.
	rc := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(rc, []byte("nameserver 192.0.2.53\nnameserver 192.0.2.54\noptions timeout:1 attempts:2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts = append([]dnstest.Option{
		dnstest.Silent(func(q dns.Question) bool {
			return strings.EqualFold(q.Name, "slow.dns.example.")
		}),
		dnstest.Rcode(dns.RcodeServerFailure, dnstest.Name("65.30.20.10.in-addr.arpa", dns.TypePTR)),
	}, opts...)
	srv := dnstest.Start(t, zone, opts...)
	r := &resolve.Resolver{Net: srv.Resolver(), HostsFile: hf, Timeout: 500 * time.Millisecond}
	resolve.SetResolvConf(r, rc)
	resolve.SetSource(r, resolve.TestSource)
	return fixture{r, srv}
}

func TestHostName(t *testing.T) {
	f := newFixture(t, hostsD+hostsG+hostsExtra)
	tests := []struct {
		name     string
		addr     string
		want     string
		warnings []string
	}{
		// Hosts file.
		{"D26 verified", "10.1.1.1", "host1.example.com", nil},
		{"D27 no dots", "10.1.1.2", "nodots", nil},
		{"case kept", "10.1.1.3", "Mixed.Example.COM", nil},
		{"D33 official name", "10.1.1.9", "real.example.com", nil},
		{"D33 alias elsewhere", "10.1.1.8", "paranoid",
			[]string{"host name/name mismatch: liar.example.com != real.example.com"}},
		{"D35 IPv4", "10.1.1.10", "dual.example.com", nil},
		{"D35 IPv6", "2001:db8::10", "dual.example.com", nil},
		{"D51 first", "10.1.1.4", "multi.example.com", nil},
		{"D51 second", "10.1.1.5", "multi.example.com", nil},
		{"G14 liar", "127.0.0.2", "paranoid",
			[]string{"host name/name mismatch: liar.example.com != real.example.com"}},
		{"G14 mapped client is unmapped", "::ffff:127.0.0.2", "paranoid",
			[]string{"host name/name mismatch: liar.example.com != real.example.com"}},
		{"G16 numeric name in hosts file", "127.0.0.5", "paranoid",
			[]string{"host name/name mismatch: reverse lookup results in non-FQDN 10.20.30.40"}},
		{"good", "127.0.0.3", "good.example.com", nil},
		{"localhost", "127.0.0.1", "localhost", nil},
		{"G36 not found anywhere", "127.0.0.8", "unknown", nil},
		{"hostile name verbatim", "10.4.4.1", ";rm$(x)`y`|z", nil},
		{"address without name", "10.4.4.2", "unknown", nil},
		{"cut to 127 then unverifiable", "10.4.4.3", "paranoid",
			[]string{"can't verify hostname: getaddrinfo(" + strings.Repeat("b", 127) + ", AF_INET) failed"}},
		{"cut name is an alias", "10.4.4.4", "paranoid",
			[]string{"host name/name mismatch: " + long150[:127] + " != " + long150[:128]}},
		{"link-local scope never matches", "fe80::1%1", "paranoid",
			[]string{"host name/address mismatch: fe80::1%1 != ll.example"}},
		{"mapped hosts line", "10.4.4.5", "mapped.example", nil},

		// DNS.
		{"dns verified", "10.20.30.50", "good.dns.example", nil},
		{"dns verified IPv6", "2002:db8::1", "v6.dns.example", nil},
		{"dns address mismatch", "10.20.30.51", "paranoid",
			[]string{"host name/address mismatch: 10.20.30.51 != moved.dns.example"}},
		{"G16 numeric PTR through DNS", "10.20.30.52", "paranoid",
			[]string{"host name/name mismatch: reverse lookup results in non-FQDN 10.20.30.40"}},
		{"inet_aton short form is numeric too", "10.20.30.53", "paranoid",
			[]string{"host name/name mismatch: reverse lookup results in non-FQDN 10.1"}},
		{"IPv4 literal from an IPv6 PTR is not numeric for AF_INET6", "2002:db8::2", "paranoid",
			[]string{"can't verify hostname: getaddrinfo(10.20.30.40, AF_INET6) failed"}},
		{"forward NXDOMAIN", "10.20.30.54", "paranoid",
			[]string{"can't verify hostname: getaddrinfo(gone.dns.example, AF_INET) failed"}},
		{"forward NXDOMAIN IPv6", "2002:db8::3", "paranoid",
			[]string{"can't verify hostname: getaddrinfo(gone.dns.example, AF_INET6) failed"}},
		{"alias", "10.20.30.55", "paranoid",
			[]string{"host name/name mismatch: alias.dns.example != target.dns.example"}},
		{"dns case kept", "10.20.30.56", "MiXeD.Dns.Example", nil},
		{"no PTR", "10.20.30.99", "unknown", nil},
		{"hyphen-led label, looked up without net.Resolver", "10.20.30.58", "x.-y.dns.example", nil},
		{"five numeric labels are a name, not an address", "10.20.30.59", "1.2.3.4.5", nil},
		// glibc follows a CNAME to a name that fails res_hnok but keeps
		// the last good name as the canonical one.
		{"CNAME to a name glibc refuses", "10.20.30.67", "y.-z.dns.example", nil},
		{"SERVFAIL", "10.20.30.65", "unknown", nil},
		{"truncated UDP answer retried over TCP", "10.20.30.66", "big.dns.example", nil},

		// Hostile PTR targets: glibc refuses them, so the lookup fails.
		{"shell metacharacters", "10.20.30.60", "unknown", nil},
		{"newline", "10.20.30.61", "unknown", nil},
		{"NUL", "10.20.30.62", "unknown", nil},
		{"leading hyphen", "10.20.30.63", "unknown", nil},

		{"invalid address", "", "unknown", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var addr netip.Addr
			if tt.addr != "" {
				addr = netip.MustParseAddr(tt.addr)
			}
			name, warnings := f.r.HostName(addr)
			if name != tt.want || !reflect.DeepEqual(warnings, tt.warnings) {
				t.Errorf("HostName(%s) = %q, %q\nwant %q, %q", tt.addr, name, warnings, tt.want, tt.warnings)
			}
			if len(name) > resolve.MaxNameLen || strings.ContainsAny(name, "\x00\n\r\t #") {
				t.Errorf("HostName(%s) returned unsafe name %q", tt.addr, name)
			}
		})
	}
}

// "localhost" is exempt from the name/name check but not from the
// address check.
func TestHostNameLocalhost(t *testing.T) {
	f := newFixture(t, "10.3.3.1 localhost.localdomain localhost\n10.3.3.2 localhost\n")
	tests := []struct {
		addr     string
		want     string
		warnings []string
	}{
		{"10.3.3.2", "localhost", nil},
		{"10.20.30.57", "paranoid", []string{"host name/address mismatch: 10.20.30.57 != localhost.localdomain"}},
		{"10.20.30.68", "paranoid", []string{"host name/address mismatch: 10.20.30.68 != localhost.localdomain"}},
	}
	for _, tt := range tests {
		name, warnings := f.r.HostName(netip.MustParseAddr(tt.addr))
		if name != tt.want || !reflect.DeepEqual(warnings, tt.warnings) {
			t.Errorf("HostName(%s) = %q, %q; want %q, %q", tt.addr, name, warnings, tt.want, tt.warnings)
		}
	}
}

// A forward lookup that never answers makes the host paranoid, after
// about Timeout.
func TestHostNameForwardTimeout(t *testing.T) {
	f := newFixture(t, "")
	start := time.Now()
	name, warnings := f.r.HostName(netip.MustParseAddr("10.20.30.64"))
	want := []string{"can't verify hostname: getaddrinfo(slow.dns.example, AF_INET) failed"}
	if name != "paranoid" || !reflect.DeepEqual(warnings, want) {
		t.Errorf("HostName = %q, %q", name, warnings)
	}
	if d := time.Since(start); d > 3*f.r.Timeout {
		t.Errorf("took %v with Timeout %v", d, f.r.Timeout)
	}
}

// A name server that never answers gives "unknown" within Timeout.
func TestHostNameTimeout(t *testing.T) {
	srv := dnstest.Start(t, zone, dnstest.Silent(nil))
	r := &resolve.Resolver{Net: srv.Resolver(), HostsFile: filepath.Join(t.TempDir(), "none"), Timeout: 300 * time.Millisecond}
	start := time.Now()
	name, warnings := r.HostName(netip.MustParseAddr("10.20.30.50"))
	if d := time.Since(start); d > r.Timeout+time.Second {
		t.Errorf("took %v with Timeout %v", d, r.Timeout)
	}
	if name != "unknown" || warnings != nil {
		t.Errorf("HostName = %q, %q; want unknown", name, warnings)
	}
	if srv.Asked("50.30.20.10.in-addr.arpa", dns.TypePTR) == 0 {
		t.Error("no PTR query reached the server")
	}
}

// The hosts file is consulted first: no DNS query is made for what it
// answers.
func TestHostsFileFirst(t *testing.T) {
	f := newFixture(t, "10.20.30.50 local.example\n")
	if name, _ := f.r.HostName(netip.MustParseAddr("10.20.30.50")); name != "local.example" {
		t.Errorf("HostName = %q", name)
	}
	if q := f.dns.Queries(); len(q) != 0 {
		t.Errorf("queries sent: %v", q)
	}
}

func TestLookupHost(t *testing.T) {
	f := newFixture(t, hostsD+hostsExtra+"2001:db8::77 v6first\n10.7.7.7 v6first\n10.1.1.11 dup\n10.1.1.11 dup\n")
	tests := []struct {
		name      string
		canonical string
		addrs     string
	}{
		{"host1", "host1.example.com", "10.1.1.1"},                         // D26: an alias
		{"liar.example.com", "real.example.com", "10.1.1.9 10.1.1.8"},      // D33
		{"dual.example.com", "dual.example.com", "10.1.1.10 2001:db8::10"}, // D35
		{"multi.example.com", "multi.example.com", "10.1.1.4 10.1.1.5"},    // D51
		{"srv2.example.com", "srv2.example.com", "10.2.2.3 10.2.2.4"},      // D46
		{"MIXED.EXAMPLE.COM", "Mixed.Example.COM", "10.1.1.3"},
		// Sorted as glibc sorts on the reference machine, not file order.
		{"v6first", "v6first", "10.7.7.7 2001:db8::77"},
		// Duplicates are kept.
		{"dup", "dup", "10.1.1.11 10.1.1.11"},
		// Numeric names in every form getaddrinfo takes.
		{"10.1", "10.1", "10.0.0.1"},
		{"0x7f.1", "0x7f.1", "127.0.0.1"},
		{"2001:DB8::1", "2001:DB8::1", "2001:db8::1"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		// DNS, through a CNAME.
		{"alias.dns.example", "target.dns.example", "10.20.30.55 2001:db8::55"},
		{"good.dns.example", "good.dns.example", "10.20.30.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			canonical, addrs, err := f.r.LookupHost(tt.name)
			if err != nil {
				t.Fatalf("LookupHost(%q): %v", tt.name, err)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if canonical != tt.canonical || strings.Join(got, " ") != tt.addrs {
				t.Errorf("LookupHost(%q) = %q, %v; want %q, %s", tt.name, canonical, got, tt.canonical, tt.addrs)
			}
		})
	}
}

func TestLookupHostNotFound(t *testing.T) {
	f := newFixture(t, hostsD)
	for _, name := range []string{"gone.dns.example", "nodots.", "fe80::1%no-such-interface", "[::1]", ""} {
		if _, _, err := f.r.LookupHost(name); !errors.Is(err, resolve.ErrNotFound) {
			t.Errorf("LookupHost(%q) error = %v, want ErrNotFound", name, err)
		}
	}
	// A timeout is an error too, but not ErrNotFound.
	start := time.Now()
	if _, _, err := f.r.LookupHost("slow.dns.example"); err == nil || errors.Is(err, resolve.ErrNotFound) {
		t.Errorf("LookupHost(slow) error = %v", err)
	}
	if d := time.Since(start); d > 3*f.r.Timeout {
		t.Errorf("took %v with Timeout %v", d, f.r.Timeout)
	}
}

// The zero Resolver is usable; it reads the system files. Only names the
// hosts file cannot miss are tried, so that no network is needed.
func TestZeroResolver(t *testing.T) {
	var r resolve.Resolver
	_, addrs, err := r.LookupHost("127.0.0.1")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("LookupHost(127.0.0.1) = %v, %v", addrs, err)
	}
}
