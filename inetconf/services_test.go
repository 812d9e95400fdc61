package inetconf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"tcpwrap/inetconf"
)

// A services file with the cases glibc reads in its own way.
const trickyServices = "a 7/tcp\n" +
	"a 8/udp\n" +
	"b 0x10/tcp alias-b\n" + // strtoul base 0: hex
	"c 010/tcp\n" + // and octal
	"d 70000/tcp\n" + // low 16 bits: 4464
	"e 9//tcp # comment\n" + // several slashes
	"f 11/tcp#nospace\n" + // a comment anywhere
	"g\n" + // no port: ignored
	"h 12\n" + // no protocol: ignored
	"i x/tcp\n" + // not a number: ignored
	"j 13/TCP\n" + // protocols compare exactly
	"  k 14/tcp\n" + // leading blanks
	"l\t15/tcp\tm n\n" + // tabs, aliases
	"a 99/tcp\n" + // the first entry wins
	"dup-alias 16/tcp a\n" +
	"o -1/tcp\n" + // strtoul negates: 2^64-1, more than 32 bits: ignored
	"s +19/tcp\n" +
	"t -0/tcp\n" +
	"u 4294967297/tcp\n" + // more than 32 bits
	"z 65536/tcp\n" + // 16 bits: 0
	"p 17/tcp\r\n" + // a carriage return is white space
	"q 18/udp \x00 r\n" // a NUL ends the line

var trickyQueries = []string{"a/tcp", "a/udp", "b/tcp", "alias-b/tcp", "c/tcp", "d/tcp", "e/tcp", "f/tcp",
	"g/tcp", "h/tcp", "i/tcp", "j/tcp", "j/TCP", "k/tcp", "l/tcp", "m/tcp", "n/tcp", "dup-alias/tcp", "o/tcp", "s/tcp", "t/tcp", "u/tcp", "z/tcp",
	"p/tcp", "q/udp", "r/udp", "zz/tcp", "a/sctp"}

func TestParseServices(t *testing.T) {
	tab, warns, err := inetconf.ParseServices(strings.NewReader(trickyServices), "services")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{ // absent: not found
		"a/tcp": 7, "a/udp": 8, "b/tcp": 16, "alias-b/tcp": 16, "c/tcp": 8, "d/tcp": 4464, "e/tcp": 9, "f/tcp": 11,
		"j/TCP": 13, "k/tcp": 14, "l/tcp": 15, "m/tcp": 15, "n/tcp": 15, "dup-alias/tcp": 16, "s/tcp": 19, "t/tcp": 0, "z/tcp": 0,
		"p/tcp": 17, "q/udp": 18,
	}
	for _, q := range trickyQueries {
		name, proto, _ := strings.Cut(q, "/")
		p, ok := tab.Port(name, proto)
		w, found := want[q]
		if int(p) != w || ok != found {
			t.Errorf("Port(%q, %q) = %d, %v; want %d", name, proto, p, ok, want[q])
		}
	}
	var got []string
	for _, w := range warns {
		got = append(got, w.String())
	}
	wantWarns := []string{
		`services:5: service "d": port "70000" is out of range; glibc uses 4464 (its low 16 bits)`,
		`services:8: entry "g" has no port/protocol: ignored`,
		`services:9: service "h": "12" is not port/protocol: ignored`,
		`services:10: service "i": port "x/tcp" is not a number: ignored`,
		`services:16: service "o": port "-1" does not fit in 32 bits: ignored`,
		`services:19: service "u": port "4294967297" does not fit in 32 bits: ignored`,
		`services:20: service "z": port "65536" is out of range; glibc uses 0 (its low 16 bits)`,
	}
	if strings.Join(got, "\n") != strings.Join(wantWarns, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantWarns, "\n"))
	}
	if tab.Len() != 17 {
		t.Errorf("Len = %d", tab.Len())
	}
	var empty inetconf.ServicesFile
	if _, ok := empty.Port("a", "tcp"); ok || empty.Len() != 0 {
		t.Error("the zero ServicesFile is not empty")
	}
}

// TestServicesAgainstGetent asks glibc (getent services, in a mount
// namespace where the file is /etc/services) the same questions.
func TestServicesAgainstGetent(t *testing.T) {
	canNamespace(t, "/usr/bin/getent", "/bin/sh")
	check := func(t *testing.T, text string, queries []string) {
		dir := t.TempDir()
		nsFiles(t, dir, text, testHosts)
		script := ""
		for _, q := range queries {
			script += fmt.Sprintf("getent services '%s' || echo 'none %s'\n", q, q)
		}
		var out, errb bytes.Buffer
		cmd := exec.Command(os.Args[0], "/bin/sh", "-c", script)
		cmd.Env = append(os.Environ(), nsEnv+"="+dir)
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.SysProcAttr = nsAttr()
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, errb.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != len(queries) {
			t.Fatalf("getent said %q for %d queries", lines, len(queries))
		}
		tab, _, err := inetconf.ParseServices(strings.NewReader(text), "services")
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range queries {
			name, proto, _ := strings.Cut(q, "/")
			p, ok := tab.Port(name, proto)
			glibc := -1
			if f := strings.Fields(lines[i]); len(f) >= 2 && f[0] != "none" {
				glibc, _ = strconv.Atoi(strings.Split(f[1], "/")[0])
			}
			ours := -1
			if ok {
				ours = int(p)
			}
			if ours != glibc {
				t.Errorf("%s: glibc %d (%q), ParseServices %d", q, glibc, lines[i], ours)
			}
		}
	}
	t.Run("tricky", func(t *testing.T) { check(t, trickyServices, trickyQueries) })
	t.Run("debian", func(t *testing.T) {
		// The machine's own /etc/services, every name and alias.
		b, err := os.ReadFile("/etc/services")
		if err != nil {
			t.Skip(err)
		}
		tab, _, _ := inetconf.ParseServices(bytes.NewReader(b), "services")
		var qs []string
		seen := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			line, _, _ = strings.Cut(line, "#")
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			_, proto, _ := strings.Cut(f[1], "/")
			for _, n := range append([]string{f[0]}, f[2:]...) {
				if q := n + "/" + proto; !seen[q] && !strings.ContainsAny(q, "'") {
					seen[q] = true
					qs = append(qs, q)
				}
			}
		}
		if tab.Len() < 100 || len(qs) < 100 {
			t.Fatalf("only %d entries, %d queries", tab.Len(), len(qs))
		}
		check(t, string(b), qs)
	})
}
