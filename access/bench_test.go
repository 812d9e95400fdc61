package access_test

import (
	"fmt"
	"runtime"
	"testing"

	"tcpwrap/access"
	"tcpwrap/internal/tablegen"
)

var (
	denyHostsTable = tablegen.DenyHosts
	addressTable   = tablegen.Address
	nthAddr        = tablegen.Addr
)

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
				last = tablegen.AddressLast
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
