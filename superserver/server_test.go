package superserver_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tcpwrap/ident"
	"tcpwrap/ident/identtest"
	"tcpwrap/internal/loopback"
	"tcpwrap/internal/tcpdtest"
	"tcpwrap/superserver"
)

// currentUmask reads the process's umask.
func currentUmask() int {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return m
}

// groupsString is the groups a service of a "root" entry runs with: as
// root, root's groups by initgroups; otherwise the entries run as
// ourselves, with our groups.
func groupsString() string {
	gs, _ := os.Getgroups()
	if os.Geteuid() == 0 {
		gs, _ = superserver.SystemAccounts{}.Groups("root", 0)
	}
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = strconv.Itoa(g)
	}
	return strings.Join(s, ",")
}

// fakeOutput is what the fake daemon (tcpdtest's in.fake) reports when
// nothing was changed for it: our credentials and umask.
func fakeOutput(argv ...string) string {
	var b strings.Builder
	b.WriteString("ARGV:")
	for _, a := range argv {
		fmt.Fprintf(&b, " [%s]", a)
	}
	fmt.Fprintf(&b, "\nDAEMON uid=%d gid=%d groups=[%s] umask=%03o nice=0 keepalive=0 linger=(0, 0) FOO=None\n",
		os.Getuid(), os.Getgid(), groupsString(), currentUmask())
	return b.String()
}

func TestProgram(t *testing.T) {
	h := start(t, setup{nports: 3})
	script := h.writeFile("svc.sh", "#!/bin/sh\necho \"addr=$REMOTE_ADDR\"\nenv | sort\nexit 3\n")
	os.Chmod(script, 0o755)
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /bin/echo echo hi there\n"+
		"127.0.0.1:{P1} stream tcp4 nowait root /bin/cat cat\n"+
		"127.0.0.1:{P2} stream tcp4 nowait root {DIR}/svc.sh svc\n", true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "hi there\n" {
		t.Errorf("echo: %q", got)
	}
	if e := h.obs.nextEnd(t); e.Kind != "program" || e.Status == nil || !e.Status.Exited || e.Status.Code != 0 || e.PID == 0 {
		t.Errorf("echo session end %+v", e)
	}
	if got := mustExchange(t, "127.0.0.2", h.addr(1), "some\ndata\n"); got != "some\ndata\n" {
		t.Errorf("cat: %q", got)
	}
	h.obs.nextEnd(t)
	got := mustExchange(t, "127.0.0.3", h.addr(2), "")
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) == 0 || lines[0] != "addr=127.0.0.3" {
		t.Fatalf("script said %q", got)
	}
	// A clean environment: PATH, the client, and what sh adds itself.
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, "=")
		switch name {
		case "PATH", "REMOTE_ADDR", "REMOTE_PORT", "PWD", "SHLVL", "_":
		default:
			t.Errorf("the service's environment has %q", l)
		}
	}
	e := h.obs.nextEnd(t)
	if e.Status == nil || e.Status.Code != 3 || e.Client.Addr().String() != "127.0.0.3" {
		t.Errorf("script session end %+v", e)
	}
	// The session end is in the structured trail.
	waitFileContains(t, h.json, fmt.Sprintf(`"event":"session-end","service":"127.0.0.1:%d/tcp4","kind":"program","server":{"addr":"127.0.0.1","port":%d},"client":{"addr":"127.0.0.3",`, h.ports[2], h.ports[2]))
	waitFileContains(t, h.json, `"exit":{"exited":true,"code":3}}`)
}

