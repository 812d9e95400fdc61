package access

import (
	"math"
	"net/netip"
	"strings"
	"tcpwrap/options"
)

// Names that stand for a failed lookup.
const (
	Unknown  = "unknown"
	Paranoid = "paranoid"
)

// hostnameKnown reports whether a host name is a real name: neither
// "unknown" nor "paranoid" (in any case).
func hostnameKnown(name string) bool {
	return !options.EqualFold(name, Unknown) && !options.EqualFold(name, Paranoid)
}

// stripMapped removes an IPv4-mapped IPv6 prefix ("::ffff:", any case) when
// the remainder is a dotted quad, so that "::ffff:10.0.0.1" is compared as
// "10.0.0.1".
func stripMapped(s string) string {
	if len(s) > 7 && options.EqualFold(s[:7], "::ffff:") {
		if _, ok := dotQuad(s[7:]); ok {
			return s[7:]
		}
	}
	return s
}

// strKind is the meaning of a string pattern, decided once when the rule is
// compiled, in the order tcp_wrappers tries them.
type strKind uint8

const (
	strGlob    strKind = iota // contains '*' or '?': glob over the whole string
	strSuffix                 // leading '.': a strictly longer string ends with it
	strAll                    // ALL: always matches
	strKnown                  // KNOWN: the string is not "unknown"
	strPrefix                 // trailing '.': the string starts with it
	strBracket                // [ipv6]: binary IPv6 comparison
	strExact                  // anything else: case-insensitive equality
	strNever                  // a bracketed address that cannot parse here
)

// strPattern is a compiled string pattern (tcp_wrappers' string_match).
type strPattern struct {
	text string // the pattern as written
	kind strKind
}

// ip6 is the address inside a bracketed pattern (invalid when it does not
// parse); it is parsed when needed, as bracketed patterns are rare.
func (p *strPattern) ip6() netip.Addr {
	if p.kind != strBracket {
		return netip.Addr{}
	}
	a, _ := parseIPv6(p.text[1 : len(p.text)-1])
	return a
}

func compileString(tok string) strPattern {
	p := strPattern{text: tok}
	switch {
	case hasWildcard(tok):
		p.kind = strGlob
	case tok[0] == '.':
		p.kind = strSuffix
	case options.EqualFold(tok, "ALL"):
		p.kind = strAll
	case options.EqualFold(tok, "KNOWN"):
		p.kind = strKnown
	case tok[len(tok)-1] == '.':
		p.kind = strPrefix
	case tok[0] == '[' && tok[len(tok)-1] == ']' && len(tok) >= 2:
		p.kind = strBracket
	default:
		p.kind = strExact
	}
	return p
}

func hasWildcard(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}

// match compares the pattern with s.
func (p *strPattern) match(s string) bool {
	s = stripMapped(s)
	switch p.kind {
	case strGlob:
		return globMatch(p.text, s)
	case strSuffix:
		n := len(s) - len(p.text)
		return n > 0 && options.EqualFold(p.text, s[n:])
	case strAll:
		return true
	case strKnown:
		return !options.EqualFold(s, Unknown)
	case strPrefix:
		return len(s) >= len(p.text) && options.EqualFold(p.text, s[:len(p.text)])
	case strBracket:
		pat := p.ip6()
		if !pat.IsValid() {
			return false
		}
		a, ok := parseIPv6(s)
		return ok && a == pat
	case strNever:
		return false
	default:
		return options.EqualFold(p.text, s)
	}
}

// globMatch matches s against a pattern in which '*' stands for any run of
// characters and '?' for exactly one; letters match regardless of case.
// There are no character classes and no escapes.
func globMatch(pat, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			default:
				if upper(c) == upper(s[sx]) {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		px, sx = starP+1, starS
	}
	for px < len(pat) && pat[px] == '*' {
		px++
	}
	return px == len(pat)
}

