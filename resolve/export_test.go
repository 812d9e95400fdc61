package resolve

import "net/netip"

// SetSource replaces the kernel query behind the address sort.
func SetSource(r *Resolver, f func(dst netip.Addr) (src netip.Addr, prefixLen int, ok bool)) {
	r.source = f
}

// SetResolvConf makes r's reverse lookups read path instead of
// /etc/resolv.conf.
func SetResolvConf(r *Resolver, path string) { r.resolvConfPath = path }

// TestSource is the fixed source-address table of sort_test.go.
var TestSource = testSource
