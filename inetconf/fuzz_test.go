package inetconf_test

import (
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tcpwrap/inetconf"
)

// FuzzParse parses arbitrary files. Parse must not panic, must give the
// same answer twice, and what it returns must hold together: unique
// keys, sane fields, messages with places. Each Service, written back as
// an explicit one-line entry, must parse to the same listener and
// settings.
func FuzzParse(f *testing.F) {
	for _, c := range inetdCases {
		f.Add(c.conf)
	}
	if b, err := os.ReadFile("testdata/rich.conf"); err == nil {
		f.Add(string(b))
	}
	f.Add("17200\n stream tcp nowait root /bin/x\n")
	f.Add("127.0.0.1,[::1],two:svcA stream tcp,rcvbuf=1k,sndbuf=2m nowait.5 a:b.c /usr/sbin/tcpd in.x y\n")
	opts := testOptions(f)
	f.Fuzz(func(t *testing.T, conf string) {
		svcs, warns, err := inetconf.Parse(strings.NewReader(conf), "f", opts)
		svcs2, warns2, err2 := inetconf.Parse(strings.NewReader(conf), "f", opts)
		if !reflect.DeepEqual(svcs, svcs2) || !reflect.DeepEqual(warns, warns2) || (err == nil) != (err2 == nil) {
			t.Fatal("two parses differ")
		}
		for _, w := range warns {
			if w.File != "f" || w.Line < 1 || w.Text == "" || (strings.Contains(w.Text, "%!") || strings.Contains(w.Inetd, "%!")) && !strings.Contains(conf, "%!") {
				t.Errorf("bad warning %+v", w)
			}
		}
		if err != nil {
			if svcs != nil {
				t.Error("services with an error")
			}
			return
		}
		keys := map[inetconf.Key]bool{}
		for _, s := range svcs {
			checkService(t, s)
			if keys[s.Key()] {
				t.Errorf("key %s twice", s.Key())
			}
			keys[s.Key()] = true
			if line, ok := render(s); ok {
				back, _, err := inetconf.Parse(strings.NewReader(line), "f", opts)
				if err != nil || len(back) != 1 || !sameService(s, back[0]) {
					t.Errorf("%q gave %v %v, want %+v", line, back, err, s)
				}
			}
		}
	})
}

func checkService(t *testing.T, s inetconf.Service) {
	t.Helper()
	bad := func(why string) { t.Errorf("%s: %+v", why, s) }
	if s.File != "f" || s.Line < 1 {
		bad("place")
	}
	if s.Max < 1 || len(s.Argv) > inetconf.MaxArgs || s.Builtin == "" && len(s.Argv) == 0 {
		bad("max or argv")
	}
	if s.Builtin == "" && (s.User == "" || s.Server == "internal") {
		bad("user or server")
	}
	if s.Socket != inetconf.Stream && s.Socket != inetconf.Dgram {
		bad("socket type")
	}
	switch s.Family {
	case inetconf.IPv4:
		if !s.Addr.Addr().Is4() || s.Addr.Port() == 0 || s.V6Only != inetconf.V6OnlyUnset {
			bad("IPv4 address")
		}
	case inetconf.IPv6:
		if !s.Addr.Addr().Is6() || s.Addr.Port() == 0 {
			bad("IPv6 address")
		}
	case inetconf.Unix:
		if s.Path == "" || len(s.Path) > 107 || s.Addr.IsValid() {
			bad("Unix path")
		}
	default:
		bad("family")
	}
	isTcpd := s.Builtin == "" && s.Server[strings.LastIndexByte(s.Server, '/')+1:] == "tcpd"
	if isTcpd != (s.Tcpd != nil) || s.Tcpd != nil && (s.Tcpd.Daemon == "tcpd" || s.Tcpd.Argv[0] != s.Tcpd.Daemon) {
		bad("tcpd")
	}
}

