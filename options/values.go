package options

import (
	"math"
	"strings"
)

// scanInt reads a glibc scanf "%d" (base 10) or "%o" (base 8) conversion
// that must consume the whole string: optional white space, an optional
// sign, at least one digit of the base, and nothing after. glibc converts
// the digits with strtol for %d and strtoul for %o, in 64 bits on x86-64,
// and stores the result through an int pointer, keeping the low 32 bits.
// On overflow strtol gives LONG_MAX or LONG_MIN by the sign (so
// "9223372036854775808" is -1 and "-9223372036854775809" is 0 once
// narrowed) and strtoul gives ULONG_MAX whatever the sign; without
// overflow a '-' negates modulo 2^64 ("-18446744073709551615" is 1). Below
// 2^63 nothing saturates: "5000000000000000001" is its low 32 bits.
func scanInt(s string, base int64) (int64, bool) {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\v\f\r", s[i]) >= 0 {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for ; i < len(s); i++ {
		if s[i] < '0' || int64(s[i]-'0') >= base {
			break
		}
		d, b := uint64(s[i]-'0'), uint64(base)
		if v > (math.MaxUint64-d)/b {
			overflow = true
		} else {
			v = v*b + d
		}
	}
	if i == start || i != len(s) {
		return 0, false
	}
	switch {
	case base == 8 && overflow:
		v = math.MaxUint64 // strtoul: ULONG_MAX, even with a '-'
	case base == 8:
		if neg {
			v = -v
		}
	case neg && (overflow || v > 1<<63):
		v = 1 << 63 // strtol: LONG_MIN
	case neg:
		v = -v
	case overflow || v > math.MaxInt64:
		v = math.MaxInt64 // strtol: LONG_MAX
	}
	return int64(int32(uint32(v))), true
}

// ParseUmask parses the umask option's value: octal, at most 0777, no junk.
func ParseUmask(v string) (uint32, bool) {
	n, ok := scanInt(v, 8)
	if !ok {
		return 0, false
	}
	m := uint32(n)
	return m, m&0777 == m
}

// ParseLinger parses the linger option's value: a decimal number >= 0.
func ParseLinger(v string) (int, bool) {
	n, ok := scanInt(v, 10)
	return int(n), ok && n >= 0
}

// DefaultNice is the nice option's increment when it has no value.
const DefaultNice = 10

// ParseNice parses the nice option's value: a decimal number, may be negative.
func ParseNice(v string) (int, bool) {
	n, ok := scanInt(v, 10)
	return int(n), ok
}

// ParseTimeout parses the rfc931 option's value: a positive decimal
// number of seconds (scanf "%d" syntax, so a sign is allowed) with nothing
// after it.
func ParseTimeout(v string) (int, bool) {
	n, ok := scanInt(v, 10)
	return int(n), ok && n > 0
}

// Syslog facility and level codes, as in <syslog.h>.
var facilities = []struct {
	name string
	code int
}{
	{"kern", 0 << 3}, {"user", 1 << 3}, {"mail", 2 << 3}, {"daemon", 3 << 3},
	{"auth", 4 << 3}, {"lpr", 6 << 3}, {"news", 7 << 3}, {"uucp", 8 << 3},
	{"cron", 9 << 3}, {"local0", 16 << 3}, {"local1", 17 << 3},
	{"local2", 18 << 3}, {"local3", 19 << 3}, {"local4", 20 << 3},
	{"local5", 21 << 3}, {"local6", 22 << 3}, {"local7", 23 << 3},
}

var levels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// Priority is a syslog priority chosen by the severity option.
type Priority struct {
	Facility    int // facility code (already shifted, as LOG_DAEMON); valid when HasFacility
	Level       int // 0 (emerg) to 7 (debug)
	HasFacility bool
}

// FacilityName returns the name of a facility code, or "".
func FacilityName(code int) string {
	for _, f := range facilities {
		if f.code == code {
			return f.name
		}
	}
	return ""
}

// LevelName returns the name of a level, or "".
func LevelName(l int) string {
	if l < 0 || l >= len(levels) {
		return ""
	}
	return levels[l]
}

// ParseSeverity parses "[facility.]level", names compared as strcasecmp
// does (ASCII letters only). When it fails, bad is the name that was not
// recognised (the facility is checked first).
func ParseSeverity(v string) (p Priority, bad string, ok bool) {
	fac, lvl, hasFac := "", v, false
	if i := dotOutsideBrackets(v); i >= 0 {
		fac, lvl, hasFac = v[:i], v[i+1:], true
	}
	if hasFac {
		found := false
		for _, f := range facilities {
			if EqualFold(f.name, fac) {
				p.Facility, p.HasFacility, found = f.code, true, true
				break
			}
		}
		if !found {
			return p, fac, false
		}
	}
	for i, l := range levels {
		if EqualFold(l, lvl) {
			p.Level = i
			return p, "", true
		}
	}
	return p, lvl, false
}

// SplitUser splits a user option's "name.group" at the first '.' outside
// brackets; group is "" and hasGroup false when there is none.
func SplitUser(v string) (name, group string, hasGroup bool) {
	if i := dotOutsideBrackets(v); i >= 0 {
		return v[:i], v[i+1:], true
	}
	return v, "", false
}

func dotOutsideBrackets(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// SplitSetenv splits a setenv value into the variable name (up to the first
// blank) and its content, both trimmed.
func SplitSetenv(v string) (name, value string) {
	i := strings.IndexAny(v, whitespace)
	if i < 0 {
		return chop(v), ""
	}
	return chop(v[:i]), chop(v[i+1:])
}
