package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"tcpwrap/limits"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseArgs(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(s *settings) bool
		err   string
	}{
		// openbsd-inetd's defaults.
		{name: "defaults", check: func(s *settings) bool {
			return s.config == "/etc/inetd.conf" && !s.debug && !s.foreground && !s.checkAll && s.backlog == 0 &&
				s.sourceRate == (limits.Rate{}) && s.allow == "" && s.services == "/etc/services"
		}},
		// Short options cluster as getopt's do, values attach or follow.
		{name: "cluster", args: []string{"-dil", "-q64", "-R", "120", "/x/inetd.conf"}, check: func(s *settings) bool {
			return s.debug && s.foreground && s.checkAll && s.backlog == 64 && s.sourceRate == limits.PerMinute(120, 0) && s.config == "/x/inetd.conf"
		}},
		{name: "-R 0 is no limit", args: []string{"-R0"}, check: func(s *settings) bool { return s.sourceRate == limits.Rate{} }},
		// The environment of tcpd, overridden by options.
		{name: "env tables", env: map[string]string{"TCPWRAP_HOSTS_ALLOW": "/a", "TCPWRAP_HOSTS_DENY": "/d"},
			check: func(s *settings) bool { return s.allow == "/a" && s.deny == "/d" }},
		{name: "options over env", args: []string{"--hosts-allow=/b", "--hosts-deny", "/e"},
			env:   map[string]string{"TCPWRAP_HOSTS_ALLOW": "/a", "TCPWRAP_HOSTS_DENY": "/d"},
			check: func(s *settings) bool { return s.allow == "/b" && s.deny == "/e" }},
		{name: "limits", args: []string{"--source-rate", "10/s,burst=20", "--source-max=4", "--global-max", "100", "--ipv6-prefix", "56", "--log-interval=30s"},
			check: func(s *settings) bool {
				return s.sourceRate == limits.PerSecond(10, 20) && s.sourceMax == 4 && s.globalMax == 100 && s.ipv6Bits == 56 && s.logInterval == 30*time.Second
			}},
		{name: "repeatable", args: []string{"--env", "A=1", "--env=B=2=3", "--rlimit", "nofile=64", "--rlimit=core=0"},
			check: func(s *settings) bool {
				return strings.Join(s.env, " ") == "A=1 B=2=3" && len(s.rlimits) == 2 && s.rlimits[0].Soft == 64
			}},
		{name: "flags", args: []string{"--no-watch", "--strict", "--check", "--log-session-end"},
			check: func(s *settings) bool { return s.noWatch && s.strict && s.check && s.sessionLog }},
		{name: "metrics loopback", args: []string{"--metrics", "[::1]:9129"}, check: func(s *settings) bool { return s.metrics == "[::1]:9129" }},
		{name: "-- ends options", args: []string{"--", "-odd.conf"}, check: func(s *settings) bool { return s.config == "-odd.conf" }},
		// Mistakes, each with a message.
		{name: "unknown short", args: []string{"-x"}, err: "unknown option -x"},
		{name: "unknown long", args: []string{"--frob"}, err: `unknown option "--frob"`},
		{name: "missing value", args: []string{"-q"}, err: "option -q needs a value"},
		{name: "missing long value", args: []string{"--source-max"}, err: "option --source-max needs a value (N)"},
		{name: "bad backlog", args: []string{"-q", "-5"}, err: `-q: "-5" is not a number`},
		{name: "bad rate", args: []string{"--source-rate", "fast"}, err: "--source-rate: "},
		{name: "metrics not loopback", args: []string{"--metrics", "0.0.0.0:9129"}, err: "is not a loopback address"},
		{name: "flag with value", args: []string{"--strict=yes"}, err: "option --strict takes no value"},
		{name: "two configs", args: []string{"a.conf", "b.conf"}, err: "more than one configuration file"},
		{name: "bad env", args: []string{"--env", "=x"}, err: `"=x" is not NAME=VALUE`},
		{name: "env of the client", args: []string{"--env", "REMOTE_ADDR=1.2.3.4"}, err: "REMOTE_ADDR is the client's"},
		{name: "IPv4 prefix too long", args: []string{"--ipv4-prefix=33"}, err: "--ipv4-prefix: 33 is above 32"},
		{name: "IPv6 prefix too long", args: []string{"--ipv6-prefix", "129"}, err: "--ipv6-prefix: 129 is above 128"},
		{name: "bad rlimit", args: []string{"--rlimit", "nofile=2:1"}, err: "soft limit is above the hard one"},
		{name: "bad duration", args: []string{"--shutdown-timeout", "-1s"}, err: "is not a duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := parseArgs(c.args, env(c.env))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(s) {
				t.Errorf("settings %+v", s)
			}
		})
	}
}

func TestUsageAndHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-x"}, env(nil), &out, &errb); code != 2 || !strings.Contains(errb.String(), "tcpwrapd: unknown option -x\n"+usage) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"--help"}, env(nil), &out, &errb); code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	for _, o := range longOptions(&settings{}) {
		if !strings.Contains(out.String(), "--"+o.name) {
			t.Errorf("--help does not list --%s", o.name)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("-dil\x00-q\x0064\x00conf")
	f.Add("--source-rate=10/s\x00--metrics\x00127.0.0.1:1")
	f.Add("-R\x00")
	f.Add("--rlimit\x00nofile=1:2\x00--env\x00A=B")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		s, err := parseArgs(args, env(nil))
		if err != nil {
			if s != nil {
				t.Fatal("settings with an error")
			}
			return
		}
		// What was accepted is sane.
		if s.backlog < 0 || s.sourceMax < 0 || s.globalMax < 0 || s.config == "" {
			t.Fatalf("%q: %+v", args, s)
		}
		if s.metrics != "" && !strings.HasPrefix(s.metrics, "127.") && !strings.HasPrefix(s.metrics, "[::1]") && !strings.Contains(s.metrics, "::ffff:127.") {
			t.Fatalf("%q: metrics on %q", args, s.metrics)
		}
		for _, r := range s.rlimits {
			if r.Soft > r.Hard {
				t.Fatalf("%q: %v", args, r)
			}
		}
	})
}
