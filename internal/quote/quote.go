// Package quote writes the Go escape of a character, for the packages
// that show strings from logs to people (tcpdwatch's alerts and reports)
// and must never pass a control character, an invalid byte or, where
// they choose, any character outside their policy through as it is.
// Each package decides which characters it keeps; Rune escapes the
// others, the same way everywhere.
package quote

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Rune writes to b the escape of the first character of s, which must
// not be empty, and returns its length in s: \\ for the backslash, \n,
// \r and \t, \xHH for the other ASCII characters and for a byte that
// does not start valid UTF-8 (one byte only is consumed then), \uHHHH
// and \UHHHHHHHH for the rest, with lower-case hex digits. It escapes
// whatever it is given, printable or not.
func Rune(b *strings.Builder, s string) int {
	r, n := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && n == 1:
		b.WriteString(`\x`)
		hex(b, uint64(s[0]), 2)
	case r == '\\':
		b.WriteString(`\\`)
	case r == '\n':
		b.WriteString(`\n`)
	case r == '\r':
		b.WriteString(`\r`)
	case r == '\t':
		b.WriteString(`\t`)
	case r < utf8.RuneSelf:
		b.WriteString(`\x`)
		hex(b, uint64(r), 2)
	case r <= 0xffff:
		b.WriteString(`\u`)
		hex(b, uint64(r), 4)
	default:
		b.WriteString(`\U`)
		hex(b, uint64(r), 8)
	}
	return n
}

// hex writes v in lower-case hex, zero-padded to width digits.
func hex(b *strings.Builder, v uint64, width int) {
	var buf [16]byte
	d := strconv.AppendUint(buf[:0], v, 16)
	for i := len(d); i < width; i++ {
		b.WriteByte('0')
	}
	b.Write(d)
}
