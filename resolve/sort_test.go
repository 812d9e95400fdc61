package resolve

import (
	"net/netip"
	"strings"
	"testing"
)

// testSource reproduces the machine the expectations below were recorded
// on: IPv4 192.0.2.2/24 with the default route, IPv6 fd00::2/64 with the
// default route, and the loopback addresses. Link-local destinations
// without a scope cannot be connected to.
func testSource(dst netip.Addr) (netip.Addr, int, bool) {
	switch {
	case dst.Is4() || dst.Is4In6():
		src, plen := netip.MustParseAddr("192.0.2.2"), 24
		if dst.Unmap().As4()[0] == 127 {
			src, plen = netip.MustParseAddr("127.0.0.1"), 8
		}
		if dst.Is4In6() {
			src = netip.AddrFrom16(src.As16())
		}
		return src, plen, true
	case dst == netip.IPv6Loopback():
		return dst, 128, true
	case dst.IsLinkLocalUnicast() && dst.Zone() == "":
		return netip.Addr{}, 0, false
	case dst.IsLinkLocalUnicast():
		return netip.MustParseAddr("fe80::fc:ff:fe00:1").WithZone(dst.Zone()), 64, true
	}
	return netip.MustParseAddr("fd00::2"), 64, true
}

// Each case lists a name's addresses in hosts-file order and the order
// glibc 2.36's getaddrinfo(AF_UNSPEC) returned them on that machine.
func TestSortLikeGlibc(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ipv4 ties keep file order", "10.1.1.1 8.8.8.8", "10.1.1.1 8.8.8.8"},
		{"rule 8 smaller scope (loopback)", "10.1.1.1 127.0.0.2", "127.0.0.2 10.1.1.1"},
		{"rule 6 precedence ::1", "2001:db8::1 ::1", "::1 2001:db8::1"},
		{"rule 5 matching label (ULA source)", "2001:db8::1 fd00::99", "fd00::99 2001:db8::1"},
		{"rule 5 label: IPv4 before unmatched IPv6", "2001:db8::10 10.1.1.10", "10.1.1.10 2001:db8::10"},
		// RFC 3484's tables, not RFC 6724's: ULA beats IPv4.
		{"rule 6 precedence ULA over IPv4", "10.1.1.1 fd00::99", "fd00::99 10.1.1.1"},
		{"rule 9 longest prefix ipv6", "fd00::1:2 fd00::99", "fd00::99 fd00::1:2"},
		{"rule 9 ipv4 only inside the subnet", "192.0.2.200 192.0.2.3 10.9.9.9", "192.0.2.3 192.0.2.200 10.9.9.9"},
		{"rule 9 ipv4 subnet beats outside", "8.8.8.8 192.0.2.200", "192.0.2.200 8.8.8.8"},
		{"rule 9 ipv4 within subnet", "192.0.2.1 192.0.2.254", "192.0.2.1 192.0.2.254"},
		{"rule 1 unusable last", "fe80::5 2001:db8::1 10.1.1.1", "10.1.1.1 2001:db8::1 fe80::5"},
		{"mapped and ipv4 tie", "::ffff:10.1.1.1 10.1.1.2", "::ffff:10.1.1.1 10.1.1.2"},
		{"rules 2 and 6 on assorted ipv6", "2002::1 2001::1 2001:db8::1 fec0::1 ::2", "2001::1 2001:db8::1 2002::1 ::2 fec0::1"},
		{"rule 2 link-local ipv4 with global source", "10.1.1.1 169.254.1.1", "10.1.1.1 169.254.1.1"},
		{"loopbacks and ULA", "fd00::99 ::1 127.0.0.1", "::1 fd00::99 127.0.0.1"},
		{"duplicates stay", "10.1.1.11 10.1.1.11 10.1.1.12", "10.1.1.11 10.1.1.11 10.1.1.12"},
	}
	r := &Resolver{source: testSource}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []netip.Addr
			for _, s := range strings.Fields(tt.in) {
				in = append(in, netip.MustParseAddr(s))
			}
			var got []string
			for _, a := range r.sortAddrs(in) {
				got = append(got, a.String())
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("sort(%s) = %s, want %s", tt.in, g, tt.want)
			}
		})
	}
}

func TestScopeOf(t *testing.T) {
	tests := map[string]int{
		"127.0.0.1": 2, "169.254.9.9": 2, "10.0.0.1": 14, "192.168.1.1": 14,
		"::1": 2, "fe80::1": 2, "fec0::1": 5, "2001:db8::1": 14, "ff02::1": 2, "ff05::1": 5, "ff0e::1": 14,
		// A v4-mapped loopback is not IPv6 loopback for glibc.
		"::ffff:127.0.0.1": 14,
	}
	for a, want := range tests {
		if got := scopeOf(netip.MustParseAddr(a)); got != want {
			t.Errorf("scopeOf(%s) = %d, want %d", a, got, want)
		}
	}
}