func waitFileContains(t *testing.T, path, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no %q:\n%s", path, text, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAccessPerService(t *testing.T) {
	h := start(t, setup{nports: 2,
		allow: "echo: 127.0.0.1 127.0.0.3 [::1]\ncat: 127.0.0.2\n",
		deny:  "ALL: ALL\n"})
	p6 := freePort(t, "tcp6", "::1")
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /bin/echo hello\n"+
		"127.0.0.1:{P1} stream tcp4 nowait root /usr/sbin/tcpd /bin/cat\n"+
		fmt.Sprintf("[::1]:%d stream tcp6 nowait root /usr/sbin/tcpd /bin/echo hello\n", p6), true); err != nil {
		t.Fatal(w, err)
	}
	cases := []struct {
		client, addr, daemon, send, want string
	}{
		{"127.0.0.1", h.addr(0), "echo", "", "hello\n"},
		{"127.0.0.2", h.addr(0), "echo", "", ""},
		{"127.0.0.3", h.addr(0), "echo", "", "hello\n"},
		{"127.0.0.4", h.addr(0), "echo", "", ""},
		{"127.0.0.5", h.addr(0), "echo", "", ""},
		{"127.0.0.1", h.addr(1), "cat", "x", ""},
		{"127.0.0.2", h.addr(1), "cat", "x", "x"},
		{"127.0.0.3", h.addr(1), "cat", "x", ""},
		{"::1", fmt.Sprintf("[::1]:%d", p6), "echo", "", "hello\n"},
	}
	for _, c := range cases {
		t.Run(c.daemon+"/"+c.client, func(t *testing.T) {
			got := mustExchange(t, c.client, c.addr, c.send)
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
			line := fmt.Sprintf("[daemon.info] %s[PID]: connect from %s (%s)", c.daemon, c.client, c.client)
			if c.want == "" {
				line = fmt.Sprintf("[daemon.warning] %s[PID]: refused connect from %s (%s)", c.daemon, c.client, c.client)
			}
			h.log.WaitFor(t, line)
		})
	}
	// One line per decision, nothing more.
	if n := len(h.log.Matching("connect from")); n != len(cases) {
		t.Errorf("%d decision lines for %d connections:\n%s", n, len(cases), strings.Join(h.log.Lines(), "\n"))
	}
}

