package main

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"tcpwrap/limits"
	"tcpwrap/superserver"
)

// usage is the synopsis printed with errors.
const usage = "usage: tcpwrapd [-d] [-i] [-l] [-q backlog] [-R rate] [--option[=value]...] [config]"

// settings are the command line, with the environment's defaults.
type settings struct {
	debug, foreground, checkAll bool
	backlog                     int
	config                      string

	allow, deny  string
	loggingConf  string
	syslogSocket string
	services     string
	daemonDir    string

	globalMax   int
	sourceMax   int
	sourceRate  limits.Rate
	ipv4Bits    int
	ipv6Bits    int
	maxSources  int
	logInterval time.Duration

	metrics         string
	env             []string
	rlimits         []superserver.Rlimit
	redirectTimeout time.Duration
	shutdownTimeout time.Duration
	pidfile         string
	noWatch         bool
	check           bool
	strict          bool
	sessionLog      bool
}

// longOption is one --name: whether it takes a value, and what it does.
type longOption struct {
	name  string
	value string // the value's name in the help text; "" for a flag
	help  string
	set   func(s *settings, v string) error
}

func intArg(dst *int, min int) func(*settings, string) error {
	return rangeArg(dst, min, 999999999)
}

// rangeArg takes a number from min to max.
func rangeArg(dst *int, min, max int) func(*settings, string) error {
	return func(_ *settings, v string) error {
		if v == "" || strings.TrimLeft(v, "0123456789") != "" || len(v) > 9 {
			return fmt.Errorf("%q is not a number", v)
		}
		n, _ := strconv.Atoi(v)
		if n < min {
			return fmt.Errorf("%d is below %d", n, min)
		}
		if n > max {
			return fmt.Errorf("%d is above %d", n, max)
		}
		*dst = n
		return nil
	}
}

func durationArg(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (as 10s, 1m30s)", v)
	}
	return d, nil
}

// longOptions are the settings openbsd-inetd does not have.
func longOptions(s *settings) []longOption {
	return []longOption{
		{"hosts-allow", "FILE", "the allow table (default /etc/hosts.allow, or $TCPWRAP_HOSTS_ALLOW)",
			func(s *settings, v string) error { s.allow = v; return nil }},
		{"hosts-deny", "FILE", "the deny table (default /etc/hosts.deny, or $TCPWRAP_HOSTS_DENY)",
			func(s *settings, v string) error { s.deny = v; return nil }},
		{"logging-conf", "FILE", "the logging configuration (default /etc/tcpwrap/logging.conf, or $TCPWRAP_LOGGING_CONF)",
			func(s *settings, v string) error { s.loggingConf = v; return nil }},
		{"syslog-socket", "PATH", "the syslog socket (default /dev/log, or $TCPWRAP_SYSLOG_SOCKET)",
			func(s *settings, v string) error { s.syslogSocket = v; return nil }},
		{"services", "FILE", "the services file (default /etc/services)",
			func(s *settings, v string) error { s.services = v; return nil }},
		{"daemon-dir", "DIR", "where tcpd entries' daemons without a path are (default /usr/sbin, or $TCPWRAP_REAL_DAEMON_DIR)",
			func(s *settings, v string) error { s.daemonDir = v; return nil }},
		{"global-max", "N", "the most sessions at once, all services together (default: no limit)", intArg(&s.globalMax, 0)},
		{"source-max", "N", "the most sessions one source holds at once (default: no limit)", intArg(&s.sourceMax, 0)},
		{"source-rate", "RATE", "connections a source may open, as 10/s or 30/min,burst=5 (default: no limit; -R N is N/min)",
			func(s *settings, v string) error {
				r, err := limits.ParseRate(v)
				s.sourceRate = r
				return err
			}},
		{"ipv4-prefix", "BITS", "IPv4 clients in one prefix of this length are one source (default 32)", rangeArg(&s.ipv4Bits, 1, 32)},
		{"ipv6-prefix", "BITS", "IPv6 clients in one prefix of this length are one source (default 64)", rangeArg(&s.ipv6Bits, 1, 128)},
		{"max-sources", "N", "the most sources tracked at once (default 65536)", intArg(&s.maxSources, 1)},
		{"log-interval", "DURATION", "how often, at most, a limit refusal of one kind is logged (default 1m)",
			func(s *settings, v string) (err error) { s.logInterval, err = durationArg(v); return err }},
		{"metrics", "ADDR:PORT", "serve Prometheus metrics at http://ADDR:PORT/metrics (a loopback address)",
			func(s *settings, v string) error {
				ap, err := netip.ParseAddrPort(v)
				if err != nil || !ap.Addr().IsLoopback() {
					return fmt.Errorf("%q is not a loopback address and port (as 127.0.0.1:9129)", v)
				}
				s.metrics = v
				return nil
			}},
		{"env", "NAME=VALUE", "set in the environment of every service (repeatable; the last one of a NAME counts; default PATH only)",
			func(s *settings, v string) error {
				name, _, ok := strings.Cut(v, "=")
				if !ok || name == "" || strings.ContainsAny(v, "\x00") {
					return fmt.Errorf("%q is not NAME=VALUE", v)
				}
				if name == "REMOTE_ADDR" || name == "REMOTE_PORT" {
					return fmt.Errorf("%s is the client's, set for each connection", name)
				}
				s.env = append(s.env, v)
				return nil
			}},
		{"rlimit", "NAME=SOFT[:HARD]", "a resource limit for every service's program (repeatable), as nofile=1024",
			func(s *settings, v string) error {
				r, err := superserver.ParseRlimit(v)
				s.rlimits = append(s.rlimits, r)
				return err
			}},
		{"redirect-timeout", "DURATION", "how long a redirect service waits for its target (default 10s)",
			func(s *settings, v string) (err error) { s.redirectTimeout, err = durationArg(v); return err }},
		{"shutdown-timeout", "DURATION", "how long a stop waits for running sessions (default 10s)",
			func(s *settings, v string) (err error) { s.shutdownTimeout, err = durationArg(v); return err }},
		{"pidfile", "FILE", "write the process id there", func(s *settings, v string) error { s.pidfile = v; return nil }},
		{"no-watch", "", "reload on SIGHUP only, not when the configuration file changes",
			func(s *settings, _ string) error { s.noWatch = true; return nil }},
		{"check", "", "check the configuration, print its problems and exit (status 1 when there are any)",
			func(s *settings, _ string) error { s.check = true; return nil }},
		{"strict", "", "refuse to start with a configuration that has problems (reloads always refuse one)",
			func(s *settings, _ string) error { s.strict = true; return nil }},
		{"log-session-end", "", "also log the end of every session to syslog (it always goes to the structured trail)",
			func(s *settings, _ string) error { s.sessionLog = true; return nil }},
		{"help", "", "print this help", nil},
	}
}

