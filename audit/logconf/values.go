package logconf

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// parseSize reads a byte count: digits with an optional K, M or G
// (powers of 1024, either case), at least 1.
func parseSize(s string) (int64, error) {
	bad := fmt.Errorf("bad size %q (want a number with an optional K, M or G)", s)
	digits, mult := s, int64(1)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K', 'k':
			mult = 1 << 10
		case 'M', 'm':
			mult = 1 << 20
		case 'G', 'g':
			mult = 1 << 30
		}
		if mult != 1 {
			digits = s[:n-1]
		}
	}
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, bad
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if v == 0 {
		return 0, fmt.Errorf("size %q is not more than 0", s)
	}
	return v * mult, nil
}

// formatSize writes a size as parseSize reads it, in the largest exact
// unit.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// checkPath accepts an absolute path without control characters.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("path %q is not absolute", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return fmt.Errorf("path %q contains a control character", p)
		}
	}
	return nil
}

// checkAddr checks host:port and returns it in canonical form (the port
// without leading zeros). The host is an IP address (IPv6 in brackets,
// with an optional zone) or a host name; the port a number from 1 to
// 65535. Short and octal IPv4 forms ("10.1", "010.0.0.1") are rejected
// rather than taken for host names.
func checkAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		switch {
		case strings.Count(addr, ":") > 1 && !strings.Contains(addr, "["):
			return "", errors.New("put an IPv6 address in brackets, as in [2001:db8::1]:514")
		case errors.As(err, &ae) && ae.Err == "missing port in address":
			return "", errors.New("missing port, as in loghost.example.org:514")
		case errors.As(err, &ae):
			return "", errors.New(ae.Err)
		}
		return "", err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	if host == "" {
		return "", errors.New("missing host")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if strings.HasPrefix(addr, "[") != ip.Is6() {
			if ip.Is6() {
				return "", errors.New("put an IPv6 address in brackets, as in [2001:db8::1]:514")
			}
			return "", fmt.Errorf("brackets around %q, which is not an IPv6 address", host)
		}
		return net.JoinHostPort(ip.String(), strconv.FormatUint(p, 10)), nil
	}
	if strings.HasPrefix(addr, "[") {
		return "", fmt.Errorf("brackets around %q, which is not an IPv6 address", host)
	}
	if !isHostName(host) {
		return "", fmt.Errorf("host %q is not an IP address or a host name", host)
	}
	return net.JoinHostPort(host, strconv.FormatUint(p, 10)), nil
}

// isHostName reports whether h is a DNS host name: dot-separated labels
// of letters, digits, hyphens and underscores, 1 to 63 bytes each, not
// starting or ending with a hyphen, at most 253 bytes in all (a final dot
// allowed), the last label not all digits (that would be an IPv4 address
// in a form netip does not accept).
func isHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
