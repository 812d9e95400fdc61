package alert_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch/alert"
)

func TestParseConfigFile(t *testing.T) {
	src, err := os.ReadFile("testdata/alert.conf")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := alert.ParseConfig(src, "alert.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Quiet != 10*time.Minute || cfg.MaxDuration != 24*time.Hour || cfg.MaxAge != time.Hour ||
		cfg.SummaryAlways || cfg.SeenFile != "/var/lib/tcpdwatch/seen.json" || cfg.MaxSeen != 50000 || cfg.Pos.Line != 3 {
		t.Errorf("alert section: %+v", cfg)
	}
	wantRules := []alert.Rule{
		{Name: "ssh-guessing", Kind: alert.Threshold, Count: 5, Window: time.Minute, Services: []string{"sshd", "in.ftpd"},
			Prefix6: 56, Actions: []string{"admin", "hook"}, Pos: alert.Pos{File: "alert.conf", Line: 12}},
		{Name: "telnet-trap", Kind: alert.Trap, Services: []string{"in.telnetd", "in.rlogind"},
			Actions: []string{"admin", "page"}, Pos: alert.Pos{File: "alert.conf", Line: 22}},
		{Name: "new-ssh-source", Kind: alert.NewSource, Services: []string{"sshd"}, Learn: 7 * 24 * time.Hour,
			Quiet: time.Hour, Actions: []string{"admin"}, Pos: alert.Pos{File: "alert.conf", Line: 28}},
	}
	if !reflect.DeepEqual(cfg.Rules, wantRules) {
		t.Errorf("rules:\n%+v\nwant\n%+v", cfg.Rules, wantRules)
	}
	wantActions := []alert.ActionConfig{
		{Name: "admin", Kind: alert.ActionMail, Pos: alert.Pos{File: "alert.conf", Line: 35}, Mail: alert.MailConfig{
			Server: "127.0.0.1:25", Helo: "watch.example.org", From: "tcpdwatch@example.org",
			To: []string{"root@example.org", "security@example.org"}, TLS: alert.TLSRequired, Auth: "login",
			Username: "tcpdwatch", PasswordFile: "/etc/tcpdwatch/smtp-password", SubjectPrefix: "[gw tcpdwatch]"}},
		{Name: "hook", Kind: alert.ActionWebhook, Queue: 500, Pos: alert.Pos{File: "alert.conf", Line: 48}, Webhook: alert.WebhookConfig{
			URL: "https://chat.example.org/hooks/T0KEN", Headers: map[string]string{"Authorization": "Bearer abc:def"},
			Timeout: 5 * time.Second, Retries: 5, Backoff: 2 * time.Second}},
		{Name: "page", Kind: alert.ActionProgram, Pos: alert.Pos{File: "alert.conf", Line: 57}, Program: alert.ProgramConfig{
			Argv: []string{"/usr/local/bin/page", "--text=tcpdwatch {rule}", "--source", "{source}"},
			Env:  []string{"PAGER_CONF=/etc/pager.conf"}, Timeout: 20 * time.Second, Concurrency: 1}},
	}
	if !reflect.DeepEqual(cfg.Actions, wantActions) {
		t.Errorf("actions:\n%+v\nwant\n%+v", cfg.Actions, wantActions)
	}
}

func TestParseConfigErrors(t *testing.T) {
	rule := "[rule r]\nkind = trap\nservices = x\nactions = a\n"
	tests := []struct {
		name, src, want string
	}{
		{"key outside a section", "quiet = 1m\n", "c.conf:1: quiet outside any section"},
		{"no equals", "[alert]\nquiet 1m\n", "c.conf:2: want key = value"},
		{"unknown key", "[alert]\nquite = 1m\n", `c.conf:2: unknown key "quite" in [alert]`},
		{"bad duration", "[alert]\nquiet = soon\n", `c.conf:2: quiet: bad duration "soon"`},
		{"negative duration", "[alert]\nquiet = -1m\n", `c.conf:2: quiet: bad duration "-1m"`},
		{"key twice", "[alert]\nquiet = 1m\n\nquiet = 2m\n", "c.conf:4: quiet given twice (first on line 2)"},
		{"second alert section", "[alert]\n[alert]\n", "c.conf:2: second [alert] section"},
		{"header without ]", "[rule x\n", "c.conf:1: section header without ]"},
		{"header with three words", "[rule x y]\n", "c.conf:1: want [kind] or [kind name]"},
		{"rule without name", "[rule]\nkind = trap\n", "c.conf:1: [rule] needs a name"},
		{"rule kind", "[rule r]\nkind = often\n", `c.conf:2: kind: want threshold, trap or new-source, not "often"`},
		{"count range", "[rule r]\nkind = threshold\ncount = 0\n", `c.conf:3: count: want a number from 1 to 10000, not "0"`},
		{"count on a trap", rule + "count = 3\n", "c.conf:5: count applies to threshold rules only"},
		{"learn on a threshold", "[rule r]\nkind = threshold\nlearn = 1d\n", "c.conf:3: learn applies to new-source rules only"},
		{"threshold without window", "[rule r]\nkind = threshold\ncount = 3\nactions = a\n", "c.conf:1: rule r: a threshold rule needs a window"},
		{"trap without services", "[rule r]\nkind = trap\nactions = a\n", "c.conf:1: rule r: a trap rule must name its services"},
		{"rule without actions", "[rule r]\nkind = trap\nservices = x\n", "c.conf:1: rule r: no actions"},
		{"rule twice", rule + rule, `c.conf:5: rule "r" defined twice`},
		{"bad rule name", "[rule r/x]\nkind = trap\nservices = x\nactions = a\n", `c.conf:1: rule name "r/x": use 1 to 64 letters, digits, '-', '_' or '.'`},
		{"action without kind", "[action a]\nserver = x:25\n", "c.conf:1: action a: no kind (mail, webhook or program)"},
		{"key of another kind", "[action a]\nkind = webhook\nserver = x:25\n", `c.conf:3: unknown key "server" for a webhook action`},
		{"mail without port", "[action a]\nkind = mail\nserver = mail\nfrom = a@b\nto = c@d\n", `c.conf:1: action a: server "mail": want host:port`},
		{"mail display name", "[action a]\nkind = mail\nserver = m:25\nfrom = \"Watch <a@b>\"\nto = c@d\n", `c.conf:1: action a: from: "Watch <a@b>": give the bare address (user@domain)`},
		{"auth without TLS", "[action a]\nkind = mail\nserver = m:25\nfrom = a@b\nto = c@d\ntls = none\nauth = plain\nusername = u\n",
			"c.conf:1: action a: auth needs TLS: credentials are never sent in clear text"},
		{"auth mechanism", "[action a]\nkind = mail\nserver = m:25\nfrom = a@b\nto = c@d\nauth = cram-md5\nusername = u\n", `c.conf:1: action a: auth "cram-md5": want plain or login`},
		{"tls mode", "[action a]\nkind = mail\ntls = maybe\n", "c.conf:3: tls: want opportunistic, required, implicit or none"},
		{"webhook scheme", "[action a]\nkind = webhook\nurl = ftp://x/\n", `c.conf:1: action a: url "ftp://x/": want http:// or https://`},
		{"webhook header", "[action a]\nkind = webhook\nurl = http://x/\nheader = nocolon\n", "c.conf:4: header: want Name: value"},
		{"relative program", "[action a]\nkind = program\nargv = page {source}\n", "c.conf:1: action a: program needs an absolute path"},
		{"unknown placeholder", "[action a]\nkind = program\nargv = /bin/page {password}\n", `c.conf:1: action a: argv "{password}": unknown placeholder {password}`},
		{"unclosed quote", "[action a]\nkind = program\nargv = /bin/page \"x\n", "c.conf:3: argv: unclosed quote"},
		{"env override", "[action a]\nkind = program\nargv = /bin/page\nenv = TCPDWATCH_RULE=x\n", `c.conf:1: action a: env "TCPDWATCH_RULE=x": want NAME=value (not TCPDWATCH_*)`},
		{"control character", "[alert]\nquiet = 1m\x1b\n", `c.conf:2: control character '\x1b'`},
		{"errors are all reported", "[alert]\nquiet = x\nmax-age = y\n", "c.conf:2: quiet: bad duration \"x\"\nc.conf:3: max-age: bad duration \"y\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alert.ParseConfig([]byte(tt.src), "c.conf")
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90s": 90 * time.Second, "1h30m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0s": 0,
	} {
		if got, err := alert.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1x", "1h2d", "99999999d", "1d-5h"} {
		if _, err := alert.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string]string{
		`a b  c`:          "a|b|c",
		`"a b" c`:         "a b|c",
		`"say \"hi\""`:    `say "hi"`,
		"\ta\t":           "a",
		`""`:              "",
		`x "y\tz" "\x41"`: "x|y\tz|A",
	} {
		got, err := alert.SplitWords(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("SplitWords(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{`"open`, `a"b`, `"a"b`, `"\q"`} {
		if _, err := alert.SplitWords(in); err == nil {
			t.Errorf("SplitWords(%q) accepted", in)
		}
	}
}
