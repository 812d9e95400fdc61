package resolve

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// family is the address family a lookup is restricted to, as in the
// ai_family hint of getaddrinfo.
type family int

const (
	anyFamily family = iota // AF_UNSPEC
	inet4                   // AF_INET
	inet6                   // AF_INET6
)

// String gives the name tcpd prints in "can't verify hostname" warnings.
func (f family) String() string {
	switch f {
	case inet4:
		return "AF_INET"
	case inet6:
		return "AF_INET6"
	}
	return "AF_UNSPEC"
}

// familyOf returns the family of an (unmapped) client address.
func familyOf(a netip.Addr) family {
	if a.Is4() {
		return inet4
	}
	return inet6
}

// parseInetAton parses s exactly as glibc's __inet_aton_exact does, which
// is what getaddrinfo uses for numeric IPv4 host strings: one to four
// parts separated by dots, each in C notation (0x hex, leading-0 octal,
// decimal), the last part filling the remaining bytes ("10.1" is
// 10.0.0.1, "167772161" is 10.0.0.1), and nothing after the last part.
func parseInetAton(s string) (netip.Addr, bool) {
	var parts [4]uint32
	n := 0
	i := 0
	for {
		if i >= len(s) || !isDigit(s[i]) {
			return netip.Addr{}, false
		}
		v, next, ok := strtoul32(s, i)
		if !ok {
			return netip.Addr{}, false
		}
		i = next
		if i < len(s) && s[i] == '.' {
			if n > 2 || v > 0xff {
				return netip.Addr{}, false
			}
			parts[n] = v
			n++
			i++
			continue
		}
		if i != len(s) {
			return netip.Addr{}, false
		}
		max := [4]uint32{0xffffffff, 0xffffff, 0xffff, 0xff}[n]
		if v > max {
			return netip.Addr{}, false
		}
		word := v
		for k := 0; k < n; k++ {
			word |= parts[k] << (24 - 8*k)
		}
		return netip.AddrFrom4([4]byte{byte(word >> 24), byte(word >> 16), byte(word >> 8), byte(word)}), true
	}
}

// strtoul32 reads an unsigned number at s[i:] the way strtoul(s, &end, 0)
// does when s[i] is a digit, and fails if it exceeds 32 bits.
func strtoul32(s string, i int) (v uint32, next int, ok bool) {
	base := uint64(10)
	if s[i] == '0' {
		base = 8
		i++
		if i+1 < len(s) && (s[i] == 'x' || s[i] == 'X') && isHex(s[i+1]) {
			base = 16
			i++
		}
	}
	var acc uint64
	for ; i < len(s); i++ {
		d, isd := digitVal(s[i])
		if !isd || uint64(d) >= base {
			break
		}
		acc = acc*base + uint64(d)
		if acc > 0xffffffff {
			return 0, 0, false
		}
	}
	return uint32(acc), i, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	_, ok := digitVal(c)
	return ok
}

func digitVal(c byte) (int, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0'), true
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10, true
	}
	return 0, false
}

// parseInet6 parses s as getaddrinfo parses an IPv6 literal: the part
// before any '%' must pass inet_pton(AF_INET6). literal reports that;
// ok reports whether the optional "%scope" is acceptable too (see
// validScope). glibc fails a literal with a bad scope at once, without
// looking the string up as a name.
func parseInet6(s string) (a netip.Addr, literal, ok bool) {
	addr, scope, hasScope := strings.Cut(s, "%")
	if !strings.Contains(addr, ":") {
		return netip.Addr{}, false, false
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, false, false
	}
	if hasScope {
		if !validScope(a, scope) {
			return netip.Addr{}, true, false
		}
		a = a.WithZone(scope)
	}
	return a, true, true
}

// validScope reports whether glibc's __inet6_scopeid_pton accepts scope
// for a: an interface name (only for link-local and node- or link-local
// multicast addresses) or a decimal number that fits in 32 bits.
func validScope(a netip.Addr, scope string) bool {
	// glibc looks at the IPv6 bytes (fe80::/10, ffx1::, ffx2::); netip
	// would also call a v4-mapped 169.254.x.x link-local.
	if !a.Is4In6() && (a.IsLinkLocalUnicast() || a.IsInterfaceLocalMulticast() || a.IsLinkLocalMulticast()) {
		if ifi, err := net.InterfaceByName(scope); err == nil && ifi.Index != 0 {
			return true
		}
	}
	if scope == "" || !isDigit(scope[0]) {
		return false
	}
	_, err := strconv.ParseUint(scope, 10, 32)
	return err == nil
}

// numericHost reports how getaddrinfo treats name as a numeric host for
// the given family. numeric says whether name is an address literal, in
// which case getaddrinfo never consults the hosts file or DNS; ok says
// whether the literal is usable, and a is the address getaddrinfo then
// returns. A literal is unusable when its family does not fit
// (EAI_ADDRFAMILY: an IPv4 literal for AF_INET6, as AI_V4MAPPED is not
// set, or a non-mapped IPv6 literal for AF_INET) or its scope is invalid
// (EAI_NONAME). For AF_INET a v4-mapped IPv6 literal yields the IPv4
// address.
func numericHost(name string, fam family) (a netip.Addr, numeric, ok bool) {
	if v4, isV4 := parseInetAton(name); isV4 {
		return v4, true, fam != inet6
	}
	v6, literal, scopeOK := parseInet6(name)
	switch {
	case !literal:
		return netip.Addr{}, false, false
	case !scopeOK:
		return netip.Addr{}, true, false
	case fam == inet4 && v6.Is4In6():
		return v6.Unmap(), true, true
	case fam == inet4:
		return netip.Addr{}, true, false
	}
	return v6, true, true
}
