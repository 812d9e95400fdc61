package main

// The differential test: Debian's /usr/sbin/tcpd and ours, through the
// same harness, on the same tables and clients. Both run in a private
// mount namespace with the tables over /etc/hosts.allow and
// /etc/hosts.deny (so that diagnostics name the same files) and /dev/log
// captured. Compared: the syslog records (facility, severity, ident with
// the PID masked, text), what the client received, the exit status, the
// files a spawn wrote, and for UDP whether the datagram was left queued.
// Documented differences are not compared: ours does not sleep 5 s after
// a TCP refusal, and ours really switches credentials for "user" (so no
// case here uses it).

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpwrap/internal/tcpdtest"
)

// diffCase is one scenario. SCRATCH in the tables, Argv0, Args and Files
// is replaced by the run's directory, and that directory by SCRATCH in
// every output.
type diffCase struct {
	name        string
	allow, deny string
	hosts       string
	client      string
	network     string
	argv0       string
	args        []string
	port        int
	send        string
	env         []string
	files       map[string]string // extra files, relative to SCRATCH
	ident       string            // identd answer on the client address:113 ("" = none)
	// known, if not "", names a known difference: differences are then
	// logged, not failures (and a case that no longer differs says so).
	known string
}

// testHosts is the /etc/hosts of the name-lookup cases (tricky-cases.md).
const testHosts = "127.0.0.1 localhost\n127.0.0.9 real.example.com liar.example.com\n127.0.0.2 liar.example.com\n127.0.0.3 good.example.com\n127.0.0.5 10.20.30.40\n"

// gCases are the G cases of tricky-cases.md (G05 without its "user"
// option; the ident cases are in identCases).
var gCases = []diffCase{
	{name: "G01"},
	{name: "G02", deny: "ALL: ALL\n"},
	{name: "G03", allow: "in.fake: ALL: twist /bin/echo twisted %a %d %c \"$HOME\"\n"},
	{name: "G04", allow: "in.fake: ALL: spawn (readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2; echo %d) > SCRATCH/spawned\n"},
	{name: "G05", allow: "in.fake: ALL: umask 027: nice 7: setenv FOO  bar baz %a : keepalive: linger 9: severity auth.notice\n"},
	{name: "G06", deny: "ALL: ALL: severity CRIT\n"},
	{name: "G07", allow: "in.fake: ALL: banners SCRATCH/ban\n", files: map[string]string{"ban/in.fake": "Welcome %h to %d\nline two [unbalanced\nline three;$(x)%u\n"}},
	{name: "G13", allow: "in.fake: .example.com\n", deny: "ALL:ALL\n", hosts: testHosts, client: "127.0.0.3"},
	{name: "G14", deny: "ALL: PARANOID\n", hosts: testHosts, client: "127.0.0.2"},
	{name: "G15", deny: "ALL: 10.0.0.1\n", hosts: testHosts, client: "127.0.0.2"},
	{name: "G16", allow: "in.fake: ALL: spawn echo %n > SCRATCH/spawned\n", hosts: testHosts, client: "127.0.0.5"},
	{name: "G17", network: tcpdtest.UDP, send: "dgram1"},
	{name: "G18", network: tcpdtest.UDP, send: "dgram1", deny: "ALL: ALL\n"},
	{name: "G19", network: tcpdtest.UDP, send: "x", allow: "in.fake: ALL: rfc931: spawn echo u=%u c=%c > SCRATCH/spawned\n"},
	{name: "G20", network: tcpdtest.TCP6, allow: "in.fake: [::1]\n", deny: "ALL: ALL\n"},
	{name: "G21", network: tcpdtest.Dual, allow: "in.fake: 127.0.0.1: spawn echo %a %h > SCRATCH/spawned\n", deny: "ALL: ALL\n"},
	{name: "G22", argv0: "in.nonexistentd"},
	{name: "G23", argv0: "bin/in.fake", allow: "in.fake: ALL: deny\n"},
	{name: "G24", args: []string{"-x", "two words"}},
	{name: "G25", allow: "in.fake: ALL: aclexec /bin/false\nin.fake: ALL: deny\n"},
	{name: "G26", allow: "in.fake: ALL: aclexec /bin/false\n", deny: "ALL: ALL: severity notice\n"},
	{name: "G27", deny: "ALL: ALL: aclexec test %a = 127.0.0.1\n"},
	{name: "G28", deny: "ALL EXCEPT 4444: ALL\n", port: 4444},
	{name: "G29", allow: "in.fake: ALL: linger -1\n"},
	{name: "G30", deny: "in.fake: 10.9.9.9"},
	{name: "G31", network: tcpdtest.None},
	{name: "G33", deny: "ALL: UNKNOWN KNOWN\n", hosts: testHosts, client: "127.0.0.2"},
	{name: "G36", deny: "ALL: UNKNOWN\n", hosts: testHosts, client: "127.0.0.8"},
	{name: "G37", allow: "in.fake: ALL: aclexec kill -9 $$\n", deny: "ALL: ALL\n"},
	// Beyond the G cases.
	{name: "twist-in-deny", deny: "ALL: 127.0.0.2: twist echo go away %c\n", client: "127.0.0.2"},
	{name: "spawn-in-deny", deny: "ALL: ALL: spawn echo %d %c %s %h > SCRATCH/spawned\n"},
	{name: "banner-refused", deny: "ALL: ALL: banners SCRATCH/ban\n", files: map[string]string{"ban/in.fake": "go away %a\n"}},
	{name: "option-unknown", allow: "in.fake: ALL: frobnicate\n"},
	{name: "bad-severity", allow: "in.fake: ALL: severity nonsense\n"},
	{name: "too-long-line", allow: "in.fake: " + strings.Repeat("x", 2100) + "\n"},
	{name: "missing-colon", allow: "in.fake 127.0.0.1\nin.fake: ALL: deny\n"},
	{name: "twist-then-spawn", allow: "in.fake: ALL: twist echo a: spawn echo b > SCRATCH/spawned\n"},
	{name: "setenv-twist", allow: "in.fake: ALL: setenv FOO %d-%a: twist echo \"$FOO\"\n"},
	{name: "nice-umask-refused", deny: "ALL: ALL: umask 077: nice 3\n"},
	{name: "udp-twist", network: tcpdtest.UDP, send: "x", allow: "in.fake: ALL: twist echo hi > SCRATCH/spawned\n"},
	{name: "abs-argv0-sshd", argv0: "/nonexistent/sshd", allow: "sshd: 127.0.0.1: deny\n"},
	{name: "v6-mapped-bracket", network: tcpdtest.Dual, deny: "ALL: [::ffff:127.0.0.1]\n"},
	{name: "v6-net", network: tcpdtest.TCP6, deny: "ALL: [::]/0\n"},
}

