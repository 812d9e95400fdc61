package oracle

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func needOracle(t *testing.T) {
	t.Helper()
	if ok, reason := Available(); !ok {
		t.Skip(reason)
	}
}

func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in   string
		want Record
		str  string
	}{
		{
			in:   "<11>Nov 27 03:25:01 tcpdmatch: warning: sshd: no such process name in /etc/inetd.conf",
			want: Record{Facility: 1, Severity: 3, Ident: "tcpdmatch", Text: "warning: sshd: no such process name in /etc/inetd.conf"},
			str:  "[user.err] tcpdmatch: warning: sshd: no such process name in /etc/inetd.conf",
		},
		{
			in:   "<15>Jan  2 00:00:00 tcpdchk: option:   allow ",
			want: Record{Facility: 1, Severity: 7, Ident: "tcpdchk", Text: "option:   allow "},
			str:  "[user.debug] tcpdchk: option:   allow ",
		},
		{
			in:   "<30>Jan  2 00:00:00 tcpd[4242]: connect from 10.0.0.1\x00",
			want: Record{Facility: 3, Severity: 6, Ident: "tcpd[4242]", Text: "connect from 10.0.0.1"},
			str:  "[daemon.info] tcpd[PID]: connect from 10.0.0.1",
		},
		{
			in:   "garbage without header",
			want: Record{Facility: -1, Severity: -1, Text: "garbage without header"},
		},
	}
	for _, tc := range tests {
		got := ParseRecord([]byte(tc.in))
		tc.want.Raw = strings.TrimSuffix(tc.in, "\x00")
		if got != tc.want {
			t.Errorf("ParseRecord(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if tc.str != "" && got.String() != tc.str {
			t.Errorf("String() = %q, want %q", got.String(), tc.str)
		}
	}
}

// inetdConfHasOnlyComments reports whether /etc/inetd.conf exists and holds
// no service lines, which is what tricky-cases.md assumes (openbsd-inetd's
// default file).
func inetdConfHasOnlyComments() bool {
	b, err := os.ReadFile("/etc/inetd.conf")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			return false
		}
	}
	return true
}

