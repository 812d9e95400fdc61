package logconf_test

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"tcpwrap/audit/logconf"
)

var errorLine = regexp.MustCompile(`^fuzz\.conf:[1-9][0-9]*: `)

// FuzzParse: no panic; an error always names the file and a line on
// every line of its text; a Config that parses comes back the same
// through String.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/logging.conf.example"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"", "syslog on", "syslog on\nsyslog off", "remote tls h:1 ca=/a cert=/c key=/k",
		"remote udp [fe80::1%eth0]:514", "spool /s max=1G", "route *.info;mail.none /x format=json",
		"queue 1000000", "json off # c", "\x00", "remote tcp 010.0.0.1:5",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := logconf.Parse(strings.NewReader(text), "fuzz.conf")
		if err != nil {
			if cfg != nil {
				t.Fatal("a Config with an error")
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if !errorLine.MatchString(l) {
					t.Fatalf("error line without file:line: %q", l)
				}
			}
			var e *logconf.Error
			if !errors.As(err, &e) || e.File != "fuzz.conf" || e.Line < 1 || e.Line > strings.Count(text, "\n")+2 {
				t.Fatalf("errors.As: %#v", e)
			}
			return
		}
		again, err := logconf.Parse(strings.NewReader(cfg.String()), "fuzz.conf")
		if err != nil {
			t.Fatalf("String() does not parse: %v\n%s", err, cfg)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("round trip:\n%s\nthen\n%s", cfg, again)
		}
	})
}
