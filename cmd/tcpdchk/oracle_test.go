package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"tcpwrap/internal/oracle"
)

// These tests run our tcpdchk binary under internal/oracle (a private
// mount namespace with its own /etc/hosts) and compare it with Debian's
// tcpdchk: with the cases recorded in tricky-cases.md, and, where the
// Debian binary is installed, with it directly on more inputs.
//
// Our diagnostics go to standard error, Debian's to syslog: our stderr
// lines are compared with Debian's syslog texts. Our exit status is 2
// where Debian's diagnostics include an error (Debian always exits 0).

// trickyCase is the part of internal/oracle/testdata/tricky.json used
// here.
type trickyCase struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Allow    *string           `json:"allow"`
	Deny     *string           `json:"deny"`
	Files    map[string]string `json:"files"`
	Hosts    *string           `json:"hosts"`
	Setup    []string          `json:"setup"`
	Commands []struct {
		Program string   `json:"program"`
		Args    []string `json:"args"`
	} `json:"commands"`
	Stdout string   `json:"stdout"`
	Stderr *string  `json:"stderr"`
	Exit   int      `json:"exit"`
	Log    []string `json:"log"`
}

// machineHosts is the /etc/hosts tricky-cases.md says the cases without
// an override saw.
const machineHosts = "127.0.0.1 localhost\n127.0.0.1 runsc\n127.0.0.1 vm\n"

func loadTcpdchkCases(t *testing.T) []trickyCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "oracle", "testdata", "tricky.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []trickyCase
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	var cases []trickyCase
	for _, tc := range all {
		if len(tc.Commands) == 1 && tc.Commands[0].Program == "tcpdchk" {
			cases = append(cases, tc)
		}
	}
	return cases
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildDir  string
)

// ourBinary builds cmd/tcpdchk once per test run.
func ourBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tcpdchk-test-")
		if buildErr != nil {
			return
		}
		os.Chmod(buildDir, 0o755) // the oracle may run it as another user
		buildPath = filepath.Join(buildDir, "tcpdchk")
		out, err := exec.Command("go", "build", "-o", buildPath, "tcpwrap/cmd/tcpdchk").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// needCapture skips a test that runs our binary under oracle.Run when the
// capture cannot work here: it needs root and unshare(1).
func needCapture(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("oracle.Run needs root to create a private mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("oracle.Run needs unshare(1): " + err.Error())
	}
	if out, err := exec.Command(unshare, "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare --mount does not work here: %v: %s", err, out)
	}
}

// needDebian skips a test that also runs Debian's tcpdchk.
func needDebian(t *testing.T) {
	t.Helper()
	if ok, reason := oracle.Available(); !ok {
		t.Skip(reason)
	}
}

// oracleCase builds the run of a recorded case.
func (tc *trickyCase) oracleCase() oracle.Case {
	c := oracle.Case{Args: tc.Commands[0].Args, Files: map[string][]byte{}}
	if tc.Allow != nil {
		c.Allow = []byte(*tc.Allow)
	}
	if tc.Deny != nil {
		c.Deny = []byte(*tc.Deny)
	}
	hosts := machineHosts
	if tc.Hosts != nil {
		hosts = *tc.Hosts
	}
	c.Hosts = []byte(hosts)
	for name, data := range tc.Files {
		c.Files[name] = []byte(data)
	}
	if setup := tc.Setup; len(setup) > 0 {
		c.Setup = func(dir string) error {
			for _, s := range setup {
				sh := exec.Command("/bin/sh", "-c", s)
				sh.Dir = dir
				if out, err := sh.CombinedOutput(); err != nil {
					return fmt.Errorf("%q: %v: %s", s, err, out)
				}
			}
			return nil
		}
	}
	return c
}

