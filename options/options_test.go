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