// identCases need a fake identd on the client's port 113, so they run one
// at a time.
var identCases = []diffCase{
	{name: "G08", allow: "in.fake: ALL: rfc931\n", ident: "USERID : UNIX : alice"},
	{name: "G09", allow: "in.fake: bob@10.9.9.9 bob@ALL\n", deny: "ALL: ALL\n", ident: "USERID : UNIX : alice"},
	{name: "G10", allow: "in.fake: ALL: rfc931\n", ident: "USERID : UNIX : john smith"},
	{name: "G11", allow: "in.fake: ALL: spawn echo %u > SCRATCH/spawned\n", ident: "USERID : UNIX : a;b$c"},
	{name: "G12", allow: "in.fake: ALL: spawn echo \"c=%c h=%h s=%s u=%u n=%n c2=%c h2=%h s2=%s H=%H N=%N d=%d\" > SCRATCH/spawned\n", ident: "USERID : UNIX : carol"},
	{name: "G32", allow: "in.fake: ALL: twist echo 'user=%u' ; echo \"$FOO\"\n", ident: "USERID : UNIX : x|y", env: []string{"FOO=from-inetd"}},
	{name: "G34", allow: "in.fake: KNOWN@ALL\n", deny: "ALL: ALL\n", ident: "ERROR : NO-USER"},
	{name: "hostile-user", allow: "in.fake: ALL: rfc931: spawn echo %u > SCRATCH/spawned\n", ident: "USERID : UNIX : a;b$(id)"},
	{name: "user-pattern", allow: "in.fake: alice@127.0.0.1\n", deny: "ALL: ALL\n", ident: "USERID : UNIX : alice"},
}

// generated returns n simple random tables over a small vocabulary.
func generated(n int) []diffCase {
	r := rand.New(rand.NewPCG(7, 1))
	daemons := []string{"ALL", "in.fake", "sshd", "in.f*", "ALL EXCEPT in.fake", "in.", "KNOWN", "ALL EXCEPT sshd"}
	clients := []string{"ALL", "127.0.0.1", "127.0.0.2", "127.", "127.0.0.0/255.255.255.0", "127.0.0.0/24",
		"LOCAL", "KNOWN", "UNKNOWN", "localhost", ".example.com", "ALL EXCEPT 127.0.0.1", "127.0.0.?", "[::1]"}
	opts := []string{"", "", "", ": deny", ": allow", ": severity notice", ": spawn echo %a %d %c %h >> SCRATCH/spawned",
		": setenv FOO %a", ": twist echo hi %a", ": keepalive: umask 0", ": banners SCRATCH/ban"}
	rule := func() string {
		return fmt.Sprintf("%s: %s%s\n", daemons[r.IntN(len(daemons))], clients[r.IntN(len(clients))], opts[r.IntN(len(opts))])
	}
	table := func() string {
		var b strings.Builder
		for range r.IntN(3) {
			b.WriteString(rule())
		}
		return b.String()
	}
	var cs []diffCase
	for i := range n {
		cs = append(cs, diffCase{
			name:   fmt.Sprintf("gen%02d", i),
			allow:  table(),
			deny:   table(),
			hosts:  "127.0.0.1 localhost\n127.0.0.3 good.example.com\n",
			client: []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}[r.IntN(3)],
			files:  map[string]string{"ban/in.fake": "banner %d %a\n"},
		})
	}
	return cs
}

