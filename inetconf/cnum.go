package inetconf

import (
	"math"
	"net/netip"
)

// The C library's number parsing, as openbsd-inetd and glibc use it:
// the file's meaning depends on these details (a max of "0x10" is 16, a
// port of "010/tcp" in /etc/services is 8).

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// strtoul is strtoul(3) with base 0 or 10 on a 64-bit system: the value
// and the number of bytes it used (0 when there is no number). An
// overflow gives the maximum value; a minus sign negates modulo 2^64.
func strtoul(s string, base int) (uint64, int) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 {
		switch {
		case i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && digitVal(s[i+2]) < 16:
			base = 16
			i += 2
		case i < len(s) && s[i] == '0':
			base = 8
		default:
			base = 10
		}
	}
	start := i
	var v uint64
	over := false
	for i < len(s) && digitVal(s[i]) < base {
		d := uint64(digitVal(s[i]))
		if v > (math.MaxUint64-d)/uint64(base) {
			over = true
		}
		v = v*uint64(base) + d
		i++
	}
	if i == start {
		// "0x" with no hex digit after it is the number 0 followed
		// by "x"; anything else is no number at all.
		return 0, 0
	}
	if over {
		return math.MaxUint64, i
	}
	if neg {
		v = -v
	}
	return v, i
}

// strtol10 is strtol(s, &end, 10) for a string that starts with a digit
// (the only use): the value, clamped to the int64 range, and the bytes
// used.
func strtol10(s string) (int64, int) {
	i := 0
	var v int64
	over := false
	for i < len(s) && isDigit(s[i]) {
		d := int64(s[i] - '0')
		if v > (math.MaxInt64-d)/10 {
			over = true
		}
		if !over {
			v = v*10 + d
		}
		i++
	}
	if over {
		v = math.MaxInt64
	}
	return v, i
}

// cInt is the conversion of a C long to a 32-bit int: the low 32 bits,
// two's complement.
func cInt(v uint64) int32 { return int32(uint32(v)) }

// strtonumPort is strtonum(s, 1, 65535), as openbsd-inetd reads a
// numeric service: optional leading space and sign, then decimal digits
// to the end. It returns 0 when s is not such a number.
func strtonumPort(s string) int {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0
	}
	v := 0
	for ; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0
		}
		if v <= 65535 {
			v = v*10 + int(s[i]-'0')
		}
	}
	if neg || v < 1 || v > 65535 {
		return 0
	}
	return v
}

// inetAton is glibc's inet_aton as getaddrinfo(3) uses it for numeric
// IPv4 hosts: one to four parts, each decimal, octal (leading 0) or hex
// (0x), the last part filling the remaining bytes ("127.1" is
// 127.0.0.1). The whole string must be used.
func inetAton(s string) (netip.Addr, bool) {
	var parts []uint64
	i := 0
	for {
		if i >= len(s) || !isDigit(s[i]) {
			return netip.Addr{}, false
		}
		base := uint64(10)
		digits := 1
		if s[i] == '0' {
			i++
			if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
				base = 16
				digits = 0
				i++
			} else {
				base = 8
			}
		}
		var v uint64
		for ; i < len(s); digits++ {
			d := uint64(digitVal(s[i]))
			if !isDigit(s[i]) && base != 16 || d >= base {
				if base == 8 && (s[i] == '8' || s[i] == '9') {
					return netip.Addr{}, false
				}
				break
			}
			v = v*base + d
			if v > math.MaxUint32 {
				return netip.Addr{}, false
			}
			i++
		}
		if digits == 0 {
			return netip.Addr{}, false
		}
		if i < len(s) && s[i] == '.' {
			if len(parts) == 3 || v > 0xff {
				return netip.Addr{}, false
			}
			parts = append(parts, v)
			i++
			continue
		}
		if i != len(s) {
			return netip.Addr{}, false
		}
		parts = append(parts, v)
		break
	}
	last := parts[len(parts)-1]
	if last > uint64(math.MaxUint32)>>(8*(len(parts)-1)) {
		return netip.Addr{}, false
	}
	var n uint32
	for k, p := range parts[:len(parts)-1] {
		n |= uint32(p) << (24 - 8*k)
	}
	n |= uint32(last)
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}
