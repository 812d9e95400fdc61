package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBansCommand: "bans list" and "bans lift" work on the state the
// running daemon keeps, while it runs; the deny list follows at once.
func TestBansCommand(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "auth.log")
	banned := filepath.Join(dir, "banned")
	hook := newHookServer(t)
	conf := daemonConf(t, dir, log, hook.URL, 3, "")
	writeFile(t, log, "")
	d := startRun(t, conf)

	if r := runCmd(t, nil, "bans", "-c", conf); r.code != exitOK || r.stdout != "no bans in force\n" {
		t.Errorf("empty list: %+v", r)
	}
	v6 := func(a string) []string {
		var out []string
		for i := range 3 {
			out = append(out, tcpdLine(fmt.Sprintf("in.fingerd[%d]", i+1), "refused", a))
		}
		return out
	}
	appendLines(t, log, refusals("192.0.2.7", 3)...)
	appendLines(t, log, v6("2001:db8:1:2::7")...)
	waitFor(t, 30*time.Second, "two bans", func() bool {
		return fileHasLine(banned, "192.0.2.7") && fileHasLine(banned, "[2001:db8:1:2::]/64")
	})

	r := runCmd(t, nil, "bans", "list", "-c", conf)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "PATTERN") ||
		!strings.HasPrefix(lines[1], "192.0.2.7 ") || !strings.HasPrefix(lines[2], "[2001:db8:1:2::]/64 ") ||
		!strings.HasSuffix(lines[1], " 1        repeat") {
		t.Errorf("list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Lift by address, and by a prefix that holds a ban.
	if r := runCmd(t, nil, "-c", conf, "bans", "lift", "192.0.2.7"); r.code != exitOK || r.stdout != "lifted 192.0.2.7\n" {
		t.Errorf("lift address: %+v", r)
	}
	if fileHasLine(banned, "192.0.2.7") {
		t.Error("the deny list still has 192.0.2.7")
	}
	if r := runCmd(t, nil, "-c", conf, "bans", "lift", "2001:db8::/32"); r.code != exitOK || r.stdout != "lifted [2001:db8:1:2::]/64\n" {
		t.Errorf("lift prefix: %+v", r)
	}
	if data, _ := os.ReadFile(banned); len(data) != 0 {
		t.Errorf("deny list after lifting everything: %q", data)
	}
	// Nothing to lift: a failure, said so.
	if r := runCmd(t, nil, "-c", conf, "bans", "lift", "192.0.2.7"); r.code != exitFailure || !strings.Contains(r.stderr, "no ban in force covers or lies within 192.0.2.7/32") {
		t.Errorf("lift again: %+v", r)
	}
	for _, args := range [][]string{
		{"bans", "lift"},
		{"bans", "lift", "192.0.2.0/23x"},
		{"bans", "lift", "192.0.2.1/24"}, // bits beyond the prefix
		{"bans", "unban", "x"},
		{"bans", "list", "extra"},
	} {
		if r := runCmd(t, nil, append([]string{"-c", conf}, args...)...); r.code != exitUsage {
			t.Errorf("%q: exit %d, want 2: %s", args, r.code, r.stderr)
		}
	}

	// A lift forgets the offender's history: after a restart (a new
	// engine, no open incident), its next offence is a first one again.
	if code := d.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	d = startRun(t, conf)
	appendLines(t, log, refusals("192.0.2.7", 3)...)
	waitFor(t, 30*time.Second, "192.0.2.7 banned again", func() bool { return fileHasLine(banned, "192.0.2.7") })
	d.waitLog("banned pattern=192.0.2.7 until=")
	d.waitLog("offence=1 rule=repeat")
	if code := d.stop(); code != exitOK {
		t.Fatalf("exit %d", code)
	}

	// Without a [ban] section there is nothing to list.
	noBan := filepath.Join(dir, "noban.conf")
	writeFile(t, noBan, minimal)
	if r := runCmd(t, nil, "bans", "-c", noBan); r.code != exitUsage || !strings.Contains(r.stderr, "has no [ban] section") {
		t.Errorf("no [ban]: %+v", r)
	}
}

// TestCheckCommand: check reports errors with file and line (exit 2),
// warnings without failing, and a summary when valid.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	deny := filepath.Join(dir, "hosts.deny")
	writeFile(t, deny, "ALL: /var/lib/tcpwrap/other\n")
	e := func() *env { return testEnv(map[string]string{"TCPWRAP_HOSTS_DENY": deny}) }
	conf := filepath.Join(dir, "t.conf")

	writeFile(t, conf, minimal+"[input net]\nudp = 0.0.0.0:5514\ndaemons = *\n[rule r]\nkind = trap\nservices = in.telnetd\nactions = ban page\nquiet = 2h\n[action page]\nkind = program\nargv = /nonexistent/page {source}\n[ban]\nfile = /var/lib/tcpwrap/banned\n")
	r := runCmd(t, e(), "check", "-c", conf)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if r.stdout != conf+": ok: 1 file input(s), 1 receiver(s), 1 rule(s), 1 action(s), bans in /var/lib/tcpwrap/banned, state in /var/lib/tcpwrap\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	for _, w := range []string{
		"tcpdwatch: warning: " + conf + ":5: input net: daemons = *",
		"tcpdwatch: warning: " + conf + ":5: input net: listens on 0.0.0.0:5514, not on loopback",
		"tcpdwatch: warning: " + conf + ":13: action page: /nonexistent/page is not an executable file",
		"tcpdwatch: warning: " + conf + ":8: rule r: its incidents stay open 2h0m0s after the last event, not less than a ban lasts (1h0m0s)",
		"tcpdwatch: warning: " + deny + " does not name /var/lib/tcpwrap/banned: the bans have no effect until it has the line \"ALL: /var/lib/tcpwrap/banned\"",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	writeFile(t, deny, "# the bans\nALL: /var/lib/tcpwrap/banned\n")
	if r := runCmd(t, e(), "check", "-c", conf); strings.Contains(r.stderr, "does not name") {
		t.Errorf("hosts.deny names the list, still: %s", r.stderr)
	}

	// Errors: all of them, each with file and line.
	writeFile(t, conf, "[input a]\nfile = /a\ndaemons = x\nbogus = 1\n[action m]\nkind = mail\nserver = 127.0.0.1:25\nfrom = a@b\nto = c@d\npassword-file = /nonexistent/pw\n")
	r = runCmd(t, e(), "check", "-c", conf)
	want := "tcpdwatch: " + conf + ":4: unknown key \"bogus\" in [input]\n"
	if r.code != exitUsage || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", r.code, r.stderr, want)
	}
	// Valid syntax, but the action cannot be built.
	writeFile(t, conf, "[input a]\nfile = /a\ndaemons = x\n[action m]\nkind = mail\nserver = 127.0.0.1:25\nfrom = a@b\nto = c@d\npassword-file = /nonexistent/pw\n")
	r = runCmd(t, e(), "check", "-c", conf)
	if r.code != exitUsage || !strings.Contains(r.stderr, conf+":4: action m: open /nonexistent/pw") {
		t.Errorf("unbuildable action: exit %d, %q", r.code, r.stderr)
	}
	if r := runCmd(t, e(), "check", "-c", filepath.Join(dir, "none.conf")); r.code != exitUsage || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: %+v", r)
	}
}