func TestDiffDebian(t *testing.T) {
	if ok, why := tcpdtest.DebianAvailable(); !ok {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("Debian's tcpd sleeps 5 s on every refusal")
	}
	cases := append(append([]diffCase{}, gCases...), generated(40)...)
	t.Run("group", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				compareRuns(t, c)
			})
		}
	})
}

func TestDiffDebianIdent(t *testing.T) {
	if ok, why := tcpdtest.DebianAvailable(); !ok {
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("Debian's tcpd sleeps 5 s on every refusal")
	}
	for _, c := range identCases {
		t.Run(c.name, func(t *testing.T) {
			identd(t, "127.0.0.1", c.ident)
			compareRuns(t, c)
		})
	}
}

// outcome is what is compared of one run.
type outcome struct {
	log      string
	received string
	exit     int
	left     bool
	files    string
}

func runOne(t *testing.T, c diffCase, program string) (outcome, tcpdtest.Result) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	sub := func(s string) string { return strings.ReplaceAll(s, "SCRATCH", dir) }
	for name, data := range c.files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(sub(data)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	argv0 := c.argv0
	if argv0 == "" {
		argv0 = tcpdtest.FakeDaemon(t)
	}
	var args []string
	for _, a := range c.args {
		args = append(args, sub(a))
	}
	r := tcpdtest.Run(t, tcpdtest.Spec{
		Program: program, Argv0: argv0, Args: args,
		Allow: sub(c.allow), Deny: sub(c.deny), Hosts: c.hosts,
		ClientAddr: c.client, Network: c.network, ServerPort: c.port,
		Send: []byte(c.send), Env: c.env, Namespace: true, Dir: dir,
	})
	unsub := func(s string) string {
		s = strings.ReplaceAll(s, dir, "SCRATCH")
		if r.ClientPort != 0 {
			s = strings.ReplaceAll(s, fmt.Sprint(r.ClientPort), "<CLIENT_PORT>")
		}
		return s
	}
	o := outcome{received: unsub(string(r.Received)), exit: r.Exit, left: r.DatagramLeft}
	var logs []string
	for _, l := range r.LogStrings() {
		logs = append(logs, unsub(l))
	}
	o.log = strings.Join(logs, "\n")
	if b, err := os.ReadFile(filepath.Join(dir, "spawned")); err == nil {
		o.files = unsub(string(b))
	}
	o.log = maskPIDs(o.log)
	return o, r
}

// maskPIDs hides the process numbers that differ between runs ("process
// 1234 exited with signal 9").
func maskPIDs(s string) string {
	f := strings.Fields(s)
	for i := 1; i < len(f); i++ {
		if f[i-1] == "process" {
			s = strings.ReplaceAll(s, "process "+f[i]+" ", "process <pid> ")
		}
	}
	return s
}

func compareRuns(t *testing.T, c diffCase) {
	t.Helper()
	deb, dr := runOne(t, c, tcpdtest.DebianTcpd)
	our, or := runOne(t, c, tcpdtest.Ours(t))
	desc := fmt.Sprintf("allow %q deny %q client %s %s", c.allow, c.deny, c.client, c.network)
	differs := false
	errorf := func(format string, args ...any) {
		differs = true
		if c.known != "" {
			t.Logf("known difference: "+format, args...)
			return
		}
		t.Errorf(format, args...)
	}
	defer func() {
		if c.known != "" && !differs {
			t.Logf("known difference %q no longer shows: remove it from the case", c.known)
		}
	}()
	if deb.log != our.log {
		errorf("%s\nsyslog differs:\nDebian:\n  %s\nours:\n  %s", desc,
			strings.ReplaceAll(deb.log, "\n", "\n  "), strings.ReplaceAll(our.log, "\n", "\n  "))
	}
	if deb.received != our.received {
		errorf("%s\nclient received:\nDebian %q\nours   %q", desc, deb.received, our.received)
	}
	if deb.exit != our.exit {
		errorf("%s\nexit status: Debian %d, ours %d", desc, deb.exit, our.exit)
	}
	if deb.left != our.left {
		errorf("%s\ndatagram left queued: Debian %v, ours %v", desc, deb.left, our.left)
	}
	if deb.files != our.files {
		errorf("%s\nSCRATCH/spawned:\nDebian %q\nours   %q", desc, deb.files, our.files)
	}
	t.Logf("elapsed: Debian %v, ours %v", dr.Elapsed.Round(1e8), or.Elapsed.Round(1e8))
}
