package ident_test

import (
	"strings"
	"testing"

	"tcpwrap/ident"
)

// The expectations were checked against glibc 2.36's sscanf with tcpd's
// format "%u , %u : USERID :%*[^:]:%255s".
func TestParseReply(t *testing.T) {
	long := strings.Repeat("u", 300)
	tests := []struct {
		name string
		line string
		user string // "" means ok is false
	}{
		{"RFC 1413 example", "6193, 23 : USERID : UNIX : stjohns\r\n", "stjohns"},
		{"G08", "6193 , 23 : USERID : UNIX : alice\r\n", "alice"},
		{"no spaces", "6193,23:USERID:UNIX:stjohns", "stjohns"},
		{"lots of whitespace", "  6193 ,\t23 :  USERID  :  UNIX  :   stjohns  \r\n", "stjohns"},
		{"LF only", "6193,23:USERID:UNIX:bob\n", "bob"},
		// Only the first word counts.
		{"G10 first word", "6193,23 : USERID : UNIX : john smith\r\n", "john"},
		{"charset in OS field", "6193,23:USERID:UNIX, US-ASCII:bob", "bob"},
		{"OTHER", "6193,23 : USERID : OTHER : 12345\r\n", "12345"},
		{"colon in user", "6193,23:USERID:UNIX:a:b", "a:b"},
		{"user cut to 255", "6193,23:USERID:UNIX:" + long, long[:255]},
		// Hostile names are returned verbatim; sanitising is elsewhere.
		{"shell metacharacters", "6193,23:USERID:UNIX:a;b$c`d`|e>f\r\n", "a;b$c`d`|e>f"},
		{"control characters", "6193,23:USERID:UNIX:\x1b[31mred\x07\r\n", "\x1b[31mred\x07"},
		{"high bytes", "6193,23:USERID:UNIX:j\xc3\xb6rg\xff", "j\xc3\xb6rg\xff"},
		{"NUL ends the line", "6193,23:USERID:UNIX:al\x00ice", "al"},
		{"signed ports", "+6193,+23:USERID:UNIX:x", "x"},
		// strtoul's value is truncated to 32 bits.
		{"port beyond 32 bits", "4294973489,23:USERID:UNIX:x", "x"},
		{"negative port wraps", "-4294961103,23:USERID:UNIX:x", "x"},

		{"G34 ERROR", "6193 , 23 : ERROR : NO-USER\r\n", ""},
		{"G35 other ports", "1 , 2 : USERID : UNIX : eve\r\n", ""},
		{"swapped ports", "23,6193:USERID:UNIX:eve", ""},
		{"lower-case USERID", "6193,23:userid:UNIX:x", ""},
		{"empty OS field", "6193,23:USERID::x", ""},
		{"no user", "6193,23:USERID:UNIX:", ""},
		{"blank user", "6193,23:USERID:UNIX:  \t\r\n", ""},
		{"no OS field", "6193,23:USERID:x", ""},
		{"missing comma", "6193 23:USERID:UNIX:x", ""},
		{"hex port", "0x1831,23:USERID:UNIX:x", ""},
		{"two signs", "+-6193,23:USERID:UNIX:x", ""},
		{"overflow", "18446744073709551616,23:USERID:UNIX:x", ""},
		{"minus one", "-1,23:USERID:UNIX:x", ""},
		{"nul early", "6193,23:USER\x00ID:UNIX:x", ""},
		{"empty", "", ""},
		{"garbage", "hello\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, ok := ident.ParseReply(tt.line, 6193, 23)
			if user != tt.user || ok != (tt.user != "") {
				t.Errorf("ParseReply(%q) = %q, %v; want %q", tt.line, user, ok, tt.user)
			}
		})
	}
}

// FuzzParseReply checks that ParseReply never panics, that a user never
// holds whitespace or NUL and is never longer than 255 bytes, and that an
// accepted line still parses once the user is replaced by a plain name.
func FuzzParseReply(f *testing.F) {
	f.Add("6193, 23 : USERID : UNIX : stjohns\r\n", uint16(6193), uint16(23))
	f.Add("1 , 2 : ERROR : NO-USER", uint16(1), uint16(2))
	f.Add("4294967409,23:USERID:UNIX, UTF-8:a:b\x00c", uint16(113), uint16(23))
	f.Fuzz(func(t *testing.T, line string, cport, sport uint16) {
		user, ok := ident.ParseReply(line, cport, sport)
		if !ok {
			if user != "" {
				t.Fatalf("failed parse returned %q", user)
			}
			return
		}
		if user == "" || len(user) > ident.MaxUserLen || strings.ContainsAny(user, " \t\n\v\f\r\x00") {
			t.Fatalf("ParseReply(%q) = %q", line, user)
		}
		// The user field starts after the third ':' (the port and USERID
		// parts hold two, the OS field none) and its leading whitespace.
		i := 0
		for n := 0; n < 3; n++ {
			i += strings.IndexByte(line[i:], ':') + 1
		}
		for i < len(line) && strings.IndexByte(" \t\n\v\f\r", line[i]) >= 0 {
			i++
		}
		if !strings.HasPrefix(line[i:], user) {
			t.Fatalf("user %q does not start the user field of %q", user, line)
		}
		if got, ok := ident.ParseReply(line[:i]+"plain", cport, sport); !ok || got != "plain" {
			t.Fatalf("prefix %q of an accepted line gives %q, %v", line[:i], got, ok)
		}
	})
}
