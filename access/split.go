package access

import "net/netip"

// splitAt cuts s at the first delimiter that is outside square brackets,
// counting '[' up and ']' down over the whole of s (the count may go
// negative). ok is false when there is no such delimiter.
func splitAt(s string, delim byte) (before, after string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '[':
			depth++
		case ']':
			depth--
		default:
			if depth == 0 && c == delim {
				return s[:i], s[i+1:], true
			}
		}
	}
	return s, "", false
}

// tokens splits a daemon or client list into its words.
func tokens(s string) []string { return appendTokens(nil, s) }

func isListSep(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',':
		return true
	}
	return false
}

// appendTokens appends the words of a list to dst.
func appendTokens(dst []string, s string) []string {
	i := 0
	for i < len(s) {
		for i < len(s) && isListSep(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isListSep(s[j]) {
			j++
		}
		if j > i {
			dst = append(dst, s[i:j])
		}
		i = j
	}
	return dst
}

// isBlank reports whether s holds only spaces, tabs, CRs and LFs.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}

// SplitAt cuts s at the first delim outside square brackets, as
// tcp_wrappers splits "daemon@host" and "user@host" (exported for the
// command-line tools, which split their operands the same way).
func SplitAt(s string, delim byte) (before, after string, ok bool) {
	return splitAt(s, delim)
}

// NumericAddress reports whether s is an address as tcpdmatch recognises
// one on its command line: a four-part dotted quad (inet_addr syntax) or a
// numeric IPv6 address.
func NumericAddress(s string) bool {
	if _, ok := dotQuad(s); ok {
		return true
	}
	_, ok := parseIPv6(s)
	return ok
}

// cFields splits s at runs of the C locale's white space (space, tab,
// newline, vertical tab, form feed, carriage return), as scanf's %s does.
func cFields(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		if j > i {
			out = append(out, s[i:j])
		}
		i = j
	}
	return out
}

// InetAton parses an IPv4 address in any form inet_aton(3) accepts (one
// to four parts, decimal, octal or hexadecimal), as tcpdmatch does for a
// host operand that is not a name.
func InetAton(s string) (netip.Addr, bool) {
	v, ok := inetAton(s)
	if !ok {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