// errHelp asks for the help text.
var errHelp = errors.New("help")

// parseArgs reads the command line as getopt(3) reads openbsd-inetd's
// ("dilq:R:", options before the configuration file, "--" ending them),
// plus the long options.
func parseArgs(args []string, getenv func(string) string) (*settings, error) {
	s := &settings{
		config:          "/etc/inetd.conf",
		allow:           getenv("TCPWRAP_HOSTS_ALLOW"),
		deny:            getenv("TCPWRAP_HOSTS_DENY"),
		loggingConf:     getenv("TCPWRAP_LOGGING_CONF"),
		syslogSocket:    getenv("TCPWRAP_SYSLOG_SOCKET"),
		services:        "/etc/services",
		daemonDir:       getenv("TCPWRAP_REAL_DAEMON_DIR"),
		redirectTimeout: 10 * time.Second,
		shutdownTimeout: 10 * time.Second,
	}
	longs := longOptions(s)
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			var opt *longOption
			for j := range longs {
				if longs[j].name == name {
					opt = &longs[j]
				}
			}
			if opt == nil {
				return nil, fmt.Errorf("unknown option %q", "--"+name)
			}
			if opt.set == nil {
				return nil, errHelp
			}
			if opt.value == "" {
				if hasVal {
					return nil, fmt.Errorf("option --%s takes no value", name)
				}
			} else if !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s needs a value (%s)", name, opt.value)
				}
				i++
				val = args[i]
			}
			if err := opt.set(s, val); err != nil {
				return nil, fmt.Errorf("--%s: %v", name, err)
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 'd':
				s.debug = true
			case 'i':
				s.foreground = true
			case 'l':
				s.checkAll = true
			case 'q', 'R':
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option -%c needs a value", c)
					}
					i++
					val = args[i]
				}
				if c == 'q' {
					if err := intArg(&s.backlog, 1)(s, val); err != nil {
						return nil, fmt.Errorf("-q: %v", err)
					}
				} else {
					n := 0
					if err := intArg(&n, 0)(s, val); err != nil {
						return nil, fmt.Errorf("-R: %v", err)
					}
					s.sourceRate = limits.Rate{}
					if n > 0 {
						s.sourceRate = limits.PerMinute(n, 0)
					}
				}
				j = len(a)
			default:
				return nil, fmt.Errorf("unknown option -%c", c)
			}
		}
	}
	rest := args[i:]
	switch len(rest) {
	case 0:
	case 1:
		if rest[0] == "" {
			return nil, errors.New("the configuration file name is empty")
		}
		s.config = rest[0]
	default:
		return nil, fmt.Errorf("more than one configuration file: %q", rest)
	}
	return s, nil
}

// help is the text of --help.
func help() string {
	var b strings.Builder
	b.WriteString(usage + "\n\n" +
		"  -d          debug: stay in the foreground and trace to standard error\n" +
		"  -i          stay in the foreground\n" +
		"  -l          check every service against the tables, not only tcpd entries and redirects\n" +
		"  -q backlog  the listen(2) backlog (default 128)\n" +
		"  -R rate     each source may open rate connections a minute (default: no limit)\n" +
		"  config      the inetd.conf (default /etc/inetd.conf)\n\n")
	for _, o := range longOptions(&settings{}) {
		name := "--" + o.name
		if o.value != "" {
			name += "=" + o.value
		}
		fmt.Fprintf(&b, "  %-26s %s\n", name, o.help)
	}
	return b.String()
}