// TestDebianA01 is tricky case A01: an unterminated last line in
// hosts.allow.
//
// The first record names /etc/inetd.conf. That is only right when the
// machine's /etc/inetd.conf exists and has no service lines (the
// openbsd-inetd default, as on the machine where the cases were recorded).
// If it does not, the test passes "-i /dev/null" instead and expects the
// same warning naming /dev/null (see case F11 for that form).
func TestDebianA01(t *testing.T) {
	needOracle(t)
	inetd := "/etc/inetd.conf"
	args := []string{"-d", "sshd", "10.0.0.1"}
	if !inetdConfHasOnlyComments() {
		inetd = "/dev/null"
		args = []string{"-d", "-i", "/dev/null", "sshd", "10.0.0.1"}
	}
	res, err := Run(Tcpdmatch, Case{
		Allow: []byte("sshd: 10.0.0.1"),
		Deny:  []byte("ALL: ALL\n"),
		Args:  args,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStdout := "client:   address  10.0.0.1\nserver:   process  sshd\naccess:   denied\n"
	if res.Stdout != wantStdout {
		t.Errorf("stdout = %q, want %q", res.Stdout, wantStdout)
	}
	if res.Stderr != "" || res.Exit != 0 {
		t.Errorf("stderr = %q, exit = %d; want empty, 0", res.Stderr, res.Exit)
	}
	checkLines(t, "log", res.Log, []string{
		"warning: sshd: no such process name in " + inetd,
		"warning: hosts.allow, line 0: missing newline or line too long",
		"warning: hosts.allow, line 0: all the subsequent rules will be ignored",
		"matched:  hosts.deny line 1",
	})
	var recs []string
	for _, r := range res.Records {
		recs = append(recs, r.String())
	}
	checkLines(t, "records", recs, []string{
		"[user.err] tcpdmatch: warning: sshd: no such process name in " + inetd,
		"[user.err] tcpdmatch: warning: hosts.allow, line 0: missing newline or line too long",
		"[user.err] tcpdmatch: warning: hosts.allow, line 0: all the subsequent rules will be ignored",
		"[user.debug] tcpdmatch: matched:  hosts.deny line 1",
	})
}

// testHosts is the private /etc/hosts used by the D cases of tricky-cases.md.
const testHosts = "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.2 nodots\n10.1.1.3 Mixed.Example.COM\n10.1.1.4 multi.example.com\n10.1.1.5 multi.example.com\n10.1.1.9 real.example.com liar.example.com\n10.1.1.8 liar.example.com\n10.1.1.10 dual.example.com\n2001:db8::10 dual.example.com\n10.2.2.2 srv.example.com\n10.2.2.3 srv2.example.com\n10.2.2.4 srv2.example.com\n"

// TestDebianHostsOverride is tricky case D33: the /etc/hosts override makes
// liar.example.com resolve to two addresses, one of which is "paranoid".
// -i /dev/null keeps the expectation independent of /etc/inetd.conf.
func TestDebianHostsOverride(t *testing.T) {
	needOracle(t)
	res, err := Run(Tcpdmatch, Case{
		Allow: []byte("sshd: PARANOID\n"),
		Deny:  []byte("ALL:ALL\n"),
		Hosts: []byte(testHosts),
		Args:  []string{"-d", "-i", "/dev/null", "sshd", "liar.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStdout := `client:   hostname real.example.com
client:   address  10.1.1.9
server:   process  sshd
access:   denied

client:   hostname paranoid
client:   address  10.1.1.8
server:   process  sshd
access:   granted
`
	if res.Stdout != wantStdout || res.Exit != 0 || res.Stderr != "" {
		t.Errorf("stdout = %q (exit %d, stderr %q), want %q", res.Stdout, res.Exit, res.Stderr, wantStdout)
	}
	checkLines(t, "log", res.Log, []string{
		"warning: sshd: no such process name in /dev/null",
		"warning: liar.example.com: hostname alias",
		"warning: (official name: real.example.com)",
		"matched:  hosts.deny line 1",
		"warning: host name/name mismatch: liar.example.com != real.example.com",
		"matched:  hosts.allow line 1",
	})

	// Without the override the name does not resolve (the machine's
	// /etc/hosts only knows localhost), which shows the override is private
	// to the run.
	res, err = Run(Tcpdmatch, Case{
		Allow: []byte("sshd: PARANOID\n"),
		Deny:  []byte("ALL:ALL\n"),
		Args:  []string{"-d", "-i", "/dev/null", "sshd", "liar.example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "" || res.Exit != 1 {
		t.Errorf("without override: stdout = %q, exit %d; want empty, 1", res.Stdout, res.Exit)
	}
	checkLines(t, "log without override", res.Log, []string{
		"warning: sshd: no such process name in /dev/null",
		"warning: liar.example.com: host not found",
	})
}

// TestDebianF09 is tricky case F09: tcpdchk usage error on stderr, nothing
// logged.
func TestDebianF09(t *testing.T) {
	needOracle(t)
	res, err := Run(Tcpdchk, Case{Args: []string{"-d", "extra"}})
	if err != nil {
		t.Fatal(err)
	}
	wantStderr := "usage: tcpdchk [-a] [-d] [-i inet_conf] [-v]\n" +
		"\t-a: report rules with implicit \"ALLOW\" at end\n" +
		"\t-d: use allow/deny files in current directory\n" +
		"\t-i: location of inetd.conf file\n" +
		"\t-v: list all rules\n"
	if res.Stdout != "" || res.Stderr != wantStderr || res.Exit != 1 {
		t.Errorf("got stdout %q stderr %q exit %d; want \"\", %q, 1", res.Stdout, res.Stderr, res.Exit, wantStderr)
	}
	checkLines(t, "log", res.Log, []string{})
}

// TestRunPlumbing checks the harness itself with ordinary programs: the
// scratch dir substitution, extra files, Setup, stdin, environment,
// credentials, and that records a program sends just before exiting are
// all collected (logger(1) writes to /dev/log).
func TestRunPlumbing(t *testing.T) {
	needOracle(t)
	res, err := Run("/bin/sh", Case{
		Files: map[string][]byte{"SCRATCH/sub/f": []byte("in SCRATCH\n")},
		Setup: func(dir string) error { return os.WriteFile(dir+"/setup", []byte("x"), 0o600) },
		Args: []string{"-c", `pwd; cat sub/f; ls setup; cat; echo "$LC_ALL $TZ" >&2; id -u
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do logger -t tag "line $i in $PWD"; done
exit 3`},
		RunAs: &Credential{UID: 65534, GID: 65534},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SCRATCH\nin SCRATCH\nsetup\n65534\n"; res.Stdout != want {
		t.Errorf("stdout = %q, want %q", res.Stdout, want)
	}
	if want := "C UTC\n"; res.Stderr != want {
		t.Errorf("stderr = %q, want %q", res.Stderr, want)
	}
	if res.Exit != 3 {
		t.Errorf("exit = %d, want 3", res.Exit)
	}
	if _, err := os.Stat("/usr/bin/logger"); err != nil {
		return
	}
	if len(res.Log) != 20 {
		t.Fatalf("got %d records, want 20: %q", len(res.Log), res.Log)
	}
	for i, l := range res.Log {
		if want := "line " + strconv.Itoa(i+1) + " in SCRATCH"; l != want {
			t.Errorf("record %d = %q, want %q", i, l, want)
		}
		if id := res.Records[i].Ident; id != "tag" {
			t.Errorf("record %d ident = %q, want tag", i, id)
		}
	}
}

// TestRunTimeout checks that a hanging program is killed.
func TestRunTimeout(t *testing.T) {
	needOracle(t)
	res, err := Run("/bin/sleep", Case{Args: []string{"30"}, Timeout: 500 * time.Millisecond})
	if err == nil || !res.TimedOut {
		t.Fatalf("got err %v, TimedOut %v; want a timeout", err, res.TimedOut)
	}
	if res.Elapsed > 10*time.Second {
		t.Errorf("elapsed %v", res.Elapsed)
	}
}
