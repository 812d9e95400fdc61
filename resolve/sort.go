package resolve

import (
	"math/bits"
	"net"
	"net/netip"
	"slices"
)

// This file orders the addresses of a multi-address name the way glibc's
// getaddrinfo does (rfc3484_sort in sysdeps/posix/getaddrinfo.c), so that
// tcpdmatch reports them in the same order as Debian's. glibc implements
// the rules of RFC 3484 with that RFC's policy tables, not the RFC 6724
// ones Go's resolver uses; the difference shows, for example, in that
// glibc puts a ULA IPv6 address (fd00::/8) before an IPv4 address when
// both are reachable.
//
// Rules 3 (avoid deprecated source addresses) and 4 (prefer home
// addresses) need per-address flags from the kernel and are skipped;
// glibc's rule 7 (prefer native transport) is a no-op.

type policy struct {
	prefix netip.Prefix
	value  int
}

func mustPolicy(p string, v int) policy { return policy{netip.MustParsePrefix(p), v} }

// glibc's default label and precedence tables, searched in order.
var (
	glibcLabels = []policy{
		mustPolicy("::1/128", 0),
		mustPolicy("2002::/16", 2),
		mustPolicy("::/96", 3),
		mustPolicy("::ffff:0:0/96", 4),
		mustPolicy("fec0::/10", 5),
		mustPolicy("fc00::/7", 6),
		mustPolicy("2001::/32", 7), // Teredo
		mustPolicy("::/0", 1),
	}
	glibcPrecedence = []policy{
		mustPolicy("::1/128", 50),
		mustPolicy("2002::/16", 30),
		mustPolicy("::/96", 20),
		mustPolicy("::ffff:0:0/96", 10),
		mustPolicy("::/0", 40),
	}
)

// lookupPolicy matches a as glibc does, IPv4 in its v4-mapped form.
func lookupPolicy(table []policy, a netip.Addr) int {
	a16 := netip.AddrFrom16(a.As16())
	for _, p := range table {
		if p.prefix.Contains(a16) {
			return p.value
		}
	}
	return 0
}

// scopeOf is glibc's get_scope: IPv4 169.254/16 and 127/8 are link-local
// (2), every other IPv4 address global (14); IPv6 by its type. A
// v4-mapped address is an IPv6 address here, as it is for glibc.
func scopeOf(a netip.Addr) int {
	if a.Is4() {
		b := a.As4()
		if b[0] == 127 || b[0] == 169 && b[1] == 254 {
			return 2
		}
		return 14
	}
	b := a.As16()
	switch {
	case b[0] == 0xff:
		return int(b[1] & 0xf)
	case b[0] == 0xfe && b[1]&0xc0 == 0x80, a.WithZone("") == netip.IPv6Loopback():
		return 2
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return 5
	}
	return 14
}

type sortEntry struct {
	dst, src  netip.Addr
	srcOK     bool
	prefixLen int // of an IPv4 source's interface address
	index     int
}

func (r *Resolver) sortAddrs(addrs []netip.Addr) []netip.Addr {
	source := r.source
	if source == nil {
		source = systemSource
	}
	es := make([]sortEntry, len(addrs))
	for i, a := range addrs {
		src, plen, ok := source(a)
		es[i] = sortEntry{dst: a, src: src, srcOK: ok, prefixLen: plen, index: i}
	}
	slices.SortStableFunc(es, compareDest)
	out := make([]netip.Addr, len(es))
	for i, e := range es {
		out[i] = e.dst
	}
	return out
}

// compareDest is glibc's rfc3484_sort comparison: negative when a1 goes
// first.
func compareDest(a1, a2 sortEntry) int {
	// Rule 1: avoid unusable destinations.
	if a1.srcOK != a2.srcOK {
		if a1.srcOK {
			return -1
		}
		return 1
	}
	d1, d2 := scopeOf(a1.dst), scopeOf(a2.dst)
	if a1.srcOK {
		// Rule 2: prefer matching scope.
		m1, m2 := d1 == scopeOf(a1.src), d2 == scopeOf(a2.src)
		if m1 != m2 {
			return preferTrue(m1)
		}
		// Rule 5: prefer matching label.
		l1 := lookupPolicy(glibcLabels, a1.dst) == lookupPolicy(glibcLabels, a1.src)
		l2 := lookupPolicy(glibcLabels, a2.dst) == lookupPolicy(glibcLabels, a2.src)
		if l1 != l2 {
			return preferTrue(l1)
		}
	}
	// Rule 6: prefer higher precedence.
	if p1, p2 := lookupPolicy(glibcPrecedence, a1.dst), lookupPolicy(glibcPrecedence, a2.dst); p1 != p2 {
		if p1 > p2 {
			return -1
		}
		return 1
	}
	// Rule 8: prefer smaller scope.
	if d1 != d2 {
		if d1 < d2 {
			return -1
		}
		return 1
	}
	// Rule 9: prefer the longest prefix shared with the source; for IPv4
	// only inside the source's subnet.
	if a1.srcOK && a1.dst.Is4() == a2.dst.Is4() {
		c1, c2 := commonPrefix(a1), commonPrefix(a2)
		if c1 != c2 {
			if c1 > c2 {
				return -1
			}
			return 1
		}
	}
	// Rule 10: keep the original order.
	return a1.index - a2.index
}

func preferTrue(b bool) int {
	if b {
		return -1
	}
	return 1
}

func commonPrefix(e sortEntry) int {
	if e.dst.Is4() {
		s4, d4 := e.src.As4(), e.dst.As4()
		s, d := be32(s4[:]), be32(d4[:])
		mask := ^uint32(0) // a prefix length of 0 (unknown) acts as 32, as on x86
		if e.prefixLen > 0 && e.prefixLen < 32 {
			mask <<= 32 - e.prefixLen
		}
		if s&mask != d&mask {
			return 0
		}
		return bits.LeadingZeros32(s ^ d)
	}
	s, d := e.src.As16(), e.dst.As16()
	n := 0
	for i := 0; i < 16; i++ {
		if x := s[i] ^ d[i]; x != 0 {
			return n + bits.LeadingZeros8(x)
		}
		n += 8
	}
	return n
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// systemSource asks the kernel which source address a UDP socket
// connected to dst would use, as glibc does, and for an IPv4 source the
// prefix length of the interface address it belongs to.
func systemSource(dst netip.Addr) (src netip.Addr, prefixLen int, ok bool) {
	network := "udp6"
	switch {
	case dst.Is4():
		network = "udp4"
	case dst.Is4In6():
		network = "udp" // an AF_INET6 socket that is not v6-only, as glibc's
	}
	c, err := net.DialUDP(network, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return netip.Addr{}, 0, false
	}
	defer c.Close()
	src = c.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
	switch {
	case dst.Is4():
		src = src.Unmap()
	case dst.Is4In6():
		src = netip.AddrFrom16(src.As16())
	}
	if src.Is4() {
		ifaddrs, _ := net.InterfaceAddrs() // no prefix length: rule 9 then sees no subnet
		for _, ia := range ifaddrs {
			if ipn, isNet := ia.(*net.IPNet); isNet {
				if a, okA := netip.AddrFromSlice(ipn.IP); okA && a.Unmap() == src {
					prefixLen, _ = ipn.Mask.Size()
					break
				}
			}
		}
	}
	return src, prefixLen, true
}