func TestOptions(t *testing.T) {
	fake := tcpdtest.FakeDaemon(t)
	h := start(t, setup{nports: 1})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd "+fake+" -x\n", true); err != nil {
		t.Fatal(w, err)
	}
	umask := currentUmask()
	cases := []struct {
		name        string
		allow, deny string
		files       map[string]string
		want        string   // what the client receives
		log         []string // lines expected, in order
		spawned     string   // content of DIR/spawned
	}{
		{name: "process options",
			allow: "in.fake: ALL: umask 027: nice 7: setenv FOO  bar baz %a : keepalive: linger 9: severity auth.notice\n",
			want: strings.NewReplacer("umask="+fmt.Sprintf("%03o", umask), "umask=027", "nice=0", "nice=7", "keepalive=0", "keepalive=1",
				"linger=(0, 0)", "linger=(1, 9)", "FOO=None", `FOO="bar baz 127.0.0.1"`).Replace(fakeOutput("in.fake", "-x")),
			log: []string{"[auth.notice] in.fake[PID]: connect from 127.0.0.1 (127.0.0.1)"}},
		{name: "banners",
			allow: "in.fake: ALL: banners {DIR}/ban\n",
			files: map[string]string{"ban/in.fake": "Welcome %h to %d\n"},
			want:  "Welcome 127.0.0.1 to in.fake\r\n" + fakeOutput("in.fake", "-x")},
		{name: "spawn",
			allow:   "in.fake: ALL: spawn (echo %d %a; readlink /proc/$$/fd/0; grep SigIgn /proc/$$/status) > {DIR}/spawned\n",
			want:    fakeOutput("in.fake", "-x"),
			spawned: "in.fake 127.0.0.1\n/dev/null\nSigIgn:\t0000000000000001\n"},
		{name: "twist",
			allow: "in.fake: ALL: twist /bin/echo twisted %a %d\n",
			want:  "twisted 127.0.0.1 in.fake\n",
			log:   []string{"[daemon.warning] in.fake[PID]: twist 127.0.0.1 to /bin/echo twisted 127.0.0.1 in.fake"}},
		{name: "spawn in deny",
			deny:    "ALL: ALL: spawn echo refused %c %d > {DIR}/spawned\n",
			want:    "",
			log:     []string{"[daemon.warning] in.fake[PID]: refused connect from 127.0.0.1 (127.0.0.1)"},
			spawned: "refused 127.0.0.1 in.fake\n"},
		// A failed aclexec ends the scan of its table (here: the
		// allow rule after it is not reached), then the deny table.
		{name: "aclexec",
			allow: "in.fake: ALL: aclexec test %a = 127.0.0.9\nin.fake: ALL\n",
			deny:  "ALL: ALL\n",
			want:  "",
			log: []string{"[daemon.info] in.fake[PID]: aclexec returned 1",
				"[daemon.warning] in.fake[PID]: refused connect from 127.0.0.1 (127.0.0.1)"}},
		{name: "unknown option",
			allow: "in.fake: ALL: frobnicate\n",
			want:  "",
			log: []string{`[daemon.err] in.fake[PID]: error: ` + "{DIR}/hosts.allow" + `, line 1: bad option name: "frobnicate"`,
				"[daemon.warning] in.fake[PID]: refused connect from 127.0.0.1 (127.0.0.1)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(filepath.Join(h.dir, "spawned"))
			h.writeFile("hosts.allow", h.expand(c.allow))
			h.writeFile("hosts.deny", h.expand(c.deny))
			for name, text := range c.files {
				os.MkdirAll(filepath.Dir(filepath.Join(h.dir, name)), 0o755)
				h.writeFile(name, text)
			}
			h.engine.Reload()
			before := len(h.log.Lines())
			got := mustExchange(t, "127.0.0.1", h.addr(0), "")
			if got != c.want {
				t.Errorf("client got\n%q\nwant\n%q", got, c.want)
			}
			for _, l := range c.log {
				h.log.WaitFor(t, h.expand(l))
			}
			if len(c.log) > 0 {
				var mine []string
				for _, l := range h.log.Lines()[before:] {
					if strings.Contains(l, "in.fake[") {
						mine = append(mine, l)
					}
				}
				if strings.Join(mine, "\n") != h.expand(strings.Join(c.log, "\n")) {
					t.Errorf("log:\n  %s\nwant:\n  %s", strings.Join(mine, "\n  "), h.expand(strings.Join(c.log, "\n  ")))
				}
			}
			if c.spawned != "" {
				b, _ := os.ReadFile(filepath.Join(h.dir, "spawned"))
				if string(b) != c.spawned {
					t.Errorf("spawned %q, want %q", b, c.spawned)
				}
			}
			// The super-server's own process is untouched.
			if m := currentUmask(); m != umask {
				t.Errorf("our umask changed to %03o", m)
			}
			if v, ok := os.LookupEnv("FOO"); ok {
				t.Errorf("our environment got FOO=%q", v)
			}
			if p, _ := syscall.Getpriority(syscall.PRIO_PROCESS, 0); 20-p != 0 {
				t.Errorf("our nice value is %d", 20-p)
			}
		})
	}
}

func TestIdent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("port 113 needs root")
	}
	const client = "127.0.0.5"
	l, err := net.Listen("tcp", client+":113")
	if err != nil {
		t.Skipf("%s:113 is busy: %v", client, err)
	}
	l.Close()
	identtest.Start(t, client+":113", func(q string) string {
		return strings.TrimRight(q, "\r\n") + " : USERID : UNIX : a;b$(id)\r\n"
	})
	h := start(t, setup{nports: 1, cfg: superserver.Config{Ident: identLookup{}}})
	h.writeFile("hosts.allow", h.expand("echo: ALL: rfc931 3: spawn echo %u > {DIR}/spawned\n"))
	h.engine.Reload()
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /bin/echo hi\n", true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, client, h.addr(0), ""); got != "hi\n" {
		t.Errorf("got %q", got)
	}
	h.log.WaitFor(t, "[daemon.info] echo[PID]: connect from a_b__id_@127.0.0.5 (127.0.0.5)") // sanitised by the spawn, as in tcpd
	b, _ := os.ReadFile(filepath.Join(h.dir, "spawned"))
	if string(b) != "a_b__id_\n" {
		t.Errorf("the spawned command saw %%u = %q", b)
	}
}

