package resolve

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func entries(t hostsTable) []string {
	var out []string
	for _, e := range t.entries {
		out = append(out, e.addr.String()+" "+strings.Join(e.names, ","))
	}
	return out
}

func TestParseHosts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"basic", "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n",
			[]string{"127.0.0.1 localhost", "10.1.1.1 host1.example.com,host1"}},
		// '#' starts a comment anywhere in the line.
		{"comment", "# all comment\n10.1.1.13 a#b c\n10.1.1.14 # nothing\n",
			[]string{"10.1.1.13 a", "10.1.1.14 "}},
		// Tabs, CR, VT and FF separate fields; leading blanks are fine.
		{"whitespace", "10.1.1.14\tTab\r\n  10.1.1.40   lead   \n10.1.1.62\vvt\fff\n",
			[]string{"10.1.1.14 Tab", "10.1.1.40 lead", "10.1.1.62 vt,ff"}},
		// A NUL ends its line, as it ends glibc's C string; the next line
		// is read normally.
		{"nul", "10.1.1.50 ab\x00cd ef\n10.1.1.51 gh\n",
			[]string{"10.1.1.50 ab", "10.1.1.51 gh"}},
		// Only strict inet_pton addresses: no short, octal or hex IPv4,
		// no scoped IPv6.
		{"strict addresses", "10.1.2 short\n0x0a.1.1.1 hexa\n010.1.1.1 octa\nfe80::1%lo scoped\n10.1.1.999 big\nnonsense name\n",
			nil},
		{"ipv6", "2001:db8::10 dual.example.com\n::ffff:10.1.1.30 mapped\n",
			[]string{"2001:db8::10 dual.example.com", "::ffff:10.1.1.30 mapped"}},
		// An address without names is kept: it stops a reverse lookup.
		{"no names", "10.1.1.60\n", []string{"10.1.1.60 "}},
		// Names are kept byte for byte, shell metacharacters included.
		{"hostile", "10.1.1.64 ,weird;name$(x) `y` a|b\n",
			[]string{"10.1.1.64 ,weird;name$(x),`y`,a|b"}},
		{"no final newline", "10.1.1.1 last", []string{"10.1.1.1 last"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := entries(parseHosts([]byte(tt.in)))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseHosts(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}

// The hosts file of the tricky cases D26 to D51, plus lines that show
// glibc's handling of families and duplicates.
const trickyHosts = "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.2 nodots\n" +
	"10.1.1.3 Mixed.Example.COM\n10.1.1.4 multi.example.com\n10.1.1.5 multi.example.com\n" +
	"10.1.1.9 real.example.com liar.example.com\n10.1.1.8 liar.example.com\n" +
	"10.1.1.10 dual.example.com\n2001:db8::10 dual.example.com\n10.2.2.2 srv.example.com\n" +
	"10.2.2.3 srv2.example.com\n10.2.2.4 srv2.example.com\n" +
	"2001:db8::20 mix1 alias6\n10.1.1.20 mix2 alias6\n::ffff:10.1.1.30 mapped\n" +
	"10.1.1.11 dup\n10.1.1.11 dup\n10.1.1.12 dup\n"

// Expectations checked with glibc 2.36 (getaddrinfo, gethostbyaddr) on a
// copy of this file bind-mounted over /etc/hosts.
func TestHostsForward(t *testing.T) {
	tbl := parseHosts([]byte(trickyHosts))
	tests := []struct {
		name  string
		fam   family
		canon string
		addrs string
	}{
		{"liar.example.com", anyFamily, "real.example.com", "10.1.1.9 10.1.1.8"},
		{"host1", inet4, "host1.example.com", "10.1.1.1"},
		{"MIXED.example.com", anyFamily, "Mixed.Example.COM", "10.1.1.3"},
		{"dual.example.com", anyFamily, "dual.example.com", "10.1.1.10 2001:db8::10"},
		{"dual.example.com", inet4, "dual.example.com", "10.1.1.10"},
		{"dual.example.com", inet6, "dual.example.com", "2001:db8::10"},
		// The canonical name comes from the first line of the family
		// asked for.
		{"alias6", anyFamily, "mix1", "2001:db8::20 10.1.1.20"},
		{"alias6", inet4, "mix2", "10.1.1.20"},
		{"alias6", inet6, "mix1", "2001:db8::20"},
		// v4-mapped lines are IPv4 for AF_INET only.
		{"mapped", anyFamily, "mapped", "::ffff:10.1.1.30"},
		{"mapped", inet4, "mapped", "10.1.1.30"},
		{"mapped", inet6, "mapped", "::ffff:10.1.1.30"},
		// glibc does not remove duplicates.
		{"dup", anyFamily, "dup", "10.1.1.11 10.1.1.11 10.1.1.12"},
		{"nodots", inet6, "", ""},
		// A trailing dot is not stripped by the files backend.
		{"nodots.", inet4, "", ""},
		{"absent", anyFamily, "", ""},
		{"", anyFamily, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.fam.String(), func(t *testing.T) {
			canon, addrs := tbl.forward(tt.name, tt.fam)
			var s []string
			for _, a := range addrs {
				s = append(s, a.String())
			}
			if canon != tt.canon || strings.Join(s, " ") != tt.addrs {
				t.Errorf("forward(%q, %v) = %q, %v; want %q, %s", tt.name, tt.fam, canon, s, tt.canon, tt.addrs)
			}
		})
	}
}

func TestHostsReverse(t *testing.T) {
	tbl := parseHosts([]byte(trickyHosts + "10.1.1.60\n10.1.1.8 second-liar\n"))
	tests := []struct {
		addr  string
		name  string
		found bool
	}{
		{"10.1.1.8", "liar.example.com", true}, // first line wins
		{"10.1.1.9", "real.example.com", true},
		{"2001:db8::10", "dual.example.com", true},
		{"10.1.1.30", "mapped", true}, // an IPv4 query matches a v4-mapped line
		{"10.1.1.60", "", true},       // found, without a name
		{"10.9.9.9", "", false},
		{"::ffff:10.1.1.8", "", false}, // callers unmap first
	}
	for _, tt := range tests {
		name, found := tbl.reverse(netip.MustParseAddr(tt.addr))
		if name != tt.name || found != tt.found {
			t.Errorf("reverse(%s) = %q, %v; want %q, %v", tt.addr, name, found, tt.name, tt.found)
		}
	}
}

func TestASCIIEqualFold(t *testing.T) {
	if !asciiEqualFold("Mixed.Example.COM", "mixed.example.com") {
		t.Error("ASCII letters must fold")
	}
	// strcasecmp in the C locale folds ASCII only: the Kelvin sign is
	// not "k", although strings.EqualFold says it is.
	if asciiEqualFold("\u212aelvin", "kelvin") || asciiEqualFold("é", "É") {
		t.Error("non-ASCII must not fold")
	}
}

func TestHostsCacheReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	var c hostsCache
	if got := entries(c.get(path)); got != nil {
		t.Fatalf("missing file: %q", got)
	}
	write := func(s string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	write("10.0.0.1 one\n", t0)
	if got := entries(c.get(path)); !reflect.DeepEqual(got, []string{"10.0.0.1 one"}) {
		t.Fatalf("first read: %q", got)
	}
	// Same size, new modification time.
	write("10.0.0.2 two\n", t0.Add(time.Second))
	if got := entries(c.get(path)); !reflect.DeepEqual(got, []string{"10.0.0.2 two"}) {
		t.Fatalf("after rewrite: %q", got)
	}
	// Replaced by another file (rename over it), same size and time.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte("10.0.0.3 thr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, t0.Add(time.Second), t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if got := entries(c.get(path)); !reflect.DeepEqual(got, []string{"10.0.0.3 thr"}) {
		t.Fatalf("after rename: %q", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := entries(c.get(path)); got != nil {
		t.Fatalf("after remove: %q", got)
	}
}

// formatHosts writes a table back as hosts-file text.
func formatHosts(tbl hostsTable) []byte {
	var b bytes.Buffer
	for _, e := range tbl.entries {
		b.WriteString(e.addr.String())
		for _, n := range e.names {
			b.WriteString(" " + n)
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

// FuzzParseHosts checks that the parser never panics, that names never
// hold a separator, NUL or '#', that every name finds its line, and that
// formatting the table and parsing it again gives the same table.
func FuzzParseHosts(f *testing.F) {
	f.Add([]byte(trickyHosts))
	f.Add([]byte("10.1.1.50 ab\x00cd ef\n# c\n10.1.1.13 a#b c\r\n\v\f"))
	f.Add([]byte("fe80::1%lo x\n::ffff:1.2.3.4 m\n1.2.3 short\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tbl := parseHosts(data)
		for _, e := range tbl.entries {
			if !e.addr.IsValid() || e.addr.Zone() != "" {
				t.Fatalf("bad address %v", e.addr)
			}
			for _, n := range e.names {
				if n == "" || strings.ContainsAny(n, " \t\n\v\f\r#\x00") {
					t.Fatalf("bad name %q", n)
				}
				fam := inet6
				if e.addr.Is4() || e.addr.Is4In6() {
					fam = inet4
				}
				_, addrs := tbl.forward(n, fam)
				want := e.addr
				if fam == inet4 {
					want = want.Unmap()
				}
				found := false
				for _, a := range addrs {
					found = found || a == want
				}
				if !found {
					t.Fatalf("forward(%q) = %v, misses %v", n, addrs, want)
				}
			}
			if _, found := tbl.reverse(e.addr.Unmap()); !found {
				t.Fatalf("reverse(%v) not found", e.addr)
			}
		}
		again := parseHosts(formatHosts(tbl))
		if !reflect.DeepEqual(entries(again), entries(tbl)) {
			t.Fatalf("round trip:\n%q\n%q", entries(tbl), entries(again))
		}
	})
}