// TestUsage: the command line's mistakes exit 2 with the usage.
func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frob"}, {"-x", "run"}, {"run", "extra"}, {"check", "extra"}} {
		r := runCmd(t, nil, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "usage: tcpdwatch") || !strings.HasPrefix(r.stderr, "tcpdwatch: ") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := runCmd(t, nil, "help"); r.code != exitOK || !strings.HasPrefix(r.stdout, "usage: tcpdwatch") {
		t.Errorf("help: %+v", r)
	}
	// run with an invalid configuration: 2; with one it cannot start
	// (a receiver port in use): 1.
	dir := t.TempDir()
	conf := filepath.Join(dir, "t.conf")
	writeFile(t, conf, "[input a]\n")
	if r := runCmd(t, nil, "run", "-c", conf); r.code != exitUsage {
		t.Errorf("run with a bad file: %+v", r)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	writeFile(t, conf, fmt.Sprintf("[tcpdwatch]\nstate-dir = %s\ndaemons = x\n[input net]\ntcp = %s\n", dir, ln.Addr()))
	e := testEnv(nil)
	e.signals = func() (<-chan os.Signal, func()) { return make(chan os.Signal), func() {} }
	if r := runCmd(t, e, "run", "-c", conf); r.code != exitFailure || !strings.Contains(r.stderr, "cannot start: input net: listen tcp "+ln.Addr().String()) {
		t.Errorf("run with its port in use: %+v", r)
	}
}