type identLookup struct{}

func (identLookup) User(client, server netip.AddrPort, timeout time.Duration) string {
	return ident.Lookup(client, server, timeout)
}

func TestUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("switching users needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	daemonGroup, err := user.LookupGroup("daemon")
	if err != nil {
		t.Skip("no group daemon")
	}
	// A group file of the test's own lists nobody in an extra group, for
	// the supplementary groups, without touching /etc/group.
	groupFile := filepath.Join(t.TempDir(), "group")
	if err := os.WriteFile(groupFile, []byte("nogroup:x:"+nobody.Gid+":\ntestgrp:x:4242:root,nobody\nother:x:4243:root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h2 := start(t, setup{nports: 5, cfg: superserver.Config{Accounts: superserver.SystemAccounts{GroupFile: groupFile}},
		allow: "id: 127.0.0.3: user nobody\nid: 127.0.0.4: group daemon\nid: 127.0.0.5: nice 3: umask 077: user nobody\nid: ALL: allow\n"})
	if w, err := h2.load("127.0.0.1:{P0} stream tcp4 nowait nobody /usr/bin/id id\n"+
		"127.0.0.1:{P1} stream tcp4 nowait nobody:daemon /usr/bin/id id\n"+
		"127.0.0.1:{P2} stream tcp4 nowait root /usr/sbin/tcpd /usr/bin/id\n"+
		"127.0.0.1:{P3} stream tcp4 nowait nobody /usr/sbin/tcpd /usr/bin/id\n"+
		"127.0.0.1:{P4} stream tcp4 nowait nobody /usr/bin/id id -G\n", true); err != nil {
		t.Fatal(w, err)
	}
	ng := nobody.Gid
	cases := []struct{ name, client, addr, want string }{
		{"entry user", "127.0.0.1", h2.addr(0), "uid=" + nobody.Uid + "(nobody) gid=" + ng + "(nogroup) groups=" + ng + "(nogroup),4242\n"},
		{"entry user:group", "127.0.0.1", h2.addr(1), "uid=" + nobody.Uid + "(nobody) gid=" + daemonGroup.Gid + "(daemon) groups=" + daemonGroup.Gid + "(daemon),4242\n"},
		{"user option", "127.0.0.3", h2.addr(2), "uid=" + nobody.Uid + "(nobody) gid=" + ng + "(nogroup) groups=" + ng + "(nogroup),4242\n"},
		// The same through the exec helper (for nice and umask): every
		// credential change reaches the program.
		{"user option with nice", "127.0.0.5", h2.addr(2), "uid=" + nobody.Uid + "(nobody) gid=" + ng + "(nogroup) groups=" + ng + "(nogroup),4242\n"},
		{"group option", "127.0.0.4", h2.addr(2), "uid=0(root) gid=" + daemonGroup.Gid + "(daemon) groups=\n"},
		{"supplementary groups", "127.0.0.1", h2.addr(4), ng + " 4242\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := mustExchange(t, c.client, c.addr, "")
			if c.name == "group option" {
				// id prints no groups= part for an empty list on some
				// versions: compare the ids only.
				if !strings.HasPrefix(got, "uid=0(root) gid="+daemonGroup.Gid+"(daemon)") || strings.Contains(got, "groups=0") {
					t.Errorf("got %q", got)
				}
				return
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	// tcpd run as nobody cannot switch users: tcpd's error, no service.
	t.Run("user option under nobody", func(t *testing.T) {
		if got := mustExchange(t, "127.0.0.3", h2.addr(3), ""); got != "" {
			t.Errorf("got %q", got)
		}
		h2.log.WaitFor(t, "[daemon.err] id[PID]: error: setgroups(nobody): Operation not permitted")
	})
}

func TestRlimits(t *testing.T) {
	h := start(t, setup{nports: 1, cfg: superserver.Config{Rlimits: []superserver.Rlimit{
		mustRlimit(t, "nofile=64:128"), mustRlimit(t, "core=0")}}})
	script := h.writeFile("limits.sh", "#!/bin/sh\nulimit -Sn\nulimit -Hn\nulimit -c\n")
	os.Chmod(script, 0o755)
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root {DIR}/limits.sh limits\n", true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, "127.0.0.1", h.addr(0), ""); got != "64\n128\n0\n" {
		t.Errorf("limits %q, want 64, 128, 0", got)
	}
}

func mustRlimit(t *testing.T, s string) superserver.Rlimit {
	r, err := superserver.ParseRlimit(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDatagramProgram(t *testing.T) {
	fake := tcpdtest.FakeDaemon(t)
	h := start(t, setup{nports: 1, udp: true, allow: "in.fake: 127.0.0.1 127.0.0.4\n", deny: "ALL: ALL\n"})
	if w, err := h.load("127.0.0.1:{P0} dgram udp4 wait root /usr/sbin/tcpd "+fake+"\n", true); err != nil {
		t.Fatal(w, err)
	}
	ask := func(src, send string) (string, bool) {
		c, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(src), 0)),
			net.UDPAddrFromAddrPort(netip.MustParseAddrPort(h.addr(0))))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(send))
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 65536)
		n, err := c.Read(buf)
		return string(buf[:n]), err == nil
	}
	want := strings.TrimSuffix(fakeOutput("in.fake"), "\n") + ` got="dgram1"` + "\n"
	if got, ok := ask("127.0.0.1", "dgram1"); !ok || got != want {
		t.Errorf("127.0.0.1 got %q (%v), want %q", got, ok, want)
	}
	h.log.WaitFor(t, "[daemon.info] in.fake[PID]: connect from 127.0.0.1 (127.0.0.1)")
	if got, ok := ask("127.0.0.2", "dgram1"); ok {
		t.Errorf("127.0.0.2 was answered %q", got)
	}
	h.log.WaitFor(t, "[daemon.warning] in.fake[PID]: refused connect from 127.0.0.2 (127.0.0.2)")
	// The refused datagram was read: the next client is served.
	if got, ok := ask("127.0.0.4", "dgram1"); !ok || got != want {
		t.Errorf("127.0.0.4 got %q (%v)", got, ok)
	}
}

