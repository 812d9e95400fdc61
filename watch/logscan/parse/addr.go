package parse

import (
	"bytes"
	"net/netip"
)

// parseAddr parses a numeric IPv4 or IPv6 address with netip's rules
// (dotted quad only: no octal, hexadecimal or short forms, no leading
// zeros), drops any zone and unmaps IPv4-mapped IPv6 addresses, so that
// ::ffff:192.0.2.7 and 192.0.2.7 are one client.
func parseAddr(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if len(b) < 2 || len(b) > 64 || bytes.IndexByte(b, ':') < 0 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// parseIPv4 parses a dotted quad as netip.ParseAddr does, without
// allocating: four decimal fields of one to three digits, no leading
// zero, each at most 255.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var out [4]byte
	field, digits, val := 0, 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return netip.Addr{}, false // leading zero
			}
			val = val*10 + int(c-'0')
			digits++
			if val > 255 {
				return netip.Addr{}, false
			}
		case c == '.':
			if digits == 0 || field == 3 {
				return netip.Addr{}, false
			}
			out[field] = byte(val)
			field++
			digits, val = 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if field != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	out[3] = byte(val)
	return netip.AddrFrom4(out), true
}

// validHostName reports whether b can be a host name as tcpd logs it:
// one to 255 letters, digits, '-', '_' and '.', with an optional final
// dot. (resolvers refuse anything else in a PTR answer, and a name that
// failed the double-reverse check is logged as its address.)
func validHostName(b []byte) bool {
	if len(b) > 0 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || len(b) > 255 {
		return false
	}
	for _, c := range b {
		if !nameChar(c) {
			return false
		}
	}
	return true
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
}

// token reports whether b is a non-empty word of printable ASCII other
// than space, at most max bytes: a service name, a protocol, a reason.
func token(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// hasBlank reports whether b holds a space or any other ASCII control
// character or DEL.
func hasBlank(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return true
		}
	}
	return false
}
