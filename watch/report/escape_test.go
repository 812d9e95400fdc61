package report

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain ASCII stays", "ws10.example.org", "ws10.example.org"},
		{"space stays", "a b", "a b"},
		{"HTML is not the terminal's business", "<script>", "<script>"},
		{"newline", "a\nb", `a\nb`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"ANSI colour", "\x1b[31mred", `\x1b[31mred`},
		{"NUL and DEL", "\x00\x7f", `\x00\x7f`},
		{"backslash is doubled so escapes are unambiguous", `a\x1b`, `a\\x1b`},
		{"C1 control (CSI)", "a\u009bb", `a\u009bb`},
		{"right-to-left override", "moc.\u202eevil", `moc.\u202eevil`},
		{"zero-width joiner", "a\u200db", `a\u200db`},
		{"no-break space looks like a space", "a\u00a0b", `a\u00a0b`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"combining mark would share a column", "e\u0301", `e\u0301`},
		{"precomposed letter stays", "café", "café"},
		{"Cyrillic stays", "пример", "пример"},
		{"invalid UTF-8 byte", "a\xffb", `a\xffb`},
		{"truncated rune", "a\xe2\x82", `a\xe2\x82`},
		{"private use beyond the BMP", "\U000f0000", `\U000f0000`},
		{"BOM", "\ufeffx", `\ufeffx`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := escape(tc.in); got != tc.want {
				t.Errorf("escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCell(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		w        int
		want     string
	}{
		{"empty shows a dash", "", 10, "-"},
		{"fits", "abc", 3, "abc"},
		{"clipped with an ellipsis", "abcdef", 4, "abc…"},
		{"clipped in runes, not bytes", "ééééé", 3, "éé…"},
		{"escaped before clipping", "a\nbcdef", 4, `a\n…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cell(tc.in, tc.w)
			if got != tc.want {
				t.Errorf("cell(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > tc.w {
				t.Errorf("cell(%q, %d) is %d runes wide", tc.in, tc.w, n)
			}
		})
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "abc", 5, "abc"},
		{"ASCII", "abcdef", 3, "abc"},
		{"not inside a rune", "aé", 2, "a"},
		{"on a rune boundary", "éa", 2, "é"},
		{"invalid UTF-8 is cut by bytes", "\xff\xff\xff", 2, "\xff\xff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clip(tc.in, tc.n); got != tc.want {
				t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}

// FuzzEscape checks that escape's output is printable, one line, as wide
// in runes as it is in columns for the characters it keeps, and that it
// changes nothing that needed no change.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "abc", "\x1b[2J", "a\u202eb", "\xff", `\\`, "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("escape(%q) = %q is not valid UTF-8", s, out)
		}
		for i, r := range out {
			if !plain(r, utf8.RuneLen(r)) && r != '\\' {
				t.Fatalf("escape(%q) = %q keeps %U at %d", s, out, r, i)
			}
		}
		clean := utf8.ValidString(s)
		for _, r := range s {
			if !plain(r, utf8.RuneLen(r)) {
				clean = false
			}
		}
		if clean && out != s {
			t.Fatalf("escape(%q) = %q changed a clean string", s, out)
		}
	})
}