// render writes a Service as an explicit entry, when it can be written
// on one line that reads back the same.
func render(s inetconf.Service) (string, bool) {
	var b strings.Builder
	port := itoa(int(s.Addr.Port()))
	if s.Builtin != "" {
		port = s.Name // a built-in needs its official name
	}
	switch s.Family {
	case inetconf.Unix:
		b.WriteString("*:" + s.Path)
	case inetconf.IPv4:
		b.WriteString(s.Addr.Addr().String() + ":" + port)
	case inetconf.IPv6:
		if s.Addr.Addr().Zone() != "" {
			return "", false
		}
		b.WriteString("[" + s.Addr.Addr().String() + "]:" + port)
	}
	b.WriteString(" " + s.Socket.String() + " ")
	proto := map[inetconf.Family]string{inetconf.IPv4: "4", inetconf.IPv6: "6", inetconf.Unix: ""}[s.Family]
	if s.Family == inetconf.IPv6 && s.V6Only == inetconf.V6OnlyOff {
		proto = "46"
	}
	switch {
	case s.Family == inetconf.Unix:
		proto = "unix"
	case s.Socket == inetconf.Stream:
		proto = "tcp" + proto
	default:
		proto = "udp" + proto
	}
	b.WriteString(proto)
	if s.SndBuf != 0 {
		b.WriteString(",sndbuf=" + itoa(s.SndBuf) + "x")
	}
	if s.RcvBuf != 0 {
		b.WriteString(",rcvbuf=" + itoa(s.RcvBuf) + "x")
	}
	if s.Wait {
		b.WriteString(" wait")
	} else {
		b.WriteString(" nowait")
	}
	b.WriteString("." + itoa(s.Max) + " " + s.User)
	if s.Group != "" {
		b.WriteString("." + s.Group)
	}
	b.WriteString(" " + s.Server)
	for _, a := range s.Argv {
		b.WriteString(" " + a)
	}
	line := b.String()
	if len(line) > 1000 || strings.ContainsAny(line, "\n\x00") {
		return "", false
	}
	return line + "\n", true
}

func itoa(n int) string { return strconv.Itoa(n) }

func sameService(a, b inetconf.Service) bool {
	return a.Key() == b.Key() && a.Wait == b.Wait && a.Max == b.Max && a.User == b.User && a.Group == b.Group &&
		a.Server == b.Server && slices.Equal(a.Argv, b.Argv) && a.Builtin == b.Builtin &&
		a.SndBuf == b.SndBuf && a.RcvBuf == b.RcvBuf && reflect.DeepEqual(a.Tcpd, b.Tcpd)
}

// FuzzParseServices reads arbitrary services files: no panic, messages
// with places, and every name the file lists for a protocol found with
// the port of its first entry.
func FuzzParseServices(f *testing.F) {
	f.Add(trickyServices)
	f.Add(testServices)
	if b, err := os.ReadFile("/etc/services"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		tab, warns, err := inetconf.ParseServices(strings.NewReader(text), "s")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(text, "\n") + 1
		for _, w := range warns {
			if w.File != "s" || w.Line < 1 || w.Line > lines || strings.Contains(w.Text, "%!") && !strings.Contains(text, "%!") {
				t.Errorf("bad warning %+v", w)
			}
		}
		if tab.Len() > lines {
			t.Errorf("%d entries from %d lines", tab.Len(), lines)
		}
		// A simple reading of the well-formed lines: "name port/proto
		// aliases" with a decimal port below 65536.
		seen := map[[2]string]bool{}
		for _, line := range strings.Split(text, "\n") {
			line, _, _ = strings.Cut(line, "#")
			line, _, _ = strings.Cut(line, "\x00")
			fs := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\v' || r == '\f' })
			if len(fs) < 2 {
				continue
			}
			port, proto, ok := strings.Cut(fs[1], "/")
			if !ok || port == "" || port[0] == '0' || len(port) > 4 || strings.Trim(port, "0123456789") != "" || strings.Contains(proto, "/") {
				// Not simple: glibc may still read it, so its names
				// are not checked on later lines.
				for _, n := range append([]string{fs[0]}, fs[2:]...) {
					seen[[2]string{n, strings.TrimLeft(proto, "/")}] = true
				}
				continue
			}
			for _, n := range append([]string{fs[0]}, fs[2:]...) {
				k := [2]string{n, proto}
				if seen[k] {
					continue
				}
				seen[k] = true
				p, ok := tab.Port(n, proto)
				if !ok || itoa(int(p)) != port {
					t.Errorf("Port(%q, %q) = %d, %v; the line says %s", n, proto, p, ok, port)
				}
			}
		}
	})
}
