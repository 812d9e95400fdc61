package resolve_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"tcpwrap/resolve"
	"tcpwrap/resolve/dnstest"
)

// The differential test's hosts file: the D and G cases' lines that do
// not conflict, plus lines that exercise sorting, duplicates, v4-mapped
// addresses, aliases and odd names.
var oracleHosts = "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.2 nodots\n" +
	"10.1.1.3 Mixed.Example.COM\n10.1.1.4 multi.example.com\n10.1.1.5 multi.example.com\n" +
	"10.1.1.9 real.example.com liar.example.com\n10.1.1.8 liar.example.com\n" +
	"10.1.1.10 dual.example.com\n2001:db8::10 dual.example.com\n" +
	"10.2.2.3 srv2.example.com\n10.2.2.4 srv2.example.com\n" +
	"127.0.0.5 10.20.30.40 g16\n127.0.0.9 g14real g14liar\n127.0.0.2 g14liar\n" +
	"2001:db8::20 mix1 alias6\n10.1.1.20 mix2 alias6\n::ffff:10.1.1.30 mapped\n" +
	"2001:db8::77 v6first\n10.7.7.7 v6first\nfd00::99 ula\n10.7.7.8 ula\n" +
	"10.1.1.11 dup\n10.1.1.11 dup\n10.1.1.12 dup\n" +
	"10.3.3.1 localhost.localdomain lh\n10.3.3.2 localhost\n" +
	"10.4.4.1 ;rm$(x)`y`|z\n10.4.4.3 " + strings.Repeat("b", 150) + " longname\n" +
	"192.0.2.200 subnet\n192.0.2.3 subnet\n10.9.9.9 subnet\n"

var oracleNames = []string{
	"host1", "nodots", "mixed.example.com", "multi.example.com", "liar.example.com",
	"real.example.com", "dual.example.com", "srv2.example.com", "g16", "g14liar", "g14real",
	"alias6", "mix1", "mapped", "v6first", "ula", "dup", "lh", ";rm$(x)`y`|z", "longname",
	"subnet", "10.1", "0x7f.1", "absent.example", "nodots.",
}

// The differential test's DNS zone, served on 127.0.53.53:53 to glibc and
// through Resolver.Net to resolve. Each nNN name resolves to 10.20.30.NN,
// whose PTR record is the interesting part.
var oracleZone = `
n50.dns.example. A 10.20.30.50
50.30.20.10.in-addr.arpa. PTR n50.dns.example.
n51.dns.example. A 10.20.30.51
51.30.20.10.in-addr.arpa. PTR moved.dns.example.
moved.dns.example. A 10.9.9.9
n52.dns.example. A 10.20.30.52
52.30.20.10.in-addr.arpa. PTR 10.20.30.40.
n53.dns.example. A 10.20.30.53
53.30.20.10.in-addr.arpa. PTR 10.1.
n54.dns.example. A 10.20.30.54
54.30.20.10.in-addr.arpa. PTR gone.dns.example.
n55.dns.example. A 10.20.30.55
55.30.20.10.in-addr.arpa. PTR alias.dns.example.
alias.dns.example. CNAME target.dns.example.
target.dns.example. A 10.20.30.57
target.dns.example. AAAA 2001:db8::57
57.30.20.10.in-addr.arpa. PTR target.dns.example.
n56.dns.example. A 10.20.30.56
56.30.20.10.in-addr.arpa. PTR MiXeD.Dns.Example.
mixed.dns.example. A 10.20.30.56
n58.dns.example. A 10.20.30.58
58.30.20.10.in-addr.arpa. PTR x.-y.dns.example.
x.-y.dns.example. A 10.20.30.58
n60.dns.example. A 10.20.30.60
60.30.20.10.in-addr.arpa. PTR a\;b\$c.dns.example.
n61.dns.example. A 10.20.30.61
61.30.20.10.in-addr.arpa. PTR evil\010newline.dns.example.
n62.dns.example. A 10.20.30.62
62.30.20.10.in-addr.arpa. PTR -lead.dns.example.
n63.dns.example. A 10.20.30.63
63.30.20.10.in-addr.arpa. PTR bad\;first.dns.example.
63.30.20.10.in-addr.arpa. PTR n63.dns.example.
n64.dns.example. A 10.20.30.64
64.30.20.10.in-addr.arpa. CNAME 64.0-24.30.20.10.in-addr.arpa.
64.0-24.30.20.10.in-addr.arpa. PTR n64.dns.example.
n59.dns.example. A 10.20.30.59
59.30.20.10.in-addr.arpa. PTR 1.2.3.4.5.
1.2.3.4.5. A 10.20.30.59
n65.dns.example. A 10.20.30.65
65.30.20.10.in-addr.arpa. PTR never.dns.example.
n67.dns.example. A 10.20.30.67
67.30.20.10.in-addr.arpa. PTR y.-z.dns.example.
y.-z.dns.example. CNAME bad\;target.dns.example.
bad\;target.dns.example. A 10.20.30.67
n68.dns.example. A 10.20.30.68
68.30.20.10.in-addr.arpa. PTR LocalHost.
n69.dns.example. A 10.20.30.69
69.30.20.10.in-addr.arpa. PTR n69.dns.example.
` + strings.Repeat("69.30.20.10.in-addr.arpa. PTR filler-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.dns.example.\n", 30) + `
n70.dns.example. A 10.20.30.71
n70.dns.example. A 10.20.30.70
n70.dns.example. AAAA fd00::70
n70.dns.example. AAAA 2001:db8::70
71.30.20.10.in-addr.arpa. PTR n70.dns.example.
`

