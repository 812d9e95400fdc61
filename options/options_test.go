package options

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	cases := []struct {
		text string
		want []Field
		end  bool
	}{
		// The newline of the rule's line is part of the option text.
		{"\n", []Field{{Empty: true}}, false},
		{" allow\n", []Field{{Name: "allow"}}, false},
		{"spawn = = x\n", []Field{{Name: "spawn", Value: "= x", HasValue: true}}, false},
		// A keyword ended by '=' is not followed by another '=' to skip:
		// the next '=' is the value's.
		{"umask==022\n", []Field{{Name: "umask", Value: "=022", HasValue: true}}, false},
		{"allow==\n", []Field{{Name: "allow", Value: "=", HasValue: true}}, false},
		{"spawn==x\n", []Field{{Name: "spawn", Value: "=x", HasValue: true}}, false},
		{"spawn= =x\n", []Field{{Name: "spawn", Value: "=x", HasValue: true}}, false},
		{"spawn=\t=x\n", []Field{{Name: "spawn", Value: "=x", HasValue: true}}, false},
		{"spawn =  =  =x\n", []Field{{Name: "spawn", Value: "=  =x", HasValue: true}}, false},
		{"spawn =  = \n", []Field{{Name: "spawn", Value: "=", HasValue: true}}, false},
		{"spawn =\n", []Field{{Name: "spawn"}}, false},
		{"spawn= \n", []Field{{Name: "spawn"}}, false},
		{"SPAWN=x: deny\n", []Field{{Name: "SPAWN", Value: "x", HasValue: true, More: true}, {Name: "deny"}}, false},
		{`spawn echo a\:b: twist c` + "\n", []Field{{Name: "spawn", Value: "echo a:b", HasValue: true, More: true}, {Name: "twist", Value: "c", HasValue: true}}, false},
		{"setenv =FOO   a  b  \n", []Field{{Name: "setenv", Value: "FOO   a  b", HasValue: true}}, false},
		{"a: : b\n", []Field{{Name: "a", More: true}, {Empty: true, More: true}, {Name: "b"}}, false},
		// A ':' at the very end (only possible outside a table file).
		{"allow:", []Field{{Name: "allow"}}, true},
		{"", nil, false},
	}
	for _, c := range cases {
		got, end := Split(c.text)
		if len(got) != len(c.want) || end != c.end {
			t.Errorf("Split(%q) = %+v, %v; want %+v, %v", c.text, got, end, c.want, c.end)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("Split(%q)[%d] = %+v, want %+v", c.text, i, got[i], c.want[i])
			}
		}
	}
}

func TestValues(t *testing.T) {
	for _, c := range []struct {
		v  string
		ok bool
		n  uint32
	}{{"022", true, 0o22}, {"777", true, 0o777}, {"0888", false, 0}, {"08", false, 0}, {"1000", false, 0}, {"+7", true, 7}, {"-0", true, 0}, {"-1", false, 0}, {"7x", false, 0}, {"", false, 0}} {
		n, ok := ParseUmask(c.v)
		if ok != c.ok || (ok && n != c.n) {
			t.Errorf("ParseUmask(%q) = %o, %v", c.v, n, ok)
		}
	}
	for _, c := range []struct {
		v  string
		ok bool
	}{{"0", true}, {"10", true}, {"0x10", false}, {"-1", false}, {" 5", true}, {"5 ", false}} {
		if _, ok := ParseLinger(c.v); ok != c.ok {
			t.Errorf("ParseLinger(%q) ok=%v", c.v, ok)
		}
	}
	for _, c := range []struct {
		v  string
		ok bool
	}{{"1", true}, {"0", false}, {"010", true}, {"+2", true}, {"-1", false}, {"1s", false}} {
		if _, ok := ParseTimeout(c.v); ok != c.ok {
			t.Errorf("ParseTimeout(%q) ok=%v", c.v, ok)
		}
	}
	for _, c := range []struct{ v, bad string }{
		{"warning", ""}, {"LOCAL7.ERR", ""}, {"auth.notice", ""},
		{"bogus1.bogus2", "bogus1"}, {"authpriv.info", "authpriv"}, {"warn", "warn"}, {".info", ""}, {"auth.", ""},
	} {
		_, bad, ok := ParseSeverity(c.v)
		wantOK := c.bad == "" && !strings.HasPrefix(c.v, ".") && !strings.HasSuffix(c.v, ".")
		if ok != wantOK || bad != c.bad {
			t.Errorf("ParseSeverity(%q) = %q, %v", c.v, bad, ok)
		}
	}
}

