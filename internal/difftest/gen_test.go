package difftest

import (
	"reflect"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	for i := 0; i < 50; i++ {
		a, b := Generate(99, i), Generate(99, i)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("case %d differs between two generations", i)
		}
	}
	if reflect.DeepEqual(Generate(1, 0), Generate(2, 0)) && reflect.DeepEqual(Generate(1, 1), Generate(2, 1)) {
		t.Error("seed has no effect")
	}
}

// TestGeneratorCoverage checks that the default stream exercises the
// features the differential test is meant to cover.
func TestGeneratorCoverage(t *testing.T) {
	features := map[string]func(c *Case, tables string) bool{
		"CRLF":             func(c *Case, s string) bool { return strings.Contains(s, "\r\n") },
		"continuation":     func(c *Case, s string) bool { return strings.Contains(s, "\\\n") },
		"no final newline": func(c *Case, s string) bool { d := c.DenyData(); return len(d) > 0 && d[len(d)-1] != '\n' },
		"line 2046":        func(c *Case, s string) bool { return hasLineLen(s, 2046) },
		"line 2047":        func(c *Case, s string) bool { return hasLineLen(s, 2047) },
		"column-1 comment": func(c *Case, s string) bool { return strings.HasPrefix(s, "#") || strings.Contains(s, "\n#") },
		"indented comment": func(c *Case, s string) bool { return strings.Contains(s, "\n #") || strings.Contains(s, "\n\t#") },
		"EXCEPT":           func(c *Case, s string) bool { return strings.Contains(strings.ToUpper(s), "EXCEPT") },
		"net/mask":         func(c *Case, s string) bool { return strings.Contains(s, "/255.") },
		"/len":             func(c *Case, s string) bool { return strings.Contains(s, "/8abc") },
		"[v6]/len":         func(c *Case, s string) bool { return strings.Contains(s, "]/") },
		"netgroup":         func(c *Case, s string) bool { return strings.Contains(s, "@staff") },
		"/file":            func(c *Case, s string) bool { return strings.Contains(s, "SCRATCH/hf") },
		"user@host":        func(c *Case, s string) bool { return strings.Contains(s, "KNOWN@") || strings.Contains(s, "ALL@") },
		"banners":          func(c *Case, s string) bool { return len(c.Dirs) > 0 },
		"twist":            func(c *Case, s string) bool { return strings.Contains(s, "twist") },
		"escaped colon":    func(c *Case, s string) bool { return strings.Contains(s, "\\:") },
		"port":             func(c *Case, s string) bool { return strings.Contains(s, "65536") },
		"no -i":            func(c *Case, s string) bool { return len(c.Args) == 3 && c.Args[0] == "-d" },
		"user operand":     func(c *Case, s string) bool { return len(c.Args) == 5 && strings.Contains(c.Args[4], "@") },
		"server operand":   func(c *Case, s string) bool { return len(c.Args) == 5 && strings.Contains(c.Args[3], "@") },
	}
	seen := map[string]int{}
	for i := 0; i < 3000; i++ {
		c := Generate(1, i)
		tables := string(c.AllowData()) + "\n" + string(c.DenyData())
		for name, f := range features {
			if f(c, tables) {
				seen[name]++
			}
		}
	}
	for name := range features {
		if seen[name] < 5 {
			t.Errorf("feature %q appears in only %d of 3000 cases", name, seen[name])
		}
	}
	t.Logf("feature counts: %v", seen)
}

func hasLineLen(s string, n int) bool {
	s = strings.ReplaceAll(s, "\\\n", "")
	for _, l := range strings.Split(s, "\n") {
		if len(strings.TrimSuffix(l, "\r")) == n || len(l) == n {
			return true
		}
	}
	return false
}

func TestRecordRoundTrip(t *testing.T) {
	for i := 0; i < 500; i++ {
		c := Generate(7, i)
		r := &Record{
			Comment: "case\nsecond line\n",
			Case:    c,
			Want:    Outcome{Stdout: "a\n-- x --\n", Stderr: "w\r\nno newline", Exit: i % 3},
		}
		back, err := ParseRecord(r.Format())
		if err != nil {
			t.Fatalf("case %d: %v\n%s", i, err, r.Format())
		}
		if string(back.Case.AllowData()) != string(c.AllowData()) || (back.Case.Allow == nil) != (c.Allow == nil) {
			t.Fatalf("case %d: hosts.allow %q, want %q", i, back.Case.AllowData(), c.AllowData())
		}
		if string(back.Case.DenyData()) != string(c.DenyData()) || (back.Case.Deny == nil) != (c.Deny == nil) {
			t.Fatalf("case %d: hosts.deny %q, want %q", i, back.Case.DenyData(), c.DenyData())
		}
		if !reflect.DeepEqual(back.Case.Files, c.Files) {
			t.Fatalf("case %d: files %q, want %q", i, back.Case.Files, c.Files)
		}
		if len(back.Case.Dirs) != len(c.Dirs) {
			t.Fatalf("case %d: dirs %q, want %q", i, back.Case.Dirs, c.Dirs)
		}
		if len(back.Case.Links) != len(c.Links) || (len(c.Links) > 0 && !reflect.DeepEqual(back.Case.Links, c.Links)) {
			t.Fatalf("case %d: links %q, want %q", i, back.Case.Links, c.Links)
		}
		if len(back.Case.Modes) != len(c.Modes) || (len(c.Modes) > 0 && !reflect.DeepEqual(back.Case.Modes, c.Modes)) {
			t.Fatalf("case %d: modes %v, want %v", i, back.Case.Modes, c.Modes)
		}
		if !reflect.DeepEqual(back.Case.Args, c.Args) {
			t.Fatalf("case %d: args %q, want %q", i, back.Case.Args, c.Args)
		}
		if back.Want.Stdout != r.Want.Stdout || back.Want.Stderr != r.Want.Stderr || back.Want.Exit != r.Want.Exit {
			t.Fatalf("case %d: outcome %+v, want %+v", i, back.Want, r.Want)
		}
		if back.Comment != r.Comment {
			t.Fatalf("case %d: comment %q", i, back.Comment)
		}
	}
}

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		a, b []string
		want string
	}{
		{
			[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
			[]string{"1", "2", "3", "4", "five", "6", "7", "8", "9", "10", "11"},
			"--- a\n+++ b\n@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+11\n",
		},
		{nil, []string{"x"}, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n"},
		{
			[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "x", "y", "z", "w", "q"},
			[]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "x", "y", "z", "W", "q"},
			"--- a\n+++ b\n@@ -1,3 +1,4 @@\n+0\n 1\n 2\n 3\n@@ -10,5 +11,5 @@\n x\n y\n z\n-w\n+W\n q\n",
		},
		{[]string{"a\x00"}, []string{"a"}, "--- a\n+++ b\n@@ -1 +1 @@\n-\"a\\x00\"\n+a\n"},
	}
	for _, tc := range tests {
		if got := UnifiedDiff("a", "b", tc.a, tc.b); got != tc.want {
			t.Errorf("UnifiedDiff(%q, %q) =\n%q, want\n%q", tc.a, tc.b, got, tc.want)
		}
	}
	if UnifiedDiff("a", "b", []string{"x"}, []string{"x"}) != "" {
		t.Error("equal inputs give a diff")
	}
}
