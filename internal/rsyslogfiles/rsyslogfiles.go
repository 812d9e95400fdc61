// Package rsyslogfiles sets up log files the way a Debian machine has
// them, for tests of programs that read them: Debian's rsyslogd (run by
// internal/rsyslogtest) writes every message it receives to files in
// rsyslog's templates, and Debian's logrotate rotates them, by rename
// with a HUP to rsyslogd or by copytruncate.
//
// rsyslogtest has no option for extra actions, so Start edits the
// configuration it generates, and fails the test clearly if that
// configuration's shape changes.
package rsyslogfiles

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogtest"
)

// Templates of rsyslog's file formats.
const (
	// Traditional is Debian's default: "Nov 27 05:48:56 host tag: msg".
	Traditional = "RSYSLOG_TraditionalFileFormat"
	// Precise has a high-precision time stamp:
	// "2026-11-27T05:48:56.123456+00:00 host tag: msg".
	Precise = "RSYSLOG_FileFormat"
	// Protocol23 is RFC 5424.
	Protocol23 = "RSYSLOG_SyslogProtocol23Format"
)

// File is a file that the server writes every message it receives to.
type File struct {
	Name     string // in the server's directory
	Template string // an rsyslog template, such as Traditional
}

// marker opens the ruleset that every input of rsyslogtest's server
// feeds.
const marker = "ruleset(name=\"recv\") {\n"

// Start starts rsyslogtest's server with, in the ruleset every input
// feeds, one omfile action for each file, in order, then the extra
// actions (RainerScript action(...) statements, one each). The files
// are in the server's directory, rs.Dir(). It skips the test when
// rsyslogd is not installed, as rsyslogtest.Start does.
func Start(t testing.TB, files []File, extra ...string) *rsyslogtest.Server {
	t.Helper()
	rs := rsyslogtest.Start(t)
	rs.Stop()
	conf, err := os.ReadFile(rs.ConfigFile())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), marker) {
		t.Fatalf("rsyslogtest's configuration has no %q any more:\n%s", marker, conf)
	}
	var actions strings.Builder
	for _, f := range files {
		fmt.Fprintf(&actions, "  action(type=\"omfile\" file=%q template=%q)\n", filepath.Join(rs.Dir(), f.Name), f.Template)
	}
	for _, a := range extra {
		actions.WriteString("  " + a + "\n")
	}
	conf = []byte(strings.Replace(string(conf), marker, marker+actions.String(), 1))
	if err := os.WriteFile(rs.ConfigFile(), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	rs.Start()
	return rs
}

// PID is the running rsyslogd's process id, from its pid file. rsyslogd
// may write the file after it opens its sockets, which is what
// rsyslogtest's Start waits for, so PID waits for the file up to
// rsyslogtest.StartTimeout.
func PID(t testing.TB, rs *rsyslogtest.Server) int {
	t.Helper()
	path := filepath.Join(rs.Dir(), "rsyslogd.pid")
	deadline := time.Now().Add(rsyslogtest.StartTimeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process id in %s after %v: %q %v", path, rsyslogtest.StartTimeout, b, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RenameAndHUP are the logrotate directives of Debian's rsyslog
// configuration: the file is renamed, a new one created, and rsyslogd
// (process pid) told by SIGHUP to reopen its files.
func RenameAndHUP(pid int) string {
	return fmt.Sprintf("\tcreate 0640\n\tpostrotate\n\t\tkill -HUP %d\n\tendscript", pid)
}

// CopyTruncate is the logrotate directive that copies the file and
// truncates it in place; lines written between the two are lost.
const CopyTruncate = "\tcopytruncate"

// Rotate runs Debian's logrotate, forced, on the files with "rotate 5",
// "missingok" and the directives (one or more lines, tab-indented),
// keeping its configuration and state in dir. It skips the test when
// logrotate is not installed.
func Rotate(t testing.TB, dir string, files []string, directives string) {
	t.Helper()
	bin, err := exec.LookPath("logrotate")
	if err != nil {
		bin = "/usr/sbin/logrotate"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("logrotate not installed (apt-get install -y logrotate): %v", err)
	}
	conf := fmt.Sprintf("%s {\n\trotate 5\n\tmissingok\n%s\n}\n", strings.Join(files, " "), directives)
	confPath := filepath.Join(dir, "logrotate.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-f", "-s", filepath.Join(dir, "logrotate.state"), confPath).CombinedOutput()
	if err != nil {
		t.Fatalf("logrotate: %v\n%s\nconfiguration:\n%s", err, out, conf)
	}
}
