package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch/alert"
	"tcpwrap/watch/logscan"
)

// minimal is the smallest valid configuration; cases add to it.
const minimal = "[tcpdwatch]\ndaemons = in.fingerd\n[input log]\nfile = /var/log/auth.log\n"

// TestParseConfigErrors: every mistake is reported with the file and
// line, all of them at once, in line order.
func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string // messages, in order, without "t.conf:"
	}{
		// Sections nobody owns are errors, not silently ignored.
		{"unknown section", minimal + "[frobnicate]\n", []string{"5: unknown section [frobnicate] (want tcpdwatch, input, report, alert, rule, action, ban)"}},
		// A key this command does not know, in each of its sections.
		{"unknown global key", "[tcpdwatch]\ndaemons = x\ncolour = red\n[input a]\nfile = /a\n", []string{`3: unknown key "colour" in [tcpdwatch]`}},
		{"unknown input key", minimal + "colour = red\n", []string{`5: unknown key "colour" in [input]`}},
		{"unknown report key", minimal + "[report]\nwidth = 3\n", []string{`6: unknown key "width" in [report]`}},
		// Keys owned by the packages are checked by them, with lines.
		{"unknown alert key", minimal + "[alert]\nloud = yes\n", []string{`6: unknown key "loud" in [alert]`}},
		{"unknown ban key", minimal + "[ban]\nfile = /b\nforever = yes\n", []string{`7: unknown key "forever" in [ban]`}},
		// Structure: reported once although three parsers read it.
		{"key outside a section", "daemons = x\n" + minimal, []string{"1: daemons outside any section"}},
		{"header without ]", minimal + "[report\n", []string{"5: section header without ]"}},
		{"no key = value", minimal + "just words\n", []string{"5: want key = value"}},
		{"control character", minimal + "file2 = a\x01b\n", []string{`5: control character '\x01'`}},
		// Inputs.
		{"relative file", "[tcpdwatch]\ndaemons = x\n[input a]\nfile = log\n", []string{"4: file: want one absolute path"}},
		{"no source", "[tcpdwatch]\ndaemons = x\n[input a]\nformat = syslog\n", []string{"3: input a: no file, udp or tcp"}},
		{"file and receiver", "[tcpdwatch]\ndaemons = x\n[input a]\nfile = /a\nudp = 127.0.0.1:514\n", []string{"3: input a: both a file and a receiver address; make them two inputs"}},
		{"bad address", "[tcpdwatch]\ndaemons = x\n[input a]\nudp = localhost:514\n", []string{`4: udp: want ADDRESS:PORT (127.0.0.1:5514, [::1]:5514), not "localhost:514"`, "3: input a: no file, udp or tcp"}},
		{"receiver key on a file", minimal + "allow = 127.0.0.1\n", []string{"5: allow applies to receiver inputs (udp, tcp) only"}},
		{"file key on a receiver", "[tcpdwatch]\ndaemons = x\n[input a]\ntcp = 127.0.0.1:514\nstart = beginning\n", []string{"5: start applies to file inputs only"}},
		{"same file twice", minimal + "[input b]\nfile = /var/log/auth.log\n", []string{"5: input b: /var/log/auth.log is read by the input on line 3 too"}},
		{"same name twice", minimal + "[input log]\nfile = /other\n", []string{`5: input "log" defined twice (first on line 3)`}},
		{"input without a name", "[tcpdwatch]\ndaemons = x\n[input]\nfile = /a\n", []string{"3: [input] needs a name of letters, digits, '.', '_' and '-'"}},
		{"key twice", minimal + "format = syslog\nformat = json\n", []string{"6: format given twice (first on line 5)"}},
		{"bad format", minimal + "format = xml\n", []string{`5: format: want auto, syslog or json, not "xml"`}},
		{"bad program name", "[tcpdwatch]\ndaemons = in.fingerd;rm\n[input a]\nfile = /a\n", []string{`2: daemons: "in.fingerd;rm" is not a program name`}},
		// No daemons: refused rather than guessing "any program".
		{"no daemons", "[input a]\nfile = /a\n", []string{"1: input a: no daemons listed: name the programs tcpd logs for (daemons = in.fingerd sshd) here or in [tcpdwatch]; daemons = * counts any program, which anyone who can log can forge"}},
		{"no inputs", "[tcpdwatch]\ndaemons = x\n", []string{"1: no [input NAME] section: nothing to read"}},
		// Globals.
		{"relative state dir", minimal + "[tcpdwatch]\n", []string{"5: second [tcpdwatch] section (first on line 1)"}},
		{"bad timezone", "[tcpdwatch]\ndaemons = x\ntimezone = Mars/Olympus\n[input a]\nfile = /a\n", []string{"3: timezone: unknown time zone Mars/Olympus"}},
		{"bad checkpoint", "[tcpdwatch]\ndaemons = x\ncheckpoint = 0s\n[input a]\nfile = /a\n", []string{"3: checkpoint: must be positive"}},
		// Cross-checks between the owners' sections.
		{"unknown action", minimal + "[rule r]\nkind = trap\nservices = x\nactions = mail\n", []string{"5: rule r: no [action mail]"}},
		{"ban without [ban]", minimal + "[rule r]\nkind = trap\nservices = x\nactions = ban\n", []string{`5: rule r: action "ban" needs a [ban] section`}},
		{"rule without actions", minimal + "[rule r]\nkind = trap\nservices = x\n", []string{"5: rule r: no actions"}},
		{"action named ban", minimal + "[ban]\nfile = /b\n[action ban]\nkind = program\nargv = /bin/true\n", []string{`7: [action ban]: the name "ban" is the [ban] section's action`}},
		{"report window", minimal + "[report]\nlast = 400d\n", []string{"6: last: want a duration from 1s to 366d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.src), "t.conf")
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			got := strings.Split(err.Error(), "\n")
			var want []string
			for _, w := range tc.want {
				want = append(want, "t.conf:"+w)
			}
			// Sorted by line: compare as sets in that order.
			if !sameLines(got, want) {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func sameLines(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		if m[s]--; m[s] < 0 {
			return false
		}
	}
	for i := 1; i < len(a); i++ {
		if lineOf(a[i]) < lineOf(a[i-1]) {
			return false
		}
	}
	return true
}

// TestParseConfigValues: what the keys set, and the defaults.
func TestParseConfigValues(t *testing.T) {
	src := `[tcpdwatch]
state-dir = /srv/state/
daemons = in.fingerd in.ftpd
xinetd = none
timezone = UTC
checkpoint = 2s
max-history = 500

[input auth]
file = /var/log/auth.log
start = beginning

[input records]
file = /var/log/tcpwrap/decisions.jsonl
format = json

[input net]
udp = [::1]:5514
tcp = 127.0.0.1:5514
daemons = *
idle-timeout = 1m

[input net2]
tcp = 127.0.0.1:5515
allow = 192.0.2.0/24
allow = 2001:db8::1

[report]
ipv6-prefix = 48
top = 5
last = 7d

[rule r]
kind = threshold
count = 3
within = 1m
actions = ban

[ban]
file = /srv/state/banned
`
	cfg, err := ParseConfig([]byte(src), "v.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StateDir != "/srv/state" || cfg.Location != time.UTC || cfg.Checkpoint != 2*time.Second || cfg.MaxHistory != 500 {
		t.Errorf("globals: %q %v %v %d", cfg.StateDir, cfg.Location, cfg.Checkpoint, cfg.MaxHistory)
	}
	if len(cfg.Inputs) != 4 {
		t.Fatalf("%d inputs", len(cfg.Inputs))
	}
	auth, rec, net, net2 := cfg.Inputs[0], cfg.Inputs[1], cfg.Inputs[2], cfg.Inputs[3]
	// [tcpdwatch]'s lists are inherited; "none" is an empty list (no
	// program), not nil (the package's default).
	if !reflect.DeepEqual(auth.Parse.Daemons, []string{"in.fingerd", "in.ftpd"}) || auth.Parse.Xinetd == nil || len(auth.Parse.Xinetd) != 0 || auth.Parse.Inetd != nil {
		t.Errorf("auth's programs: %+v", auth.Parse)
	}
	if auth.StartAtEnd || auth.Format != logscan.Auto || auth.Parse.Location != time.UTC {
		t.Errorf("auth: %+v", auth)
	}
	if rec.Format != logscan.JSONLines || !rec.StartAtEnd {
		t.Errorf("records: %+v", rec)
	}
	// "daemons = *" is nil: any program.
	if net.Parse.Daemons != nil || net.UDP != "[::1]:5514" || net.TCP != "127.0.0.1:5514" || net.IdleTimeout != time.Minute {
		t.Errorf("net: %+v", net)
	}
	// A receiver accepts only this machine unless told otherwise.
	if !reflect.DeepEqual(net.Allow, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}) {
		t.Errorf("net's default allow: %v", net.Allow)
	}
	if !reflect.DeepEqual(net2.Allow, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8::1/128")}) {
		t.Errorf("net2's allow: %v", net2.Allow)
	}
	if cfg.Report != (ReportConfig{IPv6Prefix: 48, Top: 5, Last: 7 * 24 * time.Hour}) {
		t.Errorf("report: %+v", cfg.Report)
	}
	if !cfg.HasBan || cfg.Ban.File != "/srv/state/banned" {
		t.Errorf("ban: %+v", cfg.Ban)
	}
	if len(cfg.Alert.Rules) != 1 || cfg.Alert.Rules[0].Kind != alert.Threshold {
		t.Errorf("rules: %+v", cfg.Alert.Rules)
	}
	// The seen set of new-source rules is kept in the state directory.
	if cfg.Alert.SeenFile != "/srv/state/tcpdwatch-seen.json" {
		t.Errorf("seen file %q", cfg.Alert.SeenFile)
	}
	if w := cfg.Warnings(); len(w) != 2 || w[0] != "v.conf:13: input records reads JSON decision records and input auth (line 9) syslog lines: if our tcpd wrote both, each decision counts twice" ||
		!strings.Contains(w[1], "v.conf:17: input net: daemons = *") {
		t.Errorf("warnings: %q", w)
	}
	// Report's files from the command line take [tcpdwatch]'s lists.
	if !reflect.DeepEqual(cfg.Programs.Daemons, []string{"in.fingerd", "in.ftpd"}) {
		t.Errorf("programs: %+v", cfg.Programs)
	}
}

// TestProgramsUnion: without a daemons list in [tcpdwatch], files named
// on the command line take every input's daemons.
func TestProgramsUnion(t *testing.T) {
	cfg, err := ParseConfig([]byte("[input a]\nfile = /a\ndaemons = x y\n[input b]\nfile = /b\ndaemons = y z\n[input c]\nfile = /c\nformat = json\n"), "u.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Programs.Daemons, []string{"x", "y", "z"}) {
		t.Errorf("programs %v", cfg.Programs.Daemons)
	}
}

// TestExampleConfig: the example in examples/ is valid, and check says
// so.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "tcpdwatch.conf")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(src, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Inputs) == 0 || len(cfg.Alert.Rules) == 0 || !cfg.HasBan {
		t.Errorf("the example configures too little: %d inputs, %d rules, ban %v", len(cfg.Inputs), len(cfg.Alert.Rules), cfg.HasBan)
	}
	if w := cfg.Warnings(); len(w) > 0 {
		t.Errorf("the example draws warnings: %q", w)
	}
	r := runCmd(t, nil, "check", "-c", path)
	if r.code != exitOK || !strings.Contains(r.stdout, ": ok: 1 file input(s)") {
		t.Errorf("check: %+v", r)
	}
}