// lines splits output into lines (none for "").
func lines(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// wantExit is our exit status for a run whose Debian diagnostics are log:
// 2 when they include an error.
func wantExit(debianExit int, log []string) int {
	if debianExit != 0 {
		return debianExit
	}
	for _, l := range log {
		if strings.HasPrefix(l, "error: ") ||
			strings.HasSuffix(l, ": missing newline or line too long") ||
			strings.HasSuffix(l, `: missing ":" separator`) ||
			strings.HasPrefix(l, "warning: cannot open ") {
			return exitError
		}
	}
	return exitOK
}

// TestTricky runs every tcpdchk case of tricky-cases.md against our
// binary. The documented differences (F05, F07) have their own
// expectations.
func TestTricky(t *testing.T) {
	needCapture(t)
	bin := ourBinary(t)
	cases := loadTcpdchkCases(t)
	if len(cases) < 8 {
		t.Fatalf("only %d tcpdchk cases in tricky.json", len(cases))
	}
	for i := range cases {
		tc := &cases[i]
		t.Run(tc.ID, func(t *testing.T) {
			t.Parallel()
			res, err := oracle.Run(bin, tc.oracleCase())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Log) != 0 {
				t.Errorf("our tcpdchk wrote to syslog: %q", res.Log)
			}
			wantOut, wantErr := tc.Stdout, tc.Log
			exit := wantExit(tc.Exit, tc.Log)
			switch tc.ID {
			case "F05":
				// Debian stops checking the client list after the /file
				// pattern (strtok clash); we check nosuch2.invalid too.
				wantErr = []string{
					"warning: SCRATCH/chk, line 1: #: host not found",
					"warning: SCRATCH/chk, line 1: c: host not found",
					"warning: SCRATCH/chk, line 2: nosuch1.invalid: host not found",
					"warning: SCRATCH/chk, line 2: 10.0.0.0/99: bad net/mask pattern",
					"warning: hosts.allow, line 1: nosuch2.invalid: host not found",
					"warning: hosts.allow, line 2: nosuch3.invalid: host not found",
				}
			case "F07":
				// Debian really becomes nobody and cannot read hosts.deny;
				// we only simulate the setuid/setgid, so hosts.deny is
				// checked.
				wantOut += "\n>>> Rule hosts.deny line 1:\ndaemons:  ALL\nclients:  ALL\naccess:   denied\n"
				wantErr = []string{
					"option:   user nobody",
					"error: hosts.allow, line 1: setgid(nobody): Operation not permitted",
				}
				exit = exitError
			}
			if res.Stdout != wantOut {
				t.Errorf("stdout:\n--- got\n%s--- want\n%s", res.Stdout, wantOut)
			}
			if tc.Stderr != nil {
				if res.Stderr != *tc.Stderr {
					t.Errorf("stderr:\n--- got\n%s--- want\n%s", res.Stderr, *tc.Stderr)
				}
			} else if got := lines(res.Stderr); !reflect.DeepEqual(got, wantErr) {
				t.Errorf("stderr:\n--- got\n%s\n--- want\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
			}
			if res.Exit != exit {
				t.Errorf("exit status %d, want %d", res.Exit, exit)
			}
		})
	}
}

// diffCases are inputs run through both Debian's tcpdchk and ours (when
// Debian's is installed): everything must agree but the exit status.
var diffCases = []struct {
	name        string
	allow, deny string
	hosts       string
	files       map[string]string
	args        []string
	setup       string // a shell command run in the scratch dir first
}{
	{
		name:  "netmasks",
		allow: "sshd: 192.168.1.0/24 10.0.0.0/255.0.0.0 10.0.0.1/8 10/8 [::1]/64 [::1]/200 1.2.3.4/0 1.2.3.4/255.255.255.255 1.2.3.4/8abc 1.2.3.4/33 1.2.3.4/-1 [::1]/abc [::1]/-1 [::1]/0 [x]/3 1.2.3/8 0x01.2.3.4/8 1.2.3.4/0.0.0.0 1.2.3.4/1.2.3 [::1/64 ::1/64 [::1]x/64\n",
	},
	{
		name:  "host forms",
		allow: "sshd: [::1] [::ffff:1.2.3.4] *.example.com .example.* a,b ALL@x @foo FAIL ALL KNOWN LOCAL UNKNOWN PARANOID user@ @ 0.0.0.0 255.255.255.255 .1.2 1.2. 1.2 1.2.3.4.\n",
	},
	{
		name:  "user parts",
		allow: "sshd: FAIL@x KNOWN@x LOCAL@x paranoid@x unknown@x @x@y /x@y .u@x u.@x *@x\n",
	},
	{
		name:  "daemon@host",
		allow: "sshd@host1 sshd@multi.example.com sshd@nosuch.invalid sshd@ @x@ in.ftpd@10.1.1.1 rpcbind portmap FAIL unknown ALL LOCAL paranoid /x: ALL\n",
		hosts: "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.4 multi.example.com\n10.1.1.5 multi.example.com\n",
	},
	{
		name:  "name checks",
		allow: "sshd: host1 Host1.Example.COM liar.example.com real.example.com dual.example.com nodots 10.1.1.2 10.1.1.99 2001:db8::10\n",
		hosts: "127.0.0.1 localhost\n10.1.1.1 host1.example.com host1\n10.1.1.2 nodots\n10.1.1.9 real.example.com liar.example.com\n10.1.1.8 liar.example.com\n10.1.1.10 dual.example.com\n2001:db8::10 dual.example.com\n",
	},
	{
		name:  "options",
		allow: "sshd: ALL: allow: spawn x\nsshd: ALL: umask 08\nsshd: ALL: severity bogus.info\nsshd: ALL:\nsshd: ALL: rfc931 0\nsshd: ALL: setenv FOO bar: nice 5: keepalive: linger 3: aclexec false\nsshd: ALL: twist x: allow\nsshd: ALL: user root.root\nsshd: ALL: user nosuchuser\nsshd: ALL: group nosuchgroup\n",
		deny:  "ALL: ALL: allow\nALL: ALL: spawn y %s %H %N %A %c %r %R %n %x %%\nALL: ALL: deny\nALL: ALL: twist z\n",
		args:  []string{"-d", "-v", "-a", "-i", "/dev/null"},
	},
	{
		name:  "banners",
		allow: "sshd: ALL: banners /nonexistent\nsshd: ALL: banners SCRATCH/b\n",
		files: map[string]string{"b/daemon_name": "hello %d %h\nline two [\n"},
	},
	{
		name:  "lists",
		allow: "sshd:\n: ALL\nEXCEPT sshd: ALL\nsshd EXCEPT in.ftpd: 10.0.0.1 EXCEPT\n  # indented\nsshd ALL: ALL, ,10.0.0.2\n",
		deny:  "no separator here\nALL: ALL\nlast line",
	},
	{
		name:  "files",
		allow: "sshd: SCRATCH/f1\nsshd: SCRATCH/missing SCRATCH/dir\n",
		files: map[string]string{"f1": "10.0.0.1 @ng\n\n  1.2.3.4/0 SCRATCH/f2\n", "f2": "nested.invalid\n", "dir/x": ""},
	},
	{
		name:  "without -v",
		allow: "sshd: ALL: spawn x\nsshd: nosuch.invalid\n",
		args:  []string{"-d", "-i", "/dev/null"},
	},
	{
		name:  "inetd.conf",
		allow: "telnet in.telnetd in.ftpd tcpdmatch sshd: ALL\n",
		files: map[string]string{"inetd.conf": "telnet stream tcp nowait root /usr/sbin/tcpd in.telnetd\nftp stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.ftpd -l\ndirect stream tcp nowait root /usr/sbin/tcpdmatch tcpdmatch\n"},
		args:  []string{"-d", "-v", "-i", "SCRATCH/inetd.conf"},
	},
	{
		name: "missing -i file",
		args: []string{"-d", "-v", "-i", "SCRATCH/nonexistent"},
	},
	{
		name: "usage errors",
		args: []string{"-v", "-x"},
	},
	{
		name:  "default inetd.conf",
		allow: "sshd in.telnetd: ALL\n",
		args:  []string{"-d", "-v"},
	},
	{
		name:  "world writable",
		allow: "sshd: ALL\n",
		deny:  "ALL: ALL\n",
		setup: "chmod 666 hosts.allow hosts.deny",
	},
	{
		name:  "continuations and comments",
		allow: "# comment \\\nsshd: ALL\n\n  # x: y\nss\\\nhd: 10.0.0.\\\n1: spawn %d\\\n\n",
		deny:  "ALL: ALL\n",
		args:  []string{"-d", "-a", "-i", "/dev/null"},
	},
	{
		name:  "-a without options in hosts.deny",
		allow: "sshd: ALL: deny\nsshd: ALL: severity info\n",
		deny:  "sshd: ALL\nsshd: ALL: allow\n",
		args:  []string{"-a", "-d", "-i", "/dev/null"},
	},
	{
		name:  "ports and keywords",
		allow: "22@0.0.0.0 +0 -1 65536: KNOWN@ALL bob@KNOWN UNKNOWN@LOCAL\nin.ftpd@[::1] in.ftpd@[x]: 10.0.0.1/255.0.255.0 [2001:DB8::1]\n",
	},
}

// TestDebianDifferential runs diffCases through both programs.
func TestDebianDifferential(t *testing.T) {
	needDebian(t)
	bin := ourBinary(t)
	for _, dc := range diffCases {
		t.Run(dc.name, func(t *testing.T) {
			t.Parallel()
			c := oracle.Case{Files: map[string][]byte{}, Args: dc.args}
			if c.Args == nil {
				c.Args = []string{"-d", "-v", "-i", "/dev/null"}
			}
			c.Allow = []byte(dc.allow)
			c.Deny = []byte(dc.deny)
			hosts := machineHosts
			if dc.hosts != "" {
				hosts = dc.hosts
			}
			c.Hosts = []byte(hosts)
			for n, d := range dc.files {
				c.Files[n] = []byte(d)
			}
			if dc.setup != "" {
				c.Setup = func(dir string) error {
					sh := exec.Command("/bin/sh", "-c", dc.setup)
					sh.Dir = dir
					if out, err := sh.CombinedOutput(); err != nil {
						return fmt.Errorf("%q: %v: %s", dc.setup, err, out)
					}
					return nil
				}
			}
			deb, err := oracle.Run(oracle.Tcpdchk, c)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := oracle.Run(bin, c)
			if err != nil {
				t.Fatal(err)
			}
			if ours.Stdout != deb.Stdout {
				t.Errorf("stdout:\n--- ours\n%s--- Debian\n%s", ours.Stdout, deb.Stdout)
			}
			want := deb.Log
			if deb.Stderr != "" {
				want = append(want, lines(deb.Stderr)...)
			}
			if got := lines(ours.Stderr); !reflect.DeepEqual(got, want) {
				t.Errorf("diagnostics:\n--- ours\n%s\n--- Debian\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if w := wantExit(deb.Exit, deb.Log); ours.Exit != w {
				t.Errorf("exit status %d, want %d (Debian %d)", ours.Exit, w, deb.Exit)
			}
		})
	}
}
