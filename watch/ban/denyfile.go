package ban

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Pattern is the hosts_access(5) host pattern that matches exactly the
// addresses of p, as both Debian's tcp_wrappers and package access read
// it:
//
//	192.0.2.7                 one IPv4 address (not "/255.255.255.255",
//	                          which tcp_wrappers never matches)
//	198.51.100.0/255.255.255.0  an IPv4 prefix, net/mask
//	[2001:db8::7]             one IPv6 address
//	[2001:db8:1:2::]/64       an IPv6 prefix
//
// An IPv4 address also matches a client seen as ::ffff:192.0.2.7.
func Pattern(p netip.Prefix) string {
	p = p.Masked()
	a := p.Addr()
	if a.Is4() {
		if p.Bits() == 32 {
			return a.String()
		}
		m := ^uint32(0) << (32 - p.Bits())
		if p.Bits() == 0 {
			m = 0
		}
		return fmt.Sprintf("%s/%d.%d.%d.%d", a, m>>24, m>>16&0xff, m>>8&0xff, m&0xff)
	}
	if p.Bits() == 128 {
		return "[" + a.String() + "]"
	}
	return "[" + a.String() + "]/" + strconv.Itoa(p.Bits())
}

// ParsePattern reads back a word Pattern wrote.
func ParsePattern(w string) (netip.Prefix, bool) {
	if strings.HasPrefix(w, "[") {
		addr, bits, hasBits := strings.Cut(w[1:], "]")
		a, err := netip.ParseAddr(addr)
		if err != nil || !a.Is6() || a.Zone() != "" || a.Is4In6() {
			return netip.Prefix{}, false
		}
		n := 128
		if bits != "" {
			b, ok := strings.CutPrefix(bits, "/")
			if !ok {
				return netip.Prefix{}, false
			}
			n, err = strconv.Atoi(b)
			if err != nil || n < 0 || n > 128 || b != strconv.Itoa(n) {
				return netip.Prefix{}, false
			}
		} else if !hasBits {
			return netip.Prefix{}, false
		}
		p := netip.PrefixFrom(a, n)
		return p, p == p.Masked()
	}
	addr, mask, hasMask := strings.Cut(w, "/")
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, false
	}
	if !hasMask {
		return netip.PrefixFrom(a, 32), true
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return netip.Prefix{}, false
	}
	mb := m.As4()
	mv := uint32(mb[0])<<24 | uint32(mb[1])<<16 | uint32(mb[2])<<8 | uint32(mb[3])
	n := 0
	for n < 32 && mv&(1<<(31-n)) != 0 {
		n++
	}
	if n == 32 || n > 0 && mv != ^uint32(0)<<(32-n) || n == 0 && mv != 0 {
		return netip.Prefix{}, false
	}
	p := netip.PrefixFrom(a, n)
	return p, p == p.Masked()
}

// render is the deny list's content: one pattern per line, IPv4 first,
// in address order. There is no comment line: the /file format has no
// comment syntax, and every word in the file is a pattern.
func render(ps []netip.Prefix) []byte {
	ps = slices.Clone(ps)
	slices.SortFunc(ps, comparePrefix)
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(Pattern(p))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
