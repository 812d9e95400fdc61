package logconf_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"tcpwrap/audit/filelog"
	"tcpwrap/audit/logconf"
)

func sel(t *testing.T, s string) filelog.Selector {
	t.Helper()
	v, err := filelog.ParseSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func parse(t *testing.T, text string) (*logconf.Config, error) {
	t.Helper()
	return logconf.Parse(strings.NewReader(text), "logging.conf")
}

// TestExample: the example file parses to what its comments say.
func TestExample(t *testing.T) {
	f, err := os.Open("testdata/logging.conf.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := logconf.Parse(f, f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := &logconf.Config{
		SyslogMode: logconf.SyslogAuto,
		JSONPath:   "/var/log/tcpwrap/decisions.jsonl",
		Structured: false,
		Remotes: []logconf.Remote{
			{Network: "tcp", Addr: "192.0.2.10:514"},
			{Network: "tls", Addr: "loghost.example.org:6514", CA: "/etc/tcpwrap/ca.pem", Cert: "/etc/tcpwrap/client.pem", Key: "/etc/tcpwrap/client.key"},
			{Network: "udp", Addr: "[2001:db8::1]:514"},
		},
		SpoolDir:  "/var/spool/tcpwrap",
		SpoolMax:  64 << 20,
		QueueSize: 10000,
		Routes: filelog.Table{
			{Selector: sel(t, "daemon.info"), Path: "/var/log/tcpwrap/infolog", Format: filelog.Text},
			{Selector: sel(t, "auth,authpriv.notice"), Path: "/var/log/tcpwrap/authlog", Format: filelog.Text},
			{Selector: sel(t, "*.=debug"), Path: "/var/log/tcpwrap/debug.jsonl", Format: filelog.JSON},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("example parses to\n%s\nwant\n%s", got, want)
	}
	checkRoundTrip(t, got)
}

// checkRoundTrip: String gives a file that parses to the same Config.
func checkRoundTrip(t *testing.T, cfg *logconf.Config) {
	t.Helper()
	text := cfg.String()
	again, err := logconf.Parse(strings.NewReader(text), "String")
	if err != nil {
		t.Fatalf("String() does not parse: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(again, cfg) {
		t.Fatalf("String() parses to another Config:\n%s\nthen\n%s", text, again)
	}
}

func TestDefault(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only a comment\n", "   \t  # indented comment", "\r\n"} {
		got, err := parse(t, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !reflect.DeepEqual(got, logconf.Default()) {
			t.Errorf("%q gives %+v, want the defaults", text, got)
		}
	}
	d := logconf.Default()
	if d.SyslogMode != logconf.SyslogAuto || d.JSONPath != "/var/log/tcpwrap/decisions.jsonl" || d.Structured ||
		d.Remotes != nil || d.SpoolDir != "" || d.QueueSize != 10000 || d.Routes != nil {
		t.Errorf("Default() = %+v", d)
	}
	checkRoundTrip(t, d)
}

func TestValid(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       func(c *logconf.Config) // changes from the defaults
	}{
		{"syslog on", "syslog on", func(c *logconf.Config) { c.SyslogMode = logconf.SyslogOn }},
		{"syslog off", "syslog off", func(c *logconf.Config) { c.SyslogMode = logconf.SyslogOff }},
		{"json off", "json off", func(c *logconf.Config) { c.JSONPath = "" }},
		{"json path", "json /srv/log/d.jsonl", func(c *logconf.Config) { c.JSONPath = "/srv/log/d.jsonl" }},
		{"structured", "syslog-structured on", func(c *logconf.Config) { c.Structured = true }},
		{"trailing comment and tabs", "\tsyslog\toff\t# no daemon here\r", func(c *logconf.Config) { c.SyslogMode = logconf.SyslogOff }},
		{"a # inside a word is not a comment", "json /var/log/a#b", func(c *logconf.Config) { c.JSONPath = "/var/log/a#b" }},
		{"queue", "queue 1", func(c *logconf.Config) { c.QueueSize = 1 }},
		{"queue max", "queue 1000000", func(c *logconf.Config) { c.QueueSize = 1000000 }},
		{"spool default max", "spool /var/spool/tcpwrap", func(c *logconf.Config) { c.SpoolDir = "/var/spool/tcpwrap" }},
		{"spool bytes", "spool /s max=1000", func(c *logconf.Config) { c.SpoolDir, c.SpoolMax = "/s", 1000 }},
		{"spool k", "spool /s max=4k", func(c *logconf.Config) { c.SpoolDir, c.SpoolMax = "/s", 4096 }},
		{"spool G", "spool /s max=2G", func(c *logconf.Config) { c.SpoolDir, c.SpoolMax = "/s", 2<<30 }},
		// Addresses are kept in canonical form.
		{"remote udp IPv4", "remote udp 192.0.2.1:514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "udp", Addr: "192.0.2.1:514"}}
		}},
		{"remote IPv6 canonical", "remote tcp [2001:DB8:0::1]:0514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "tcp", Addr: "[2001:db8::1]:514"}}
		}},
		{"remote IPv6 zone", "remote udp [fe80::1%eth0]:514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "udp", Addr: "[fe80::1%eth0]:514"}}
		}},
		{"remote host name", "remote tcp log-1.example.org.:1514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "tcp", Addr: "log-1.example.org.:1514"}}
		}},
		{"remote tls bare", "remote tls loghost:6514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "tls", Addr: "loghost:6514"}}
		}},
		{"remote tls options in any order", "remote tls loghost:6514 key=/k cert=/c ca=/a", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "tls", Addr: "loghost:6514", CA: "/a", Cert: "/c", Key: "/k"}}
		}},
		{"same address, two networks", "remote tcp h:514\nremote udp h:514", func(c *logconf.Config) {
			c.Remotes = []logconf.Remote{{Network: "tcp", Addr: "h:514"}, {Network: "udp", Addr: "h:514"}}
		}},
		{"routes in order", "route *.info;mail.none /a\nroute mail.* /b format=json\nroute mail.* /a format=text", func(c *logconf.Config) {
			c.Routes = filelog.Table{
				{Selector: selMust("*.info;mail.none"), Path: "/a"},
				{Selector: selMust("mail.*"), Path: "/b", Format: filelog.JSON},
				{Selector: selMust("mail.*"), Path: "/a", Format: filelog.Text},
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(t, tt.text)
			if err != nil {
				t.Fatal(err)
			}
			want := logconf.Default()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			checkRoundTrip(t, got)
		})
	}
}

