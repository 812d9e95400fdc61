package access

import (
	"strings"
	"testing"
)

// cFold is the C locale's toupper for one byte: only a-z change.
func cFold(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c &^ 0x20
	}
	return c
}

// TestEqFoldBytes compares eqFold with strcasecmp's C-locale rule for every
// pair of bytes.
func TestEqFoldBytes(t *testing.T) {
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			want := cFold(byte(a)) == cFold(byte(b))
			if got := eqFold(string([]byte{byte(a)}), string([]byte{byte(b)})); got != want {
				t.Fatalf("eqFold(%#x, %#x) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// FuzzEqFold: eqFold is strcasecmp(a, b) == 0 in the C locale (equal
// lengths, bytes equal once A-Z alone are folded), agrees with
// strings.EqualFold on ASCII, and folds nothing beyond it: U+017F is not
// 's' and U+212A is not 'K', as they are to strings.EqualFold.
func FuzzEqFold(f *testing.F) {
	f.Add("sshd", "\u017fshd")
	f.Add("KNOWN", "\u212aNOWN")
	f.Add("LocalHost", "lOCALhOST")
	f.Fuzz(func(t *testing.T, a, b string) {
		want := len(a) == len(b)
		for i := 0; want && i < len(a); i++ {
			want = cFold(a[i]) == cFold(b[i])
		}
		if got := eqFold(a, b); got != want {
			t.Fatalf("eqFold(%q, %q) = %v, want %v", a, b, got, want)
		}
		ascii := true
		for _, r := range a + b {
			ascii = ascii && r < 0x80
		}
		if ascii && want != strings.EqualFold(a, b) {
			t.Fatalf("eqFold(%q, %q) = %v, strings.EqualFold disagrees", a, b, want)
		}
	})
}

// TestAtoi: glibc's atoi is (int) strtol(s, NULL, 10), a 64-bit long
// saturating at LONG_MAX/LONG_MIN and then cut to its low 32 bits, as
// measured with Debian's tcpdmatch on net/len mask lengths.
func TestAtoi(t *testing.T) {
	for _, c := range []struct {
		s string
		n int
	}{
		{"8", 8},
		{" +8x", 8},
		{"", 0},
		{"-", 0},
		{"2147483648", -2147483648},
		{"4294967304", 8},   // 2^32+8
		{"4294967424", 128}, // 2^32+128
		{"-4294967288", 8},
		{"9223372036854775807", -1},
		{"18446744073709551624", -1}, // LONG_MAX, not 8
		{"-9223372036854775800", 8},
		{"-9223372036854775808", 0},
		{"-99999999999999999999", 0}, // LONG_MIN
	} {
		if got := atoi(c.s); got != c.n {
			t.Errorf("atoi(%q) = %d, want %d", c.s, got, c.n)
		}
	}
}
