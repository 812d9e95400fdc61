package access

import (
	"errors"
	"strings"
)

// Expansion buffer limits: tcp_wrappers expands into a BUFSIZ buffer (8190
// usable bytes) for option values and a 2×BUFSIZ buffer for banner lines.
const (
	MaxExpansion       = 8190
	MaxBannerExpansion = 16382
)

// ErrExpansionTooLong is returned when an expansion would exceed its
// buffer. tcp_wrappers then logs a warning and exits (after 5 seconds)
// without a verdict.
var ErrExpansionTooLong = errors.New("percent_x: expansion too long")

// safeChar reports whether c may appear in an expanded value unchanged.
func safeChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!@%-_=+:,./", c) >= 0
}

// Sanitize replaces every byte of s that is not a letter, a digit or one of
// "!@%-_=+:,./" by '_', as tcp_wrappers does to every %-expansion before
// it can reach a shell.
func Sanitize(s string) string {
	for i := 0; i < len(s); i++ {
		if !safeChar(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if !safeChar(b[j]) {
					b[j] = '_'
				}
			}
			return string(b)
		}
	}
	return s
}

// Expand performs %-expansion of text with the request's facts, within a
// limit of max bytes (MaxExpansion or MaxBannerExpansion). Lookups happen
// as the sequences are met; each expanded value is sanitised, and so is
// the cached value it came from. Unknown sequences are dropped with a
// warning; a '%' at the very end is kept.
func (f *Facts) Expand(text string, max int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(text); {
		var piece string
		if text[i] == '%' && i+1 < len(text) {
			c := text[i+1]
			i += 2
			v, p, ok := f.value(c)
			if !ok {
				// The byte as it is, as tcpd logs it (string(c) would
				// encode bytes from 0x80 as UTF-8).
				f.warn("unrecognized %" + text[i-1:i])
			}
			if p != nil {
				*p = Sanitize(*p)
				v = *p
			} else {
				v = Sanitize(v)
			}
			piece = v
		} else {
			piece = text[i : i+1]
			i++
		}
		if b.Len()+len(piece) >= max+1 {
			got := b.String()
			if len(got) > 30 {
				got = got[:30]
			}
			f.warn("percent_x: expansion too long: " + got + "...")
			return "", ErrExpansionTooLong
		}
		b.WriteString(piece)
	}
	return b.String(), nil
}