// TestScanOverflow: numbers that do not fit are read as glibc's scanf
// reads them on x86-64 (strtol or strtoul in 64 bits, then the low 32
// bits), as measured with Debian's tcpdmatch (linger and rfc931 for %d,
// umask for %o).
func TestScanOverflow(t *testing.T) {
	for _, c := range []struct {
		v    string
		base int64
		n    int64
	}{
		{"2147483647", 10, 2147483647},
		{"2147483648", 10, -2147483648},
		{"4294967296", 10, 0},
		{"4294967297", 10, 1},
		{"5000000000000000001", 10, 1156841473}, // below 2^63: no saturation
		{"9223372036854775807", 10, -1},
		{"9223372036854775808", 10, -1}, // LONG_MAX
		{"18446744073709551617", 10, -1},
		{"99999999999999999999999", 10, -1},
		{"-2147483649", 10, 2147483647},
		{"-4294967296", 10, 0},
		{"-9223372036854775807", 10, 1},
		{"-9223372036854775808", 10, 0},
		{"-9223372036854775809", 10, 0}, // LONG_MIN
		{"-99999999999999999999999", 10, 0},
		{"40000000777", 8, 0o777},
		{"1000000000000000000000", 8, 0}, // 2^63 fits an unsigned long
		{"1000000000000000000777", 8, 0o777},
		{"1777777777777777777777", 8, -1},      // 2^64-1
		{"2000000000000000000000", 8, -1},      // ULONG_MAX
		{"-1777777777777777777000", 8, 0o1000}, // negated modulo 2^64
		{"-1777777777777777777777", 8, 1},
		{"-2000000000000000000000", 8, -1}, // ULONG_MAX, not negated
		{"-7777777777777777777777777", 8, -1},
	} {
		n, ok := scanInt(c.v, c.base)
		if !ok || n != c.n {
			t.Errorf("scanInt(%q, %d) = %d, %v; want %d", c.v, c.base, n, ok, c.n)
		}
	}
	for _, c := range []struct {
		opt, v string
		ok     bool
	}{
		{"linger", "5000000000000000001", true},
		{"linger", "9223372036854775808", false},
		{"linger", "-9223372036854775809", true},
		{"rfc931", "-9223372036854775808", false},
		{"rfc931", "-9223372036854775807", true},
		{"rfc931", "4294967297", true},
		{"umask", "1000000000000000000000", true},
		{"umask", "-2000000000000000000000", false},
		{"umask", "-1777777777777777777000", false},
	} {
		var ok bool
		switch c.opt {
		case "linger":
			_, ok = ParseLinger(c.v)
		case "rfc931":
			_, ok = ParseTimeout(c.v)
		case "umask":
			_, ok = ParseUmask(c.v)
		}
		if ok != c.ok {
			t.Errorf("%s %s: ok=%v, want %v", c.opt, c.v, ok, c.ok)
		}
	}
}

// TestASCIIFold: option, facility and level names fold as strcasecmp does
// in the C locale, so a non-ASCII look-alike is a bad name.
func TestASCIIFold(t *testing.T) {
	if kw, _ := Lookup("KeepAlive"); kw != Keepalive {
		t.Errorf("Lookup(KeepAlive) = %v", kw)
	}
	for _, name := range []string{"\u212aeepalive", "\u017fpawn", "u\u017fer"} {
		if kw, _ := Lookup(name); kw != Bad {
			t.Errorf("Lookup(%q) = %v, want bad", name, kw)
		}
	}
	for _, c := range []struct{ v, bad string }{
		{"AUTH.Warning", ""},
		{"\u212aern.err", "\u212aern"},
		{"auth.warnin\u017f", "warnin\u017f"},
		{"local7.\u212aern", "\u212aern"},
	} {
		if _, bad, _ := ParseSeverity(c.v); bad != c.bad {
			t.Errorf("ParseSeverity(%q) bad %q, want %q", c.v, bad, c.bad)
		}
	}
}

// cFold is the C locale's tolower for one byte: only A-Z change.
func cFold(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c | 0x20
	}
	return c
}

// TestEqFoldBytes compares EqualFold with strcasecmp's C-locale rule for every
// pair of bytes.
func TestEqFoldBytes(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			want := cFold(byte(a)) == cFold(byte(b))
			if got := EqualFold(string([]byte{byte(a)}), string([]byte{byte(b)})); got != want {
				t.Fatalf("EqualFold(%#x, %#x) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// FuzzEqFold: EqualFold is strcasecmp(a, b) == 0 in the C locale: equal
// lengths and bytes equal after folding A-Z alone. On ASCII it agrees with
// strings.EqualFold; beyond ASCII it never folds.
func FuzzEqFold(f *testing.F) {
	f.Add("sshd", "\u017fshd")
	f.Add("KNOWN", "\u212aNOWN")
	f.Add("Keepalive", "kEEPALIVE")
	f.Fuzz(func(t *testing.T, a, b string) {
		want := len(a) == len(b)
		for i := 0; want && i < len(a); i++ {
			want = cFold(a[i]) == cFold(b[i])
		}
		if got := EqualFold(a, b); got != want {
			t.Fatalf("EqualFold(%q, %q) = %v, want %v", a, b, got, want)
		}
		if isASCII(a) && isASCII(b) && want != strings.EqualFold(a, b) {
			t.Fatalf("EqualFold(%q, %q) = %v, strings.EqualFold disagrees", a, b, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzSplit: no panic; fields are trimmed; a field never contains an
// unescaped separator; Empty fields have no name.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"spawn = = x\n", `a\:b: c`, ":", "::\n", "x=\\:y", "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fields, _ := Split(s)
		for _, fl := range fields {
			if fl.Empty && (fl.Name != "" || fl.HasValue) {
				t.Fatalf("empty field with content: %+v", fl)
			}
			if (fl.Name != "" && fl.Name != strings.TrimLeft(fl.Name, " \t\n\v\f\r")) || fl.Value != strings.TrimRight(fl.Value, " \t\n\v\f\r") {
				t.Fatalf("untrimmed field %+v", fl)
			}
			if strings.ContainsAny(fl.Name, " \t\r\n=") {
				t.Fatalf("keyword with a separator: %q", fl.Name)
			}
		}
		_, _, _ = ParseSeverity(s)
		ParseUmask(s)
		ParseLinger(s)
		ParseNice(s)
		ParseTimeout(s)
		_, _, _ = SplitUser(s)
		_, _ = SplitSetenv(s)
	})
}
