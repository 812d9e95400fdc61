package access_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"tcpwrap/access"
)

// denyHostsTable is a DenyHosts-style table: "ALL: a.b.c.d" lines.
func denyHostsTable(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "ALL: %s\n", nthAddr(i))
	}
	return []byte(b.String())
}

// addressTable mixes the address rule forms admins write: exact
// addresses, "net." prefixes and net/mask patterns, per daemon.
//
// Its last line is "sshd: 198.51.100.7", the only rule that address
// matches, so that the "last" client really is decided by the last rule.
func addressTable(n int) []byte {
	var b strings.Builder
	for i := 0; i < n-1; i++ {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(&b, "sshd: %s\n", nthAddr(i))
		case 2:
			fmt.Fprintf(&b, "in.ftpd sshd: 10.%d.%d.\n", (i>>16)&255, (i>>8)&255)
		case 3:
			fmt.Fprintf(&b, "ALL EXCEPT in.telnetd: 172.%d.%d.0/255.255.255.0\n", 16+(i>>16)&15, (i>>8)&255)
		}
	}
	b.WriteString("sshd: 198.51.100.7\n")
	return []byte(b.String())
}

func nthAddr(i int) string {
	return fmt.Sprintf("10.%d.%d.%d", (i>>16)&255, (i>>8)&255, i&255)
}

func BenchmarkDecide(b *testing.B) {
	for _, kind := range []string{"denyhosts", "address"} {
		for _, n := range []int{10, 1000, 10000, 100000} {
			src := denyHostsTable(n)
			if kind == "address" {
				src = addressTable(n)
			}
			p := access.Policy{Deny: access.Parse(src, "hosts.deny", access.ParseOptions{})}
			last := nthAddr(n - 1)
			if kind == "address" {
				last = "198.51.100.7"
			}
			for _, client := range []struct{ name, addr string }{{"last", last}, {"none", "192.0.2.1"}} {
				b.Run(fmt.Sprintf("%s/rules=%d/%s", kind, n, client.name), func(b *testing.B) {
					req := access.Request{Daemon: "sshd", Client: access.Endpoint{Addr: client.addr}, User: access.Unknown}
					want := access.Denied
					if client.name == "none" {
						want = access.Granted
					}
					b.ReportAllocs()
					for b.Loop() {
						d := p.Check(req, access.Hooks{})
						if d.Verdict != want {
							b.Fatalf("verdict %v", d.Verdict)
						}
					}
				})
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		src := denyHostsTable(n)
		b.Run(fmt.Sprintf("denyhosts/rules=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				access.Parse(src, "hosts.deny", access.ParseOptions{})
			}
		})
	}
}

// TestMemoryPerRule measures the heap a compiled 100,000-rule
// DenyHosts table holds, per rule (the target is under 300 bytes).
func TestMemoryPerRule(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a large table")
	}
	src := denyHostsTable(100000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tab := access.Parse(src, "hosts.deny", access.ParseOptions{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / 100000
	runtime.KeepAlive(tab)
	t.Logf("%.0f bytes of heap per address rule", per)
	if per > 300 {
		t.Errorf("%.0f bytes per rule, want at most 300", per)
	}
}