func selMust(s string) filelog.Selector {
	v, err := filelog.ParseSelector(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestInvalid(t *testing.T) {
	for _, tt := range []struct{ text, err string }{
		// Keywords.
		{"sylog on", `logging.conf:1: unknown keyword "sylog"`},
		{"Syslog on", `logging.conf:1: unknown keyword "Syslog"`},
		{"syslog: on", `logging.conf:1: unknown keyword "syslog:"`},
		{"syslog=on", `logging.conf:1: unknown keyword "syslog=on"`},
		// Single-valued keywords given twice.
		{"syslog on\n\nsyslog off", `logging.conf:3: "syslog" given twice (first on line 1)`},
		{"json off\njson off", `logging.conf:2: "json" given twice (first on line 1)`},
		{"queue 1\nqueue 2", `logging.conf:2: "queue" given twice (first on line 1)`},
		{"spool /a\nspool /b", `logging.conf:2: "spool" given twice (first on line 1)`},
		{"syslog-structured on\nsyslog-structured on", `logging.conf:2: "syslog-structured" given twice (first on line 1)`},
		// syslog and syslog-structured.
		{"syslog", `logging.conf:1: syslog: missing value (auto, on or off)`},
		{"syslog yes", `logging.conf:1: syslog: unknown value "yes" (want auto, on or off)`},
		{"syslog ON", `logging.conf:1: syslog: unknown value "ON" (want auto, on or off)`},
		{"syslog on off", `logging.conf:1: syslog: unexpected "off"`},
		{"syslog-structured", `logging.conf:1: syslog-structured: missing value (on or off)`},
		{"syslog-structured auto", `logging.conf:1: syslog-structured: unknown value "auto" (want on or off)`},
		// json.
		{"json", `logging.conf:1: json: missing path (or off)`},
		{"json decisions.jsonl", `logging.conf:1: json: path "decisions.jsonl" is not absolute`},
		{"json /var/log/my decisions", `logging.conf:1: json: unexpected "decisions"`},
		{"json /var/log/\x01x", `logging.conf:1: json: path "/var/log/\x01x" contains a control character`},
		// remote: networks and addresses.
		{"remote", `logging.conf:1: remote: missing network (udp, tcp or tls)`},
		{"remote sctp h:514", `logging.conf:1: remote: unknown network "sctp" (want udp, tcp or tls)`},
		{"remote TCP h:514", `logging.conf:1: remote: unknown network "TCP" (want udp, tcp or tls)`},
		{"remote tcp", `logging.conf:1: remote: missing address (host:port) after "tcp"`},
		{"remote tcp loghost", `logging.conf:1: remote: address "loghost": missing port, as in loghost.example.org:514`},
		{"remote udp 2001:db8::1:514", `logging.conf:1: remote: address "2001:db8::1:514": put an IPv6 address in brackets, as in [2001:db8::1]:514`},
		{"remote udp 2001:db8::1", `logging.conf:1: remote: address "2001:db8::1": put an IPv6 address in brackets, as in [2001:db8::1]:514`},
		{"remote udp [2001:db8::1]", `logging.conf:1: remote: address "[2001:db8::1]": missing port, as in loghost.example.org:514`},
		{"remote udp [2001:db8::1:514", `logging.conf:1: remote: address "[2001:db8::1:514": missing ']' in address`},
		{"remote udp [192.0.2.1]:514", `logging.conf:1: remote: address "[192.0.2.1]:514": brackets around "192.0.2.1", which is not an IPv6 address`},
		{"remote udp [loghost]:514", `logging.conf:1: remote: address "[loghost]:514": brackets around "loghost", which is not an IPv6 address`},
		{"remote tcp :514", `logging.conf:1: remote: address ":514": missing host`},
		{"remote tcp loghost:", `logging.conf:1: remote: address "loghost:": port "" is not a number from 1 to 65535`},
		{"remote tcp loghost:syslog", `logging.conf:1: remote: address "loghost:syslog": port "syslog" is not a number from 1 to 65535`},
		{"remote tcp loghost:0", `logging.conf:1: remote: address "loghost:0": port "0" is not a number from 1 to 65535`},
		{"remote tcp loghost:65536", `logging.conf:1: remote: address "loghost:65536": port "65536" is not a number from 1 to 65535`},
		{"remote tcp loghost:-1", `logging.conf:1: remote: address "loghost:-1": port "-1" is not a number from 1 to 65535`},
		{"remote tcp log_host!:514", `logging.conf:1: remote: address "log_host!:514": host "log_host!" is not an IP address or a host name`},
		{"remote tcp -loghost:514", `logging.conf:1: remote: address "-loghost:514": host "-loghost" is not an IP address or a host name`},
		{"remote tcp a..b:514", `logging.conf:1: remote: address "a..b:514": host "a..b" is not an IP address or a host name`},
		// Short and octal IPv4 forms are not host names (netip's rule).
		{"remote tcp 10.1:514", `logging.conf:1: remote: address "10.1:514": host "10.1" is not an IP address or a host name`},
		{"remote tcp 010.0.0.1:514", `logging.conf:1: remote: address "010.0.0.1:514": host "010.0.0.1" is not an IP address or a host name`},
		{"remote tcp 192.0.2.256:514", `logging.conf:1: remote: address "192.0.2.256:514": host "192.0.2.256" is not an IP address or a host name`},
		// remote: options.
		{"remote tcp h:514 ca=/a", `logging.conf:1: remote: option "ca" is only for tls`},
		{"remote udp h:514 extra", `logging.conf:1: remote: unexpected "extra"`},
		{"remote tls h:6514 ca", `logging.conf:1: remote: unexpected "ca" (options are ca=, cert= and key=)`},
		{"remote tls h:6514 crt=/c", `logging.conf:1: remote: unknown option "crt=/c" (want ca=, cert= and key=)`},
		{"remote tls h:6514 ca=/a ca=/b", `logging.conf:1: remote: option "ca" given twice`},
		{"remote tls h:6514 ca=", `logging.conf:1: remote: option "ca" has no value`},
		{"remote tls h:6514 ca=ca.pem", `logging.conf:1: remote: ca: path "ca.pem" is not absolute`},
		{"remote tls h:6514 cert=/c", `logging.conf:1: remote: cert= needs key=`},
		{"remote tls h:6514 key=/k", `logging.conf:1: remote: key= needs cert=`},
		{"remote tcp h:514\n# the same again\nremote tcp h:0514", `logging.conf:3: remote: tcp h:514 given twice (first on line 1)`},
		{"remote udp [2001:db8::1]:514\nremote udp [2001:DB8::1]:514", `logging.conf:2: remote: udp [2001:db8::1]:514 given twice (first on line 1)`},
		// spool.
		{"spool", `logging.conf:1: spool: missing directory`},
		{"spool spool", `logging.conf:1: spool: path "spool" is not absolute`},
		{"spool /s 64M", `logging.conf:1: spool: unexpected "64M" (options are max=)`},
		{"spool /s size=64M", `logging.conf:1: spool: unknown option "size=64M" (want max=)`},
		{"spool /s max=64X", `logging.conf:1: spool: max: bad size "64X" (want a number with an optional K, M or G)`},
		{"spool /s max=64MB", `logging.conf:1: spool: max: bad size "64MB" (want a number with an optional K, M or G)`},
		{"spool /s max=M", `logging.conf:1: spool: max: bad size "M" (want a number with an optional K, M or G)`},
		{"spool /s max=-1", `logging.conf:1: spool: max: bad size "-1" (want a number with an optional K, M or G)`},
		{"spool /s max=1.5G", `logging.conf:1: spool: max: bad size "1.5G" (want a number with an optional K, M or G)`},
		{"spool /s max=0", `logging.conf:1: spool: max: size "0" is not more than 0`},
		{"spool /s max=9999999999G", `logging.conf:1: spool: max: size "9999999999G" is too large`},
		{"spool /s max=99999999999999999999", `logging.conf:1: spool: max: size "99999999999999999999" is too large`},
		{"spool /s max=1M max=2M", `logging.conf:1: spool: option "max" given twice`},
		// queue.
		{"queue", `logging.conf:1: queue: missing size`},
		{"queue 0", `logging.conf:1: queue: bad size "0" (want a whole number from 1 to 1000000)`},
		{"queue 1000001", `logging.conf:1: queue: bad size "1000001" (want a whole number from 1 to 1000000)`},
		{"queue 10k", `logging.conf:1: queue: bad size "10k" (want a whole number from 1 to 1000000)`},
		{"queue +5", `logging.conf:1: queue: bad size "+5" (want a whole number from 1 to 1000000)`},
		{"queue 5 6", `logging.conf:1: queue: unexpected "6"`},
		// route.
		{"route", `logging.conf:1: route: missing selector and path`},
		{"route daemon.info", `logging.conf:1: route: missing path after "daemon.info"`},
		{"route daemon.inf /x", `logging.conf:1: route: selector "daemon.inf": unknown level "inf"`},
		{"route mail.info,news.crit /x", `logging.conf:1: route: selector "mail.info,news.crit": "," after level "info": join selectors with ";"`},
		{"route mail, news.info /x", `logging.conf:1: route: selector "mail,": missing "." in "mail,"`},
		{"route daemon.info infolog", `logging.conf:1: route: path "infolog" is not absolute`},
		{"route daemon.info /x format=xml", `logging.conf:1: route: format: unknown format "xml" (want text or json)`},
		{"route daemon.info /x json", `logging.conf:1: route: unexpected "json" (options are format=)`},
		{"route daemon.info /x mode=0600", `logging.conf:1: route: unknown option "mode=0600" (want format=)`},
		// Several mistakes: all are reported, each with its line.
		{"syslog maybe\njson rel\n\nqueue x", "logging.conf:1: syslog: unknown value \"maybe\" (want auto, on or off)\n" +
			"logging.conf:2: json: path \"rel\" is not absolute\n" +
			"logging.conf:4: queue: bad size \"x\" (want a whole number from 1 to 1000000)"},
		// Hostile bytes are quoted.
		{"\x00\xff\x1b[31m on", `logging.conf:1: unknown keyword "\x00\xff\x1b[31m"`},
		{"syslog on\n" + strings.Repeat("x", 70000), `logging.conf:2: line too long (more than 65536 bytes)`},
	} {
		cfg, err := parse(t, tt.text)
		if err == nil {
			t.Errorf("%q: no error, got %+v", tt.text, cfg)
			continue
		}
		if err.Error() != tt.err {
			t.Errorf("%q:\n got %s\nwant %s", tt.text, err, tt.err)
		}
		if cfg != nil {
			t.Errorf("%q: a Config with the error", tt.text)
		}
		var e *logconf.Error
		if !errors.As(err, &e) || e.File != "logging.conf" || e.Line < 1 {
			t.Errorf("%q: errors.As gives %#v", tt.text, e)
		}
	}
}

// TestTooManyErrors: a file of garbage stops after 20 errors.
func TestTooManyErrors(t *testing.T) {
	_, err := parse(t, strings.Repeat("garbage\n", 100))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 21 || lines[20] != "logging.conf:20: too many errors, stopping" {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.conf")

	// The default file may be missing: the defaults.
	cfg, err := logconf.LoadDefault(missing)
	if err != nil || !reflect.DeepEqual(cfg, logconf.Default()) {
		t.Errorf("missing default file: %+v, %v", cfg, err)
	}
	// A file that is named must exist.
	if _, err := logconf.Load(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	// A file is read, the default one too; errors name it.
	good := filepath.Join(dir, "good.conf")
	os.WriteFile(good, []byte("syslog off\n"), 0o644)
	for _, load := range []func(string) (*logconf.Config, error){logconf.Load, logconf.LoadDefault} {
		cfg, err := load(good)
		if err != nil || cfg.SyslogMode != logconf.SyslogOff {
			t.Errorf("load(good) = %+v, %v", cfg, err)
		}
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("\nsyslog maybe\n"), 0o644)
	if _, err := logconf.LoadDefault(bad); err == nil || err.Error() != bad+`:2: syslog: unknown value "maybe" (want auto, on or off)` {
		t.Errorf("load(bad) = %v", err)
	}
	// A directory is an error, even in the default place.
	if _, err := logconf.LoadDefault(dir); err == nil || err.Error() != dir+":1: read: read "+dir+": is a directory" {
		t.Errorf("load(dir) = %v", err)
	}
}
