package rsyslogfiles_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/rsyslogfiles"
)

// send logs one message through the server's local socket, in syslog(3)'s
// format.
func send(t *testing.T, sock, text string) {
	t.Helper()
	c, err := net.Dial("unixgram", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "<38>%s in.fake[42]: %s", time.Now().Format(time.Stamp), text); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Both files get every message in their own format; a rename rotation
// with a HUP, then a copytruncate, leave each message in exactly one
// file of the set.
func TestFilesAndRotation(t *testing.T) {
	rs := rsyslogfiles.Start(t, []rsyslogfiles.File{
		{Name: "trad.log", Template: rsyslogfiles.Traditional},
		{Name: "rfc5424.log", Template: rsyslogfiles.Protocol23},
	})
	dir := rs.Dir()
	trad, proto := filepath.Join(dir, "trad.log"), filepath.Join(dir, "rfc5424.log")
	if pid := rsyslogfiles.PID(t, rs); pid <= 1 {
		t.Fatalf("PID = %d", pid)
	} else if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
		t.Fatalf("no process %d: %v", pid, err)
	}

	send(t, rs.UnixSocket(), "message one")
	rs.Wait(t, 1, 30*time.Second)
	waitFile(t, trad, "message one")
	waitFile(t, proto, "message one")
	tradRE := regexp.MustCompile(`^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \S+ in\.fake\[42\]: message one\n$`)
	if s := read(t, trad); !tradRE.MatchString(s) {
		t.Errorf("trad.log %q", s)
	}
	protoRE := regexp.MustCompile(`^<38>1 \d{4}-\d\d-\d\dT\S+ \S+ in\.fake 42 - - +message one\n$`)
	if s := read(t, proto); !protoRE.MatchString(s) {
		t.Errorf("rfc5424.log %q", s)
	}

	rsyslogfiles.Rotate(t, dir, []string{trad, proto}, rsyslogfiles.RenameAndHUP(rsyslogfiles.PID(t, rs)))
	send(t, rs.UnixSocket(), "message two")
	rs.Wait(t, 2, 30*time.Second)
	waitFile(t, trad, "message two")
	if s := read(t, trad+".1"); !strings.Contains(s, "message one") || strings.Contains(s, "message two") {
		t.Errorf("trad.log.1 after the rename %q", s)
	}
	if s := read(t, trad); strings.Contains(s, "message one") {
		t.Errorf("trad.log after the rename %q", s)
	}

	rsyslogfiles.Rotate(t, dir, []string{trad}, rsyslogfiles.CopyTruncate)
	send(t, rs.UnixSocket(), "message three")
	rs.Wait(t, 3, 30*time.Second)
	waitFile(t, trad, "message three")
	if s := read(t, trad+".1"); !strings.Contains(s, "message two") {
		t.Errorf("trad.log.1 after the copy %q", s)
	}
	if s := read(t, trad+".2"); !strings.Contains(s, "message one") {
		t.Errorf("trad.log.2 %q", s)
	}
	if s := read(t, trad); strings.Contains(s, "message two") {
		t.Errorf("trad.log was not truncated: %q", s)
	}
}

// waitFile waits for rsyslogd's file writer, which may lag the raw file
// that rs.Wait reads.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, _ := os.ReadFile(path); strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %q after 30s", path, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
