package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"tcpwrap/internal/quote"
)

// escape returns s as it may be shown to a person: one line, no control
// or format characters, one column per rune for every script without
// wide characters. See the package documentation for what is escaped.
func escape(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !plain(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if plain(r, n) {
			b.WriteString(s[i : i+n])
		} else {
			n = quote.Rune(&b, s[i:])
		}
		i += n
	}
	return b.String()
}

// plain reports whether rune r, n bytes long in the input, is shown as
// it is.
func plain(r rune, n int) bool {
	if r < utf8.RuneSelf {
		return r >= 0x20 && r < 0x7f && r != '\\'
	}
	if r == utf8.RuneError && n == 1 {
		return false
	}
	// IsPrint excludes the control and format characters, private use,
	// surrogates, unassigned code points and every space but U+0020.
	// Marks print, but on the previous character: they would make a cell
	// narrower than its rune count (and can pile up on one column).
	return unicode.IsPrint(r) && !unicode.In(r, unicode.Mn, unicode.Me)
}

// cell returns s escaped and clipped to at most w runes, ending in "…"
// when it was cut; "-" for an empty string.
func cell(s string, w int) string {
	if s == "" {
		return "-"
	}
	s = escape(s)
	if utf8.RuneCountInString(s) <= w {
		return s
	}
	n := 0
	for i := range s {
		if n == w-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
