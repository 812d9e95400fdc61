package access

import (
	"math/bits"
	"net/netip"
)

// netmask is a compiled "net/mask" client pattern. tcp_wrappers keeps the
// pattern text and re-parses it for every comparison; the outcome depends
// only on the pattern, so it is parsed once here.
type netmask struct {
	// IPv4 form: net and mask both valid; matches when addr&mask == net
	// (the net is deliberately not masked: host bits set never match).
	v4ok     bool
	net4, m4 uint32
	// IPv6 form: "[v6addr]/len".
	v6ok bool
	net6 netip.Addr
	len6 int
}

func compileNetmask(net, mask string) netmask {
	var m netmask
	if n, ok := dotQuad(net); ok {
		if mv, ok := dotQuad(mask); ok {
			m.v4ok, m.net4, m.m4 = true, n, mv
		} else if l := atoi(mask); l >= 1 && l <= 32 {
			m.v4ok, m.net4, m.m4 = true, n, ^uint32(0)<<(32-l)
		}
	}
	if len(net) >= 2 && net[0] == '[' && net[len(net)-1] == ']' {
		if a, ok := parseIPv6(net[1 : len(net)-1]); ok {
			if l := atoi(mask); l >= 0 && l <= 128 {
				m.v6ok, m.net6, m.len6 = true, a, l
			}
		}
	}
	return m
}

// match tests an address string, as tcp_wrappers' masked_match does: the
// IPv4 test on the (mapped-stripped) string, then, for strings that are not
// IPv4-mapped, the IPv6 prefix test.
func (m *netmask) match(addr string) bool {
	s := stripMapped(addr)
	if m.v4ok {
		if a, ok := dotQuad(s); ok && a&m.m4 == m.net4 {
			return true
		}
	}
	if !m.v6ok || len(s) != len(addr) {
		return false
	}
	a, ok := parseIPv6(addr)
	if !ok {
		return false
	}
	return prefixEqual(a, m.net6, m.len6)
}

// never reports whether the pattern can match no address at all.
func (m *netmask) never() bool {
	return (!m.v4ok || m.net4&^m.m4 != 0) && !m.v6ok
}

// contiguous reports whether the IPv4 mask is a prefix mask, and its length.
func (m *netmask) contiguous() (int, bool) {
	l := bits.LeadingZeros32(^m.m4)
	return l, m.m4 == ^uint32(0)<<(32-l) || l == 32
}

// prefixEqual compares the first n bits of two IPv6 addresses.
func prefixEqual(a, b netip.Addr, n int) bool {
	x, y := a.As16(), b.As16()
	for i := 0; n > 0; i++ {
		if n >= 8 {
			if x[i] != y[i] {
				return false
			}
			n -= 8
			continue
		}
		mask := byte(0xff) << (8 - n)
		return x[i]&mask == y[i]&mask
	}
	return true
}