func TestRedirect(t *testing.T) {
	target := loopback.ServeTCP(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		fmt.Fprintf(c, "got %d bytes: %s\n", len(b), strings.ToUpper(string(b)))
	})
	h := start(t, setup{nports: 3, allow: "fwd broken: 127.0.0.1\n", deny: "ALL: ALL\n"})
	tp := target.Port
	if w, err := h.load(fmt.Sprintf("127.0.0.1:{P0} stream tcp4 nowait root redirect fwd 127.0.0.1:%d\n", tp)+
		"127.0.0.1:{P1} stream tcp4 nowait root redirect broken 127.0.0.1:{P2}\n", true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, "127.0.0.1", h.addr(0), "hello world"); got != "got 11 bytes: HELLO WORLD\n" {
		t.Errorf("got %q", got)
	}
	e := h.obs.nextEnd(t)
	if e.Kind != "redirect" || e.BytesIn != 11 || e.BytesOut != 26 || e.Daemon != "fwd" {
		t.Errorf("session end %+v", e)
	}
	h.log.WaitFor(t, "[daemon.info] fwd[PID]: connect from 127.0.0.1 (127.0.0.1)")
	waitFileContains(t, h.json, `"daemon":"fwd","kind":"redirect","server":{"addr":"127.0.0.1",`)
	waitFileContains(t, h.json, `"bytes_in":11,"bytes_out":26}`)
	// Refused: the target never hears of it.
	if got := mustExchange(t, "127.0.0.2", h.addr(0), "x"); got != "" {
		t.Errorf("refused client got %q", got)
	}
	h.log.WaitFor(t, "[daemon.warning] fwd[PID]: refused connect from 127.0.0.2 (127.0.0.2)")
	// A target that does not answer.
	if got := mustExchange(t, "127.0.0.1", h.addr(1), "x"); got != "" {
		t.Errorf("got %q from a dead target", got)
	}
	h.log.WaitFor(t, fmt.Sprintf("[daemon.err] broken[PID]: error: redirect to 127.0.0.1:%d: dial tcp 127.0.0.1:%d: connect: connection refused", h.ports[2], h.ports[2]))
}