// EqualFold reports whether a and b are equal ignoring case as
// tcp_wrappers compares names and keywords (strcasecmp in the C locale):
// only A-Z and a-z fold. It is options.EqualFold, for the commands that
// compare as the engine does.
func EqualFold(a, b string) bool { return options.EqualFold(a, b) }

// upper is C's toupper in the C locale: only a-z change.
func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// parseIPv6 parses a numeric IPv6 address: an embedded dotted quad only
// in the last 32 bits, and a "%scope" suffix accepted and ignored, as
// Debian's build compares addresses without their scope.
func parseIPv6(s string) (netip.Addr, bool) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return netip.Addr{}, false
		}
		s = s[:i]
	}
	if !strings.Contains(s, ":") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

// inetAton parses an IPv4 address as inet_aton(3) does: one to four parts
// separated by dots, each decimal, octal (leading 0) or hexadecimal
// (leading 0x).
func inetAton(s string) (uint32, bool) {
	var parts [4]uint64
	n := 0
	i := 0
	for {
		if i >= len(s) || !isDigit(s[i]) {
			return 0, false
		}
		base := uint64(10)
		if s[i] == '0' {
			i++
			if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
				base = 16
				i++
			} else {
				base = 8
			}
		}
		var val uint64
		digits := base == 8 // the leading 0 counts as a digit
		for i < len(s) {
			c := s[i]
			var d uint64
			switch {
			case isDigit(c):
				d = uint64(c - '0')
				if base == 8 && d >= 8 {
					return 0, false
				}
			case base == 16 && 'a' <= c && c <= 'f':
				d = uint64(c-'a') + 10
			case base == 16 && 'A' <= c && c <= 'F':
				d = uint64(c-'A') + 10
			default:
				goto done
			}
			val = val*base + d
			if val > 0xffffffff {
				return 0, false
			}
			digits = true
			i++
		}
	done:
		if !digits {
			return 0, false
		}
		if i < len(s) && s[i] == '.' {
			if n >= 3 || val > 0xff {
				return 0, false
			}
			parts[n] = val
			n++
			i++
			continue
		}
		if i < len(s) && !isSpace(s[i]) {
			return 0, false
		}
		parts[n] = val
		n++
		break
	}
	var v uint64
	switch n {
	case 1:
		v = parts[0]
	case 2:
		if parts[1] > 0xffffff {
			return 0, false
		}
		v = parts[0]<<24 | parts[1]
	case 3:
		if parts[2] > 0xffff {
			return 0, false
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]
	case 4:
		if parts[3] > 0xff {
			return 0, false
		}
		v = parts[0]<<24 | parts[1]<<16 | parts[2]<<8 | parts[3]
	}
	return uint32(v), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// dotQuad is tcp_wrappers' dot_quad_addr: the string must have exactly
// four runs of non-dot characters and parse with inet_addr, whose error
// value is also the value of 255.255.255.255, so that address is refused.
func dotQuad(s string) (uint32, bool) {
	if dotRuns(s) != 4 {
		return 0, false
	}
	v, ok := inetAton(s)
	if !ok || v == 0xffffffff {
		return 0, false
	}
	return v, true
}

// atoi is glibc's atoi, (int) strtol(s, NULL, 10): optional leading white
// space and sign, then decimal digits; anything else ends the number. The
// digits are read into a 64-bit long, which saturates at LONG_MAX or
// LONG_MIN by the sign, and the result keeps the low 32 bits. So
// "4294967304" (2^32+8) is 8, "-4294967288" is 8 too, and every overflow
// is -1 or 0; a mask length of 8 hides in them, as it does in tcp_wrappers.
func atoi(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	overflow := false
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxInt64-d)/10 {
			overflow = true
		} else {
			v = v*10 + d
		}
	}
	switch {
	case neg && overflow:
		v = 1 << 63 // LONG_MIN (also -2^63 exactly, which strtol reaches)
	case neg:
		v = -v
	case overflow:
		v = math.MaxInt64 // LONG_MAX
	}
	return int(int32(uint32(v)))
}
