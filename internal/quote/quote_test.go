package quote_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"tcpwrap/internal/quote"
)

func TestRune(t *testing.T) {
	tests := []struct {
		in   string
		want string
		n    int
	}{
		{"\\x", `\\`, 1},
		{"\n", `\n`, 1},
		{"\r\n", `\r`, 1},
		{"\t", `\t`, 1},
		{"\x00", `\x00`, 1},
		{"\x1b[31m", `\x1b`, 1},
		{"\x7f", `\x7f`, 1},
		{"a", `\x61`, 1}, // escapes what it is given
		{"\xff\xfe", `\xff`, 1},
		{"\xe2\x82", `\xe2`, 1}, // a cut sequence: one byte at a time
		{"é", `\u00e9`, 2},
		{"\u202e", `\u202e`, 3},
		{"\ufeff", `\ufeff`, 3},
		{"😀", `\U0001f600`, 4},
		{"\U0010ffff", `\U0010ffff`, 4},
	}
	for _, tc := range tests {
		var b strings.Builder
		n := quote.Rune(&b, tc.in)
		if b.String() != tc.want || n != tc.n {
			t.Errorf("Rune(%q) wrote %q, returned %d; want %q, %d", tc.in, b.String(), n, tc.want, tc.n)
		}
	}
}

// The escapes are Go's own: strconv.Unquote reads each one back as the
// character (for valid UTF-8) or the byte it stands for.
func FuzzRune(f *testing.F) {
	for _, s := range []string{"a", "\\", "\n", "\xff", "é", "😀", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		var b strings.Builder
		n := quote.Rune(&b, s)
		if n < 1 || n > len(s) || n > utf8.UTFMax {
			t.Fatalf("Rune(%q) consumed %d", s, n)
		}
		out := b.String()
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] >= 0x7f {
				t.Fatalf("Rune(%q) wrote %q, not printable ASCII", s, out)
			}
		}
		var back string
		if _, err := fmt.Sscanf(`"`+out+`"`, "%q", &back); err != nil {
			t.Fatalf("Rune(%q) wrote %q: %v", s, out, err)
		}
		if back != s[:n] {
			t.Errorf("Rune(%q) wrote %q, which reads back as %q", s, out, back)
		}
	})
}

func ExampleRune() {
	var b strings.Builder
	for s := "a\x1b[31m\u202eé"; s != ""; {
		if s[0] >= 0x20 && s[0] < 0x7f && s[0] != '\\' {
			b.WriteByte(s[0])
			s = s[1:]
			continue
		}
		s = s[quote.Rune(&b, s):]
	}
	fmt.Println(b.String())
	// Output: a\x1b[31m\u202e\u00e9
}