func TestLoadProblems(t *testing.T) {
	h := start(t, setup{nports: 1})
	cases := []struct{ conf, want string }{
		{"127.0.0.1:{P0} stream tcp4 nowait nosuchuser /bin/echo echo\n", `unknown user "nosuchuser"`},
		{"127.0.0.1:{P0} stream tcp4 nowait root:nosuchgroup /bin/echo echo\n", `unknown group "nosuchgroup"`},
		{"127.0.0.1:{P0} stream tcp4 nowait root /nonexistent/prog prog\n", "server /nonexistent/prog: no such file or directory"},
		{"127.0.0.1:{P0} stream tcp4 nowait root /etc/passwd passwd\n", "server /etc/passwd is not an executable file"},
		{"127.0.0.1:{P0} stream tcp4 nowait root relative prog\n", `server "relative" is not an absolute path`},
		{"127.0.0.1:{P0} stream tcp4 nowait root redirect sshd\n", "needs a daemon name and a target"},
		{"127.0.0.1:{P0} stream tcp4 nowait root redirect sshd 127.0.0.1:0\n", "port 0 is out of range"},
		{"127.0.0.1:{P0} stream tcp4 wait root redirect sshd 127.0.0.1:22\n", "must be nowait"},
		{"127.0.0.1:{P0} dgram udp4 wait root redirect sshd 127.0.0.1:22\n", "stream services only"},
		{"127.0.0.1:{P0} stream tcp4 nowait root /usr/sbin/tcpd /nonexistent/in.x\n", "server /nonexistent/in.x: no such file"},
	}
	for _, c := range cases {
		w, err := h.load(c.conf, true)
		if err == nil || len(w) != 1 || !strings.Contains(w[0].String(), c.want) || !strings.HasPrefix(w[0].String(), "inetd.conf:1: ") {
			t.Errorf("%q: warnings %v, error %v; want one with %q", c.conf, w, err, c.want)
		}
		if len(h.srv.Listeners()) != 0 {
			t.Errorf("%q: rejected, but listeners %v", c.conf, h.srv.Listeners())
		}
	}
}

// A program gets its socket as inetd gives it: Nagle's algorithm on
// (Go's accept turns it off for its own connections), whether it runs as
// the service or as a twist command.
func TestProgramSocketNagle(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed to read the socket option: ", err)
	}
	script := filepath.Join(t.TempDir(), "nodelay.py")
	os.WriteFile(script, []byte("import socket\n"+
		"s = socket.socket(fileno=0)\n"+
		"print('nodelay=%d' % s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), flush=True)\n"), 0o644)
	h := start(t, setup{nports: 2, allow: "true: ALL: twist " + python + " " + script + "\n"})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root "+python+" python3 "+script+"\n"+
		"127.0.0.1:{P1} stream tcp4 nowait root /usr/sbin/tcpd /bin/true\n", true); err != nil {
		t.Fatal(w, err)
	}
	for i := 0; i < 2; i++ {
		if got := mustExchange(t, "127.0.0.1", h.addr(i), ""); got != "nodelay=0\n" {
			t.Errorf("service %d: the program saw %q, want nodelay=0", i, got)
		}
	}
}

