package filelog_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/audit"
	"tcpwrap/audit/filelog"
)

// TestAgainstRsyslogd is a differential test: the same selectors and the
// same messages go to a real rsyslogd (through a private socket, each
// selector writing a file in RSYSLOG_TraditionalFileFormat) and to a
// Writer; every file must come out byte for byte the same. This checks
// the selector semantics, the text format and the host name at once.
func TestAgainstRsyslogd(t *testing.T) {
	rsyslogd, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd is not installed (apt-get install rsyslog)")
	}
	if testing.Short() {
		t.Skip("starts rsyslogd; skipped with -short")
	}

	selectors := rsyslogSelectors()
	dir := t.TempDir()
	theirs, ours := filepath.Join(dir, "rsyslogd"), filepath.Join(dir, "filelog")
	for _, d := range []string{theirs, ours} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(dir, "log.sock")
	sentinel := filepath.Join(dir, "sentinel")

	var conf strings.Builder
	fmt.Fprintf(&conf, "global(workDirectory=%q)\n", dir)
	fmt.Fprintf(&conf, "module(load=\"imuxsock\" SysSock.Use=\"off\")\n")
	fmt.Fprintf(&conf, "input(type=\"imuxsock\" Socket=%q IgnoreTimestamp=\"off\" UseSysTimeStamp=\"off\" UsePIDFromSystem=\"off\" RateLimit.Interval=\"0\")\n", sock)
	var table filelog.Table
	for i, s := range selectors {
		sel, err := filelog.ParseSelector(s)
		if err != nil {
			t.Fatalf("ParseSelector(%q): %v", s, err)
		}
		name := fmt.Sprintf("out%02d", i)
		fmt.Fprintf(&conf, "%s %s;RSYSLOG_TraditionalFileFormat\n", s, filepath.Join(theirs, name))
		table = append(table, filelog.Route{Selector: sel, Path: filepath.Join(ours, name)})
	}
	fmt.Fprintf(&conf, ":msg, contains, \"SENTINEL\" %s;RSYSLOG_TraditionalFileFormat\n", sentinel)
	confPath := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(rsyslogd, "-N1", "-f", confPath).CombinedOutput(); err != nil {
		t.Fatalf("rsyslogd -N1 rejects the configuration: %v\n%s\n%s", err, out, conf.String())
	}

	cmd := exec.Command(rsyslogd, "-n", "-f", confPath, "-i", filepath.Join(dir, "pid"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	// rsyslogd creates the socket when it is ready for messages.
	waitFor(t, func() bool { _, err := os.Stat(sock); return err == nil }, "rsyslogd's socket", &stderr)
	conn, err := net.Dial("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	w := filelog.Open(table)
	defer w.Close()
	for _, m := range rsyslogMessages() {
		if _, err := conn.Write(m.Append3164(nil)); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	// rsyslogd handles messages in order: once the sentinel is out, every
	// earlier message has been through every rule. Stopping it flushes.
	end := &audit.Message{Time: time.Date(2026, time.March, 5, 8, 0, 0, 0, time.Local), Priority: audit.Priority{Facility: audit.Local0, Severity: audit.Info}, AppName: "probe", Text: "SENTINEL"}
	if _, err := conn.Write(end.Append3164(nil)); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(end); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(sentinel); return bytes.Contains(b, []byte("SENTINEL")) }, "the sentinel message", &stderr)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	exited = true

	lines := 0
	for i, s := range selectors {
		name := fmt.Sprintf("out%02d", i)
		want, _ := os.ReadFile(filepath.Join(theirs, name)) // a missing file is empty
		got, _ := os.ReadFile(filepath.Join(ours, name))
		if !bytes.Equal(got, want) {
			t.Errorf("selector %q: our file differs from rsyslogd's\n%s", s, lineDiff(string(got), string(want)))
		}
		lines += bytes.Count(want, []byte("\n"))
	}
	// Not vacuous: "*.info;mail.none;authpriv.none;cron.none" alone
	// takes 7 severities of 21 facilities, the hard texts and the two
	// last messages.
	if first, _ := os.ReadFile(filepath.Join(theirs, "out00")); bytes.Count(first, []byte("\n")) != 7*21+6+2 || !bytes.Contains(first, []byte(`forged`)) {
		t.Errorf("rsyslogd wrote an unexpected out00:\n%s", first)
	}
	t.Logf("%d selectors, %d lines compared", len(selectors), lines)
	if t.Failed() {
		t.Logf("rsyslogd's output:\n%s", stderr.String())
	}
}

// rsyslogSelectors are the table's examples and random ones, all of
// which both sides accept.
func rsyslogSelectors() []string {
	var out []string
	for _, tt := range selectorTests {
		out = append(out, tt.sel)
	}
	r := rand.New(rand.NewPCG(1, 2))
	facs := []string{"*", "kern", "user", "mail", "daemon", "auth", "security", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "local0", "local3", "local7"}
	levels := []string{"*", "none", "emerg", "panic", "alert", "crit", "err", "error", "warning", "warn", "notice", "info", "debug"}
	for range 40 {
		var parts []string
		for range 1 + r.IntN(4) {
			var fl []string
			for range 1 + r.IntN(3) {
				fl = append(fl, facs[r.IntN(len(facs))])
			}
			l := levels[r.IntN(len(levels))]
			if l != "*" && l != "none" && r.IntN(2) == 0 {
				l = "=" + l
			}
			if r.IntN(3) == 0 {
				l = "!" + l
			}
			parts = append(parts, strings.Join(fl, ",")+"."+l)
		}
		out = append(out, strings.Join(parts, ";"))
	}
	return out
}

// rsyslogMessages has every priority once, then some hard texts.
func rsyslogMessages() []*audit.Message {
	t0 := time.Date(2026, time.March, 5, 7, 8, 9, 0, time.Local)
	var ms []*audit.Message
	for f := range 24 {
		for s := range 8 {
			ms = append(ms, &audit.Message{
				Time:     t0.Add(time.Duration(f*8+s) * time.Second),
				Priority: audit.Priority{Facility: audit.Facility(f << 3), Severity: audit.Severity(s)},
				AppName:  "probe", PID: 4242,
				Text: fmt.Sprintf("priority %d.%d", f, s),
			})
		}
	}
	for _, text := range []string{
		"connect from 192.0.2.7 (192.0.2.7)",
		"refused connect from evil\nMar  5 07:08:09 vm sshd[1]: forged",
		"tab\there, cr\r, del\x7f, bell\x07",
		"  two leading blanks",
		"UTF-8 h\u00f6st, invalid \xff\xfe, backslash \\ and \"quotes\"",
		strings.Repeat("long ", 500), // cut at audit.MaxText
	} {
		ms = append(ms, &audit.Message{
			Time:     t0,
			Priority: audit.Priority{Facility: audit.Auth, Severity: audit.Warning},
			AppName:  "tcpd", PID: 99, Text: text,
		})
	}
	ms = append(ms, &audit.Message{Time: t0, Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Info}, AppName: "nopid", Text: "no pid"})
	return ms
}

// waitFor polls a condition rsyslogd makes true, for up to 20 seconds.
func waitFor(t *testing.T, cond func() bool, what string, log *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; rsyslogd says:\n%s", what, log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lineDiff shows the first lines that differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			fmt.Fprintf(&b, "line %d:\n  ours:     %q\n  rsyslogd: %q\n", i+1, gl, wl)
			if n++; n == 5 {
				break
			}
		}
	}
	fmt.Fprintf(&b, "(%d lines ours, %d rsyslogd's)", len(g)-1, len(w)-1)
	return b.String()
}
