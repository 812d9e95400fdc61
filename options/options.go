package options

import (
	"strings"
)

// Flag describes how an option takes its value.
type Flag uint8

const (
	NeedValue Flag = 1 << iota // the option requires a value
	MayValue                   // the option takes an optional value
	Expand                     // the value is %-expanded
	Last                       // the option must be the last one
)

// Keyword identifies an option.
type Keyword uint8

const (
	Bad Keyword = iota // not an option name
	User
	Group
	Umask
	Linger
	Keepalive
	Spawn
	Twist
	Rfc931
	Setenv
	Nice
	Severity
	Allow
	Deny
	Banners
	AclExec
)

var table = []struct {
	name  string
	kw    Keyword
	flags Flag
}{
	{"user", User, NeedValue},
	{"group", Group, NeedValue},
	{"umask", Umask, NeedValue},
	{"linger", Linger, NeedValue},
	{"keepalive", Keepalive, 0},
	{"spawn", Spawn, NeedValue | Expand},
	{"twist", Twist, NeedValue | Expand | Last},
	{"rfc931", Rfc931, MayValue},
	{"setenv", Setenv, NeedValue | Expand},
	{"nice", Nice, MayValue},
	{"severity", Severity, NeedValue},
	{"allow", Allow, Last},
	{"deny", Deny, Last},
	{"banners", Banners, NeedValue},
	{"aclexec", AclExec, NeedValue | Expand},
}

// Lookup finds an option by name, ignoring case as strcasecmp(3) does in
// the C locale: only A-Z and a-z fold, so "\u212Aeepalive" (Kelvin sign) is
// not keepalive.
func Lookup(name string) (Keyword, Flag) {
	for _, o := range table {
		if EqualFold(o.name, name) {
			return o.kw, o.flags
		}
	}
	return Bad, 0
}

// String returns the option's canonical name.
func (k Keyword) String() string {
	for _, o := range table {
		if o.kw == k {
			return o.name
		}
	}
	return "bad"
}

// Field is one ':'-separated option of a rule, split into its keyword and
// value but not yet checked.
type Field struct {
	Name     string // the keyword as written
	Value    string // the value, "" when HasValue is false
	HasValue bool
	// More is true when another field follows this one.
	More bool
	// Empty is true when the field held nothing but white space: the error
	// "missing option name".
	Empty bool
}

// whitespace is what tcp_wrappers trims around fields and skips between
// keyword and value.
const whitespace = " \t\r\n"

// Split cuts option text into fields the way tcp_wrappers does: fields end
// at ':', "\:" stands for a literal colon, each field is trimmed of white
// space, and the keyword ends at the first blank or '='. A keyword ended by
// '=' has its value right after that '=' (less leading white space); one
// ended by white space has that white space, then one '=' and more white
// space skipped. So "spawn = = x" gives "= x" but "spawn==x" gives "=x".
//
// endsInColon reports a ':' as the very last character of text (tcp_wrappers
// warns "rule ends in \":\"").
func Split(text string) (fields []Field, endsInColon bool) {
	if text == "" {
		return nil, false
	}
	rest := text
	for {
		var b strings.Builder
		more := false
		i := 0
		for ; i < len(rest); i++ {
			c := rest[i]
			if c == ':' {
				more = true
				if i+1 == len(rest) {
					endsInColon = true
				}
				i++
				break
			}
			if c == '\\' && i+1 < len(rest) && rest[i+1] == ':' {
				i++
				c = ':'
			}
			b.WriteByte(c)
		}
		fields = append(fields, parseField(b.String(), more))
		rest = rest[i:]
		if !more {
			return fields, endsInColon
		}
		if rest == "" {
			// A ':' at the very end starts one more, empty field only in
			// the sense that tcp_wrappers stops there: nothing follows.
			fields[len(fields)-1].More = false
			return fields, endsInColon
		}
	}
}

func parseField(s string, more bool) Field {
	s = chop(s)
	if s == "" {
		return Field{Empty: true, More: more}
	}
	k := strings.IndexAny(s, whitespace+"=")
	if k < 0 {
		return Field{Name: s, More: more}
	}
	name, v := s[:k], s[k:]
	if v[0] != '=' {
		// Only a keyword ended by white space may still be followed by
		// its '=': the '=' skipped below is then the first one.
		v = strings.TrimLeft(v, whitespace)
	}
	if strings.HasPrefix(v, "=") {
		v = strings.TrimLeft(v[1:], whitespace)
	}
	return Field{Name: name, Value: v, HasValue: v != "", More: more}
}

// EqualFold is strcasecmp(a, b) == 0 in the C locale, where tolower maps
// only A-Z: how tcp_wrappers compares names and keywords. Unlike
// strings.EqualFold it folds no other byte or rune (U+017F long s is not
// 's', U+212A Kelvin sign is not 'k'), so "\u017fshd" is not sshd and
// "\u212aNOWN" is not KNOWN.
func EqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// chop trims C isspace characters from both ends.
func chop(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

// Chop trims white space from both ends, as tcp_wrappers trims expanded
// option values.
func Chop(s string) string { return chop(s) }