// A stream "wait" program gets the listening socket and accepts by
// itself; one that fails at once without accepting is started again
// after a pause that doubles, not in a loop, and each run's session end
// has its start and a duration.
func TestStreamWait(t *testing.T) {
	h := start(t, setup{nports: 2})
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3")
	}
	good := h.writeFile("accept.py", "#!/usr/bin/env python3\nimport socket\n"+
		"l = socket.socket(fileno=0)\nc, a = l.accept()\nc.sendall(b'accepted ' + a[0].encode() + b'\\n')\nc.close()\n")
	bad := h.writeFile("fail.sh", "#!/bin/sh\necho run >> "+filepath.Join(h.dir, "runs")+"\nexit 1\n")
	os.Chmod(good, 0o755)
	os.Chmod(bad, 0o755)
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 wait root {DIR}/accept.py accept\n"+
		"127.0.0.1:{P1} stream tcp4 wait root {DIR}/fail.sh fail\n", true); err != nil {
		t.Fatal(w, err)
	}
	if got := mustExchange(t, "127.0.0.2", h.addr(0), ""); got != "accepted 127.0.0.2\n" {
		t.Errorf("wait program answered %q", got)
	}
	e := h.obs.nextEnd(t)
	if e.Kind != "program" || e.Start.IsZero() || e.Duration <= 0 || e.Duration > 10*time.Second {
		t.Errorf("session end %+v: want a start and a duration", e)
	}
	// The failing one: its connection stays pending, so it is started
	// again and again; in 1.5 s with pauses of 0.1, 0.2, 0.4 and 0.8 s
	// that is at most 5 runs.
	c, err := net.Dial("tcp", h.addr(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(1500 * time.Millisecond)
	b, _ := os.ReadFile(filepath.Join(h.dir, "runs"))
	if n := strings.Count(string(b), "run"); n < 2 || n > 6 {
		t.Errorf("the failing wait program ran %d times in 1.5 s; want 2 to 6 (pauses that double)", n)
	}
	e = h.obs.nextEnd(t)
	if e.Start.IsZero() || e.Duration > time.Second || e.Status == nil || e.Status.Code != 1 {
		t.Errorf("failed run's session end %+v", e)
	}
}

// Config.Env with a name given twice has it once, with the last value;
// REMOTE_ADDR and REMOTE_PORT are the client's whatever Env says.
func TestProgramEnvOneEntryAName(t *testing.T) {
	h := start(t, setup{nports: 1, cfg: superserver.Config{Env: []string{
		"PATH=/first", "FOO=1", "REMOTE_ADDR=spoofed", "PATH=/usr/bin:/bin", "FOO=2", "REMOTE_PORT=1"}}})
	if w, err := h.load("127.0.0.1:{P0} stream tcp4 nowait root /usr/bin/env env\n", true); err != nil {
		t.Fatal(w, err)
	}
	got := mustExchange(t, "127.0.0.4", h.addr(0), "")
	h.obs.nextEnd(t)
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		name, _, _ := strings.Cut(l, "=")
		count[name]++
	}
	for _, want := range []string{"PATH=/usr/bin:/bin\n", "FOO=2\n", "REMOTE_ADDR=127.0.0.4\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("environment has no %q:\n%s", want, got)
		}
	}
	for name, n := range count {
		if n > 1 {
			t.Errorf("%s is in the environment %d times:\n%s", name, n, got)
		}
	}
	if strings.Contains(got, "spoofed") || strings.Contains(got, "REMOTE_PORT=1\n") {
		t.Errorf("Env's REMOTE_ values reached the program:\n%s", got)
	}
}