var oracleDNSNames = []string{
	"n50.dns.example", "n51.dns.example", "n52.dns.example", "n53.dns.example", "n54.dns.example",
	"n55.dns.example", "alias.dns.example", "n56.dns.example", "n58.dns.example", "n60.dns.example",
	"n61.dns.example", "n62.dns.example", "n63.dns.example", "n64.dns.example", "n70.dns.example",
	"n59.dns.example", "n65.dns.example", "n67.dns.example", "n68.dns.example", "n69.dns.example",
	"gone.dns.example",
}

// TestAgainstDebianTcpdmatch runs Debian's tcpdmatch on a list of names
// in a private mount namespace, with its own /etc/hosts and
// /etc/resolv.conf bind-mounted in, and checks that LookupHost gives the
// addresses in the same order and that HostName gives the same host name
// for each. The "files" run has DNS unreachable; the "dns" run serves
// oracleZone on 127.0.53.53:53. It needs root, unshare(1) and the tcpd
// package; the "dns" run also needs port 53 on 127.0.53.53 to be free.
func TestAgainstDebianTcpdmatch(t *testing.T) {
	const tcpdmatch = "/usr/sbin/tcpdmatch"
	if os.Geteuid() != 0 {
		t.Skip("needs root for a private mount namespace")
	}
	if _, err := os.Stat(tcpdmatch); err != nil {
		t.Skip("Debian's tcpdmatch is not installed")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare(1) is not installed")
	}
	t.Run("files", func(t *testing.T) {
		srv := dnstest.Start(t, "") // for resolve: every question is NXDOMAIN
		compareWithTcpdmatch(t, oracleHosts, "nameserver 127.0.0.77\noptions timeout:1 attempts:1\n", srv, oracleNames)
	})
	t.Run("dns", func(t *testing.T) {
		// Not 127.0.0.1: the network is shared with the other packages'
		// tests, and internal/difftest points its runs at 127.0.0.1,
		// where nothing may answer.
		const ns = "127.0.53.53"
		for _, network := range []string{"udp", "tcp"} {
			if !portFree(network, ns+":53") {
				t.Skip(ns + ":53 is in use")
			}
		}
		srv := dnstest.Start(t, oracleZone, dnstest.ListenAddr(ns+":53"),
			dnstest.Rcode(dns.RcodeServerFailure, dnstest.Name("65.30.20.10.in-addr.arpa", dns.TypePTR)))
		compareWithTcpdmatch(t, "127.0.0.1 localhost\n", "nameserver "+ns+"\noptions timeout:1 attempts:1\n", srv, oracleDNSNames)
	})
}

func portFree(network, addr string) bool {
	var c io.Closer
	var err error
	if network == "udp" {
		c, err = net.ListenPacket(network, addr)
	} else {
		c, err = net.Listen(network, addr)
	}
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func compareWithTcpdmatch(t *testing.T, hostsText, resolvText string, srv *dnstest.Server, names []string) {
	const tcpdmatch = "/usr/sbin/tcpdmatch"
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hosts := write("hosts", hostsText)
	resolv := write("resolv.conf", resolvText)
	write("hosts.allow", "ALL: ALL\n")
	write("hosts.deny", "")

	var script strings.Builder
	script.WriteString("mount --bind " + hosts + " /etc/hosts && mount --bind " + resolv + " /etc/resolv.conf && cd " + dir + " || exit 99\n")
	for _, n := range names {
		script.WriteString("echo '=== '" + shellQuote(n) + "; " + tcpdmatch + " -d sshd " + shellQuote(n) + "\n")
	}
	out, err := exec.Command("unshare", "-m", "sh", "-c", script.String()).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 99 || len(out) == 0 {
		t.Skipf("cannot set up the mount namespace: %v", err)
	}
	got := parseTcpdmatch(string(out))

	r := &resolve.Resolver{Net: srv.Resolver(), HostsFile: hosts, Timeout: 2 * time.Second}
	for _, n := range names {
		var want []string
		_, addrs, err := r.LookupHost(n)
		if err == nil {
			for _, a := range addrs {
				block := "address " + a.String()
				if hn, _ := r.HostName(a); hn != resolve.Unknown {
					block = "hostname " + percentX(hn) + "; " + block
				}
				want = append(want, block)
			}
		}
		t.Logf("%s: %q", n, want)
		if g := strings.Join(got[n], "\n"); g != strings.Join(want, "\n") {
			t.Errorf("%q:\ntcpdmatch:\n%s\nresolve:\n%s", n, g, strings.Join(want, "\n"))
		}
	}
}

// parseTcpdmatch turns the report of each operand into one line per
// address block: "hostname H; address A" or "address A".
func parseTcpdmatch(out string) map[string][]string {
	res := map[string][]string{}
	var name, block string
	flush := func() {
		if block != "" {
			res[name] = append(res[name], block)
			block = ""
		}
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "=== "):
			flush()
			name = strings.TrimPrefix(line, "=== ")
		case strings.HasPrefix(line, "client:   hostname "):
			block = "hostname " + strings.TrimPrefix(line, "client:   hostname ") + "; "
		case strings.HasPrefix(line, "client:   address  "):
			block += "address " + strings.TrimPrefix(line, "client:   address  ")
		case line == "":
			flush()
		}
	}
	flush()
	return res
}

// percentX is the sanitising tcpdmatch applies to %n before printing it
// (percent_x.c): every byte outside its safe set becomes '_'. resolve
// itself returns names verbatim.
func percentX(s string) string {
	const ok = "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := []byte(s)
	for i, c := range b {
		if !strings.ContainsRune(ok, rune(c)) {
			b[i] = '_'
		}
	}
	return string(b)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
