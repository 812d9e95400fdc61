package inetcf_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"tcpwrap/internal/inetcf"
)

// The expectations in this file were observed from Debian 7.6.q-32
// /usr/sbin/tcpdmatch (and tcpdchk where said) on Debian 12, run as
//
//	tcpdmatch -d -i C/inetd.conf <daemon> 1.2.3.4
//
// inside a private mount namespace with a chroot whose /dev/log was a
// recording datagram socket, so that the syslog records (user.err) could
// be read. C stands for the directory holding the inetd.conf, which was
// also the working directory. Each case's file-system tree (env) is
// rebuilt in a fake FS exactly as it was in the experiment; see
// debianTree. "want" is every record logged before the daemon check,
// byte for byte; "daemons" gives, per daemon operand, the final record
// tcpdmatch logged about it ("" for none).

// tcpdLine starts an entry that runs its argv through /usr/sbin/tcpd.
const tcpdLine = "svc stream tcp nowait root /usr/sbin/tcpd "

// far returns an entry whose argv[0], in.far0123456789, ends at byte
// total of the line (not counting the newline).
func far(total int) string {
	const a = "in.far0123456789"
	const l = "svc stream tcp nowait root /usr/sbin/tcpd"
	return l + strings.Repeat(" ", total-len(l)-len(a)) + a + "\n"
}

type daemonCheck struct {
	daemon string
	want   string
}

type observedCase struct {
	name    string
	env     string
	conf    string
	want    []string
	daemons []daemonCheck
}

// debianTree rebuilds the file system the experiments ran in. "base" is
// the stock Debian tree plus the test fixtures under /tmp/exp; "sb2" has
// a world-writable /usr/sbin with a few extra programs; "sb2loop" adds a
// symlink loop /usr/sbin/rexd; "root777" makes / world writable;
// "nobody" is base seen by uid 65534 (the private directory is EACCES).
func debianTree(env, cwd string) *fakeFS {
	f := newFakeFS(cwd)
	f.set(cwd, dir(0o755))
	for _, p := range []string{"tcpd", "tcpdchk", "tcpdmatch", "try-from"} {
		f.set("/usr/sbin/"+p, file(0o755))
	}
	f.set("/bin/true", file(0o755))
	f.set("/tmp", dir(0o1777))
	f.set("/tmp/exp/ww", dir(0o777))
	f.set("/tmp/exp/ww/a", dir(0o777))
	f.set("/tmp/exp/ww/a/b/tcpd", file(0o777))
	f.set("/tmp/exp/ww/a/b/daemon", file(0o777))
	f.set("/tmp/exp/suid/tcpd", file(0o4755))
	f.set("/tmp/exp/suid/prog", file(0o4755))
	f.set("/tmp/exp/sgid/tcpd", file(0o2755))
	f.set("/tmp/exp/ww2/tcpd", file(0o4777))
	f.set("/tmp/exp/perm/p700", file(0o700))
	f.set("/tmp/exp/perm/p001", file(0o601))
	f.set("/tmp/exp/perm/p010", file(0o610))
	f.set("/tmp/exp/perm/p100", file(0o100))
	f.set("/tmp/exp/perm/priv/x", file(0o755))
	f.set("/tmp/exp/perm/priv", dir(0o700))
	switch env {
	case "base":
	case "sb2", "sb2loop":
		f.set("/usr/sbin", dir(0o777))
		f.set("/usr/sbin/wwd", file(0o777))
		f.set("/usr/sbin/noexec", file(0o644))
		f.set("/usr/sbin/dir", dir(0o755))
		f.set("/usr/sbin/d777", dir(0o777))
		f.set("/usr/sbin/d777/y", file(0o644))
		if env == "sb2loop" {
			f.set("/usr/sbin/rexd", fail(syscall.ELOOP))
		}
	case "root777":
		f.set("/", dir(0o777))
	case "nobody":
		f.set("/tmp/exp/perm/priv/x", fail(syscall.EACCES))
	default:
		panic("unknown env " + env)
	}
	return f
}

// runTcpdmatch does what Debian's tcpdmatch does with the scan: Scan,
// then force portmap and rpcbind to not wrapped.
func runTcpdmatch(t *testing.T, fsys inetcf.FS, conf string) (*inetcf.Table, []string) {
	t.Helper()
	tab, warnings, err := inetcf.Scan(fsys, conf, "")
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for _, n := range inetcf.TcpdmatchNotWrapped {
		tab.Register(n, inetcf.NotWrapped)
	}
	return tab, warnings
}

func diff(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	t.Errorf("warnings differ\n got: %q\nwant: %q", got, want)
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("first difference at %d:\n got: %q\nwant: %q", i, g, w)
			return
		}
	}
}

func TestObservedTcpdmatch(t *testing.T) {
	for _, tc := range observed {
		t.Run(tc.name, func(t *testing.T) {
			cdir := "/tmp/exp/c/" + tc.name
			fsys := debianTree(tc.env, cdir)
			fsys.set(cdir+"/inetd.conf", fileData(0o644, tc.conf))
			subst := func(s string) string { return strings.ReplaceAll(s, "C/", cdir+"/") }
			tab, got := runTcpdmatch(t, fsys, cdir+"/inetd.conf")
			var want []string
			for _, w := range tc.want {
				want = append(want, subst(w))
			}
			diff(t, got, want)
			if tab.Name() != cdir+"/inetd.conf" {
				t.Errorf("Name() = %q", tab.Name())
			}
			for _, d := range tc.daemons {
				if got, want := tab.CheckDaemon(d.daemon), subst(d.want); got != want {
					t.Errorf("CheckDaemon(%q) = %q, want %q", d.daemon, got, want)
				}
			}
		})
	}
}

var observed = []observedCase{
	{
		// the F08 file: keys are argv[0] (last component), not the service name
		name: "F08",
		env:  "base",
		conf: "telnet stream tcp nowait root /usr/sbin/tcpd in.telnetd\n" +
			"ftp stream tcp nowait root /usr/sbin/tcpd /usr/sbin/in.ftpd -l\n" +
			"tf stream tcp nowait root /usr/sbin/tcpd try-from\n" +
			"loop stream tcp nowait root /usr/sbin/tcpd tcpd\n" +
			"ins stream tcp nowait root /usr/sbin/tcpd /usr/sbin/tcpdchk tcpdchk\n" +
			"direct stream tcp nowait root /usr/sbin/tcpdmatch tcpdmatch\n" +
			"short stream tcp nowait root /usr/sbin/tcpd\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.telnetd: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: /usr/sbin/in.ftpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 4: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 5: /usr/sbin/tcpd inserted before /usr/sbin/tcpdchk",
			"warning: C/inetd.conf, line 7: incomplete line",
		},
		daemons: []daemonCheck{
			{"try-from", ""},
			{"tcpdmatch", "warning: tcpdmatch: service possibly not wrapped"},
			{"in.telnetd", ""},
			{"in.ftpd", ""},
			{"tcpd", ""},
			{"tcpdchk", ""},
			{"short", "warning: short: no such process name in C/inetd.conf"},
			{"telnet", "warning: telnet: no such process name in C/inetd.conf"},
		},
	},
	{
		// first field stream/dgram: no service name
		name: "no-service-name",
		env:  "base",
		conf: "stream tcp nowait root /usr/sbin/tcpd try-from\n" +
			"dgram udp wait root /usr/sbin/tcpd in.x\n" +
			"Stream tcp nowait root /usr/sbin/tcpd in.y\n",
		want: []string{
			"warning: C/inetd.conf, line 2: in.x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: in.y: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"try-from", ""},
			{"in.x", ""},
			{"in.y", ""},
			{"tcp", "warning: tcp: no such process name in C/inetd.conf"},
		},
	},
	{
		// STREAM, DGRAM, INTERNAL compare case-insensitively
		name: "keywords-fold-case",
		env:  "base",
		conf: "STREAM rpc/tcp wait root /usr/sbin/tcpd x1\n" +
			"DGRAM rpc/tcp wait root /usr/sbin/tcpd x2\n" +
			"stream rpc/tcp wait root /usr/sbin/tcpd x3\n" +
			"svc stream tcp nowait root INTERNAL foo\n" +
			"svc stream tcp nowait root ROOT /usr/sbin/tcpd x4\n",
		want: []string{
			"warning: C/inetd.conf, line 1: x1: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 1: x1: cannot wrap rpc/tcp services",
			"warning: C/inetd.conf, line 2: x2: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: x2: cannot wrap rpc/tcp services",
			"warning: C/inetd.conf, line 3: x3: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: x3: cannot wrap rpc/tcp services",
			"warning: C/inetd.conf, line 5: ROOT: not found: No such file or directory",
		},
		daemons: []daemonCheck{
			{"foo", "warning: foo: no such process name in C/inetd.conf"},
			{"x1", ""},
		},
	},
	{
		// a user field starting with / is the path
		name: "no-user",
		env:  "base",
		conf: "svc stream tcp nowait /usr/sbin/tcpd in.a\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.a", ""},
		},
	},
	{
		// one leading ? is dropped; ?/path in the user position is a user
		name: "question-mark",
		env:  "base",
		conf: "svc stream tcp nowait root ?/usr/sbin/tcpd in.a\n" +
			"svc stream tcp nowait root ??/usr/sbin/tcpd in.b\n" +
			"svc stream tcp nowait ?/usr/sbin/tcpd in.c\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: ?/usr/sbin/tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 2: in.b: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: incomplete line",
		},
		daemons: []daemonCheck{
			{"in.a", ""},
			{"in.b", ""},
			{"in.c", "warning: in.c: no such process name in C/inetd.conf"},
		},
	},
	{
		// internal entries are skipped
		name: "internal",
		env:  "base",
		conf: "svc stream tcp nowait root internal\n" +
			"svc stream tcp nowait root internal foo\n" +
			"svc stream tcp nowait root ?internal bar\n" +
			"svc stream tcp nowait internal\n",
		want: []string{},
		daemons: []daemonCheck{
			{"foo", "warning: foo: no such process name in C/inetd.conf"},
			{"bar", "warning: bar: no such process name in C/inetd.conf"},
			{"internal", "warning: internal: no such process name in C/inetd.conf"},
		},
	},
	{
		// digits-and-dash path is an RPC version; ? is not stripped from the path after it
		name: "rpc-version",
		env:  "base",
		conf: "svc stream tcp nowait root 2-3 /usr/sbin/tcpd in.a\n" +
			"svc stream tcp nowait root 2 /usr/sbin/tcpd in.b\n" +
			"svc stream tcp nowait root - /usr/sbin/tcpd in.c\n" +
			"svc stream tcp nowait root 2-3 ?/usr/sbin/tcpd in.d\n" +
			"svc stream tcp nowait root 2-3 2 /usr/sbin/tcpd in.e\n" +
			"svc stream tcp nowait 2-3 /usr/sbin/tcpd in.f\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: in.b: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: in.c: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 4: ?/usr/sbin/tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 4: in.d: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 5: 2: not found: No such file or directory",
			"warning: C/inetd.conf, line 6: in.f: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.a", ""},
			{"in.b", ""},
			{"in.c", ""},
			{"in.d", ""},
			{"in.e", "warning: in.e: no such process name in C/inetd.conf"},
			{"in.f", ""},
			{"tcpd", "warning: tcpd: service possibly not wrapped"},
		},
	},
	{
		// internal after a version is a path; only digits and - make a version
		name: "rpc-version-2",
		env:  "base",
		conf: "svc stream tcp nowait root 2-3 internal foo\n" +
			"svc stream tcp nowait root 2-3\n" +
			"svc stream tcp nowait root 2-3 /usr/sbin/tcpd\n" +
			"svc stream tcp nowait root 2-3 /bin/true\n" +
			"a stream tcp nowait root 2,3 /usr/sbin/tcpd x1\n" +
			"b stream tcp nowait root 2.3 /usr/sbin/tcpd x2\n",
		want: []string{
			"warning: C/inetd.conf, line 1: internal: not found: No such file or directory",
			"warning: C/inetd.conf, line 3: incomplete line",
			"warning: C/inetd.conf, line 4: incomplete line",
			"warning: C/inetd.conf, line 5: 2,3: not found: No such file or directory",
			"warning: C/inetd.conf, line 6: 2.3: not found: No such file or directory",
		},
		daemons: []daemonCheck{
			{"foo", "warning: foo: service possibly not wrapped"},
			{"internal", "warning: internal: no such process name in C/inetd.conf"},
			{"x1", "warning: x1: no such process name in C/inetd.conf"},
		},
	},
	{
		// a purely numeric argv[0] is an argument count, skipped once
		name: "argc",
		env:  "base",
		conf: "svc stream tcp nowait root /usr/sbin/tcpd 2 in.a -x\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd 2 3 in.b\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd 2\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd -1 in.c\n" +
			"c stream tcp nowait root /usr/sbin/tcpd 0x1 x3\n" +
			"d stream tcp nowait root /usr/sbin/tcpd +1 x4\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: 3: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: incomplete line",
			"warning: C/inetd.conf, line 4: -1: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 5: 0x1: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 6: +1: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.a", ""},
			{"in.b", "warning: in.b: no such process name in C/inetd.conf"},
			{"3", ""},
			{"in.c", "warning: in.c: no such process name in C/inetd.conf"},
		},
	},
	{
		// lines ending before the path are silent; a missing argv[0] is incomplete (before any path check)
		name: "truncated",
		env:  "base",
		conf: "svc\n" +
			"svc stream\n" +
			"svc stream tcp\n" +
			"svc stream tcp nowait\n" +
			"svc stream tcp nowait root\n" +
			"stream\n" +
			"stream tcp nowait root\n" +
			"svc stream tcp nowait /usr/sbin/tcpd\n" +
			"svc stream tcp nowait root ?\n" +
			"svc stream tcp nowait root ? x1\n" +
			"x #c stream tcp nowait /usr/sbin/tcpd x2\n" +
			"svc\rstream\rtcp\rnowait\rroot\r/usr/sbin/tcpd\rx3\n" +
			"svc stream tcp nowait root /nonexist\n" +
			"svc stream tcp nowait root /tmp/exp/ww/a/b/daemon\n" +
			"svc stream tcp nowait root /tmp/exp/ww/a/b/daemon 7\n",
		want: []string{
			"warning: C/inetd.conf, line 8: incomplete line",
			"warning: C/inetd.conf, line 10: incomplete line",
			"warning: C/inetd.conf, line 11: x2: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 12: x3: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 13: incomplete line",
			"warning: C/inetd.conf, line 14: incomplete line",
			"warning: C/inetd.conf, line 15: incomplete line",
		},
		daemons: []daemonCheck{
			{"x1", "warning: x1: no such process name in C/inetd.conf"},
			{"x2", ""},
			{"x3", ""},
		},
	},
	{
		// blank, tab, CR separate fields; VT and FF do not
		name: "separators-comments",
		env:  "base",
		conf: "  # comment x\n" +
			"\t#c\n" +
			"#svc stream tcp nowait root /usr/sbin/tcpd in.hash\n" +
			"  svc stream tcp nowait root /usr/sbin/tcpd in.lead\n" +
			"svc\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\tin.tab\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.cr\r\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.vt\vx\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.ff\fx\n" +
			"\n" +
			"   \n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.after\n",
		want: []string{
			"warning: C/inetd.conf, line 4: in.lead: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 5: in.tab: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 6: in.cr: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 7: in.vt\vx: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 8: in.ff\fx: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 11: in.after: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.hash", "warning: in.hash: no such process name in C/inetd.conf"},
			{"in.lead", ""},
			{"in.tab", ""},
			{"in.cr", ""},
		},
	},
	{
		// backslash-newline joins; a comment swallows the next line; the last line number is quoted
		name: "continuation",
		env:  "base",
		conf: "svc stream tcp nowait root \\\n" +
			"/usr/sbin/tcpd in.cont\n" +
			"#comment\\\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.sw\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.x\\\n" +
			"\\\n" +
			"\\\n" +
			"\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.y\n",
		want: []string{
			"warning: C/inetd.conf, line 2: in.cont: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 8: in.x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 9: in.y: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.sw", "warning: in.sw: no such process name in C/inetd.conf"},
			{"in.cont", ""},
		},
	},
	{
		// an unterminated last line is used, with the previous line number
		name: "no-final-newline",
		env:  "base",
		conf: "svc stream tcp nowait root /usr/sbin/tcpd in.a\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.nonl",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 1: in.nonl: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.nonl", ""},
			{"in.a", ""},
		},
	},
	{
		// a final backslash without newline stays
		name: "final-backslash",
		env:  "base",
		conf: "svc stream tcp nowait root /usr/sbin/tcpd in.a\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.bs\\",
		want: []string{
			"warning: C/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 1: in.bs\\: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.bs", "warning: in.bs: no such process name in C/inetd.conf"},
		},
	},
	{
		// a NUL hides the rest of its line and the next line is appended
		name: "nul-byte",
		env:  "base",
		conf: "svc stream tcp nowait root /usr/sbin/tcpd in.nul\x00zz\n" +
			"svc stream tcp nowait root /usr/sbin/tcpd in.b\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.nulsvc: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.nul", "warning: in.nul: no such process name in C/inetd.conf"},
			{"in.b", "warning: in.b: no such process name in C/inetd.conf"},
		},
	},
	{
		// only 8191 bytes fit; the rest is the next line (line 0 before any newline)
		name: "long-line",
		env:  "base",
		conf: tcpdLine + "in.long " + strings.Repeat("a ", 4500) + "\n" + tcpdLine + "in.after\n",
		want: []string{
			"warning: C/inetd.conf, line 0: in.long: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 1: a: not found: No such file or directory",
			"warning: C/inetd.conf, line 2: in.after: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"a", "warning: a: service possibly not wrapped"},
			{"in.long", ""},
		},
	},
	{
		// 8190 bytes plus newline is one line; 8191 leaves the newline for an empty next line
		name: "long-line-boundary",
		env:  "base",
		conf: far(2046) + far(2047) + far(8190) + far(8191) + far(8200) + tcpdLine + "in.after\n",
		want: []string{
			"warning: C/inetd.conf, line 1: in.far0123456789: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: in.far0123456789: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: in.far0123456789: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: in.far0123456789: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 4: in.far0: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 6: in.after: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"in.far0", ""},
			{"in.far0123456789", ""},
		},
	},
	{
		// world-writable /usr/sbin: path, daemon and lookup stats; maybe/not wrapped; later entries win
		name: "non-tcpd",
		env:  "sb2",
		conf: "l1 stream tcp nowait root /usr/sbin/tcpd wwd\n" +
			"l2 stream tcp nowait root /usr/sbin/tcpd noexec\n" +
			"l3 stream tcp nowait root /usr/sbin/tcpd dir\n" +
			"l4 stream tcp nowait root /usr/sbin/wwd wwd\n" +
			"l5 stream tcp nowait root /bin/true try-from\n" +
			"l6 stream tcp nowait root /bin/true nosuch\n" +
			"l7 stream tcp nowait root /bin/true noexec\n" +
			"l8 stream tcp nowait root /bin/true tcpd/x\n" +
			"l9 stream tcp nowait root /usr/sbin/noexec x9\n" +
			"l10 stream tcp nowait root /usr/sbin/dir x10\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin/wwd: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin/noexec: not executable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin/wwd: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 5: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 7: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 8: /usr/sbin/tcpd/x: file lookup: Not a directory",
			"warning: C/inetd.conf, line 9: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 9: /usr/sbin/noexec: not executable",
			"warning: C/inetd.conf, line 10: /usr/sbin: world writable",
		},
		daemons: []daemonCheck{
			{"wwd", "warning: wwd: service possibly not wrapped"},
			{"noexec", ""},
			{"dir", ""},
			{"try-from", ""},
			{"nosuch", "warning: nosuch: service possibly not wrapped"},
			{"tcpd/x", ""},
			{"x", "warning: x: no such process name in C/inetd.conf"},
			{"x9", "warning: x9: service possibly not wrapped"},
			{"x10", "warning: x10: service possibly not wrapped"},
		},
	},
	{
		// the lookup is <dir>/<argv0> with argv0 raw, registered under its last component
		name: "non-tcpd-absolute-argv0",
		env:  "sb2",
		conf: "n1 stream tcp nowait root /bin/true /usr/sbin/try-from\n" +
			"n2 stream tcp nowait root /bin/true /d777/y\n" +
			"n5 stream tcp nowait root /bin/true wwd/\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin//d777: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin/: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin/wwd/: file lookup: Not a directory",
		},
		daemons: []daemonCheck{
			{"try-from", "warning: try-from: service possibly not wrapped"},
			{"y", ""},
			{"wwd/", ""},
		},
	},
	{
		// path equal to <dir>/<argv0> is not wrapped without a lookup
		name: "non-tcpd-exact",
		env:  "sb2",
		conf: "n4 stream tcp nowait root /usr/sbin/try-from try-from\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
		},
		daemons: []daemonCheck{
			{"try-from", "warning: try-from: service possibly not wrapped"},
		},
	},
	{
		// daemon checks behind tcpd
		name: "tcpd-daemons",
		env:  "sb2",
		conf: "t1 stream tcp nowait root /usr/sbin/tcpd dir/x\n" +
			"t2 stream tcp nowait root /usr/sbin/tcpd /usr/sbin/wwd\n" +
			"t3 stream tcp nowait root /usr/sbin/tcpd /tmp/exp/ww/a/b/daemon daemon\n" +
			"t4 stream tcp nowait root /usr/sbin/tcpd /usr/sbin/noexec\n" +
			"t5 stream tcp nowait root /usr/sbin/tcpd /usr/sbin/nosuch\n" +
			"t6 stream tcp nowait root /usr/sbin/tcpd /usr/sbin/wwd/x\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: dir/x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin/wwd: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin/tcpd inserted before /tmp/exp/ww/a/b/daemon",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww/a/b/daemon: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 3: /tmp: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin/noexec: not executable",
			"warning: C/inetd.conf, line 5: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 5: /usr/sbin/nosuch: not found: No such file or directory",
			"warning: C/inetd.conf, line 6: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 6: /usr/sbin/wwd/x: not found: Not a directory",
		},
		daemons: []daemonCheck{
			{"x", ""},
			{"dir/x", ""},
			{"wwd", ""},
			{"daemon", ""},
			{"nosuch", ""},
		},
	},
	{
		// tcpd calling tcpd; the daemon is still checked
		name: "recursion",
		env:  "sb2",
		conf: "a stream tcp nowait root /usr/sbin/tcpd tcpd\n" +
			"b stream tcp nowait root /usr/sbin/tcpd /usr/sbin/tcpd\n" +
			"c stream tcp nowait root /usr/sbin/tcpd /usr/sbin/tcpd tcpd\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 3: /usr/sbin/tcpd inserted before /usr/sbin/tcpd",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
		},
		daemons: []daemonCheck{
			{"tcpd", ""},
		},
	},
	{
		// set-uid and set-gid tcpd copies
		name: "setuid",
		env:  "base",
		conf: "a stream tcp nowait root /tmp/exp/suid/tcpd try-from\n" +
			"b stream tcp nowait root /tmp/exp/sgid/tcpd nosuch\n" +
			"c stream tcp nowait root /tmp/exp/ww2/tcpd tcpd\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/sgid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 2: nosuch: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww2/tcpd: world writable",
			"warning: C/inetd.conf, line 3: /tmp: world writable",
			"warning: C/inetd.conf, line 3: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww2/tcpd: file is set-uid or set-gid",
		},
		daemons: []daemonCheck{
			{"try-from", ""},
			{"nosuch", ""},
		},
	},
	{
		// rexd warnings use the reduced argv[0], case-insensitively
		name: "rexd",
		env:  "base",
		conf: "a stream tcp nowait root /usr/sbin/tcpd rexd\n" +
			"b stream tcp nowait root /usr/sbin/tcpd rpc.rexd\n" +
			"c stream tcp nowait root /bin/true rexd\n" +
			"d stream tcp nowait root /usr/sbin/tcpd /x/rpc.rexd\n" +
			"rexd stream tcp nowait root /usr/sbin/tcpd try-from\n" +
			"f stream tcp nowait root /bin/true /x/rexd\n" +
			"g stream tcp nowait root /bin/true REXD\n" +
			"h stream tcp nowait root /nonexist rexd\n" +
			"i stream tcp nowait root /bin/true x/rexd\n",
		want: []string{
			"warning: C/inetd.conf, line 1: rexd may be an insecure service",
			"warning: C/inetd.conf, line 1: rexd: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: rpc.rexd may be an insecure service",
			"warning: C/inetd.conf, line 2: rpc.rexd: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: rexd may be an insecure service",
			"warning: C/inetd.conf, line 4: rpc.rexd may be an insecure service",
			"warning: C/inetd.conf, line 4: /x/rpc.rexd: not found: No such file or directory",
			"warning: C/inetd.conf, line 6: rexd may be an insecure service",
			"warning: C/inetd.conf, line 7: REXD may be an insecure service",
			"warning: C/inetd.conf, line 8: /nonexist: not found: No such file or directory",
			"warning: C/inetd.conf, line 8: rexd may be an insecure service",
		},
		daemons: []daemonCheck{
			{"rexd", "warning: rexd: service possibly not wrapped"},
			{"rpc.rexd", ""},
		},
	},
	{
		// rpc/tcp behind tcpd
		name: "rpc-tcp",
		env:  "base",
		conf: "a stream rpc/tcp wait root /usr/sbin/tcpd try-from\n" +
			"b stream rpc/tcp wait root /bin/true x\n" +
			"c stream rpc/udp wait root /usr/sbin/tcpd try-from\n" +
			"d stream RPC/TCP wait root /usr/sbin/tcpd try-from\n" +
			"e stream rpc/tcp6 wait root /usr/sbin/tcpd try-from\n",
		want: []string{
			"warning: C/inetd.conf, line 1: try-from: cannot wrap rpc/tcp services",
			"warning: C/inetd.conf, line 4: try-from: cannot wrap rpc/tcp services",
		},
		daemons: []daemonCheck{
			{"try-from", ""},
			{"x", "warning: x: service possibly not wrapped"},
		},
	},
	{
		// miscd registers argv[0] as given, after the path check, and nothing else
		name: "miscd",
		env:  "sb2",
		conf: "a stream tcp nowait root /usr/sbin/miscd foo\n" +
			"b stream tcp nowait root /nonexist/miscd bar\n" +
			"c stream tcp nowait root miscd baz\n" +
			"d stream tcp nowait root /tmp/exp/ww/a/b/daemon/miscd qux\n" +
			"e stream tcp nowait root /tmp/miscd rexd\n" +
			"f stream tcp nowait root /tmp/MISCD in.b\n" +
			"g stream tcp nowait root /x/miscd /a/b/foo2\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin/miscd: not found: No such file or directory",
			"warning: C/inetd.conf, line 2: /nonexist/miscd: not found: No such file or directory",
			"warning: C/inetd.conf, line 3: miscd: not found: No such file or directory",
			"warning: C/inetd.conf, line 4: /tmp/exp/ww/a/b/daemon/miscd: not found: Not a directory",
			"warning: C/inetd.conf, line 5: /tmp/miscd: not found: No such file or directory",
			"warning: C/inetd.conf, line 6: /tmp/MISCD: not found: No such file or directory",
			"warning: C/inetd.conf, line 7: /x/miscd: not found: No such file or directory",
		},
		daemons: []daemonCheck{
			{"foo", ""},
			{"bar", ""},
			{"baz", ""},
			{"qux", ""},
			{"rexd", ""},
			{"in.b", ""},
			{"foo2", "warning: foo2: no such process name in C/inetd.conf"},
		},
	},
	{
		// tcpd inserted before a daemon that is also argv[1]
		name: "inserted-before",
		env:  "base",
		conf: "a stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from try-from\n" +
			"b stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from /x/try-from\n" +
			"c stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from other\n" +
			"d stream tcp nowait root /usr/sbin/tcpd try-from try-from\n" +
			"e stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from\n" +
			"f stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from try-from/\n" +
			"g stream tcp nowait root /usr/sbin/tcpd /usr/sbin/try-from TRY-FROM\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /usr/sbin/tcpd inserted before /usr/sbin/try-from",
			"warning: C/inetd.conf, line 2: /usr/sbin/tcpd inserted before /usr/sbin/try-from",
			"warning: C/inetd.conf, line 7: /usr/sbin/tcpd inserted before /usr/sbin/try-from",
		},
		daemons: []daemonCheck{
			{"try-from", ""},
		},
	},
	{
		// order of all tcpd-entry warnings
		name: "order",
		env:  "base",
		conf: "rexd stream rpc/tcp wait root /tmp/exp/suid/tcpd /nonexist/rpc.rexd rpc.rexd\n" +
			"rexd stream rpc/tcp wait root /tmp/exp/suid/tcpd tcpd\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 1: rpc.rexd may be an insecure service",
			"warning: C/inetd.conf, line 1: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 1: /tmp/exp/suid/tcpd inserted before /nonexist/rpc.rexd",
			"warning: C/inetd.conf, line 1: /nonexist/rpc.rexd: not found: No such file or directory",
			"warning: C/inetd.conf, line 1: rpc.rexd: cannot wrap rpc/tcp services",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: tcpd is recursively calling itself",
			"warning: C/inetd.conf, line 2: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 2: tcpd: cannot wrap rpc/tcp services",
		},
		daemons: []daemonCheck{
			{"rpc.rexd", ""},
		},
	},
	{
		// names, tcpd and the <dir>/<argv0> comparison fold case; later entries win
		name: "fold-case",
		env:  "base",
		conf: "a stream tcp nowait root /nonexist/x try-from\n" +
			"b stream tcp nowait root /usr/sbin/tcpd in.a\n" +
			"c stream tcp nowait root /usr/sbin/tcpd foo\n" +
			"d stream tcp nowait root /bin/true FOO\n" +
			"e stream tcp nowait root /bin/true bar\n" +
			"f stream tcp nowait root /usr/sbin/tcpd BAR\n" +
			"g stream tcp nowait root /tmp/exp/x/TCPD in.t\n" +
			"h stream tcp nowait root /usr/sbin/tcpd TCPD\n" +
			"i stream tcp nowait root /USR/SBIN/try-from try-from2\n" +
			"j stream tcp nowait root /USR/SBIN/try-from try-from\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /nonexist/x: not found: No such file or directory",
			"warning: C/inetd.conf, line 2: in.a: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: foo: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 6: BAR: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 7: /tmp/exp/x/TCPD: not found: No such file or directory",
			"warning: C/inetd.conf, line 7: in.t: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 8: TCPD is recursively calling itself",
			"warning: C/inetd.conf, line 8: TCPD: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 9: /USR/SBIN/try-from: not found: No such file or directory",
			"warning: C/inetd.conf, line 10: /USR/SBIN/try-from: not found: No such file or directory",
		},
		daemons: []daemonCheck{
			{"try-from", "warning: try-from: service possibly not wrapped"},
			{"IN.A", ""},
			{"foo", "warning: foo: service possibly not wrapped"},
			{"FOO", "warning: FOO: service possibly not wrapped"},
			{"bar", ""},
			{"PORTMAP", "warning: PORTMAP: service possibly not wrapped"},
			{"RpcBind", "warning: RpcBind: service possibly not wrapped"},
			{"in.t", ""},
			{"tcpd", ""},
			{"try-from2", "warning: try-from2: service possibly not wrapped"},
		},
	},
	{
		// the last entry wins; portmap and rpcbind are forced to not wrapped afterwards
		name: "duplicates",
		env:  "base",
		conf: "a stream tcp nowait root /usr/sbin/tcpd d1\n" +
			"b stream tcp nowait root /bin/true d1\n" +
			"c stream tcp nowait root /bin/true d2\n" +
			"d stream tcp nowait root /usr/sbin/tcpd d2\n" +
			"e stream tcp nowait root /bin/true sshd\n" +
			"f stream tcp nowait root /bin/true portmap\n" +
			"g stream tcp nowait root /usr/sbin/tcpd rpcbind\n",
		want: []string{
			"warning: C/inetd.conf, line 1: d1: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 4: d2: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 7: rpcbind: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"d1", "warning: d1: service possibly not wrapped"},
			{"d2", ""},
			{"sshd", "warning: sshd: service possibly not wrapped"},
			{"portmap", "warning: portmap: service possibly not wrapped"},
			{"rpcbind", "warning: rpcbind: service possibly not wrapped"},
		},
	},
	{
		// world-writable program paths and parents, /tmp included
		name: "world-writable",
		env:  "base",
		conf: "a stream tcp nowait root /tmp/exp/ww/a/b/tcpd /tmp/exp/ww/a/b/daemon\n" +
			"b stream tcp nowait root /tmp/exp/ww/a/b/daemon daemon\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp/exp/ww/a/b/tcpd: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/ww/a/b/daemon: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww/a/b/daemon: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
		},
		daemons: []daemonCheck{
			{"daemon", "warning: daemon: service possibly not wrapped"},
		},
	},
	{
		// a world-writable / is reported once; parents are textual prefixes
		name: "world-writable-root",
		env:  "root777",
		conf: "a stream tcp nowait root //tmp/exp/ww/a/b/daemon daemon\n" +
			"b stream tcp nowait root /tmp/exp/ww/a/ daemon\n" +
			"c stream tcp nowait root /tmp/exp/ww/a// daemon\n" +
			"d stream tcp nowait root /tmp daemon\n" +
			"e stream tcp nowait root / daemon\n" +
			"f stream tcp nowait root // daemon\n" +
			"g stream tcp nowait root /tmp/exp/ww//a/b/daemon daemon\n" +
			"h stream tcp nowait root /tmp/exp/ww/a/b/../b/daemon daemon\n" +
			"i stream tcp nowait root ww/a/b/daemon daemon\n",
		want: []string{
			"warning: /: world writable",
			"warning: C/inetd.conf, line 1: //tmp/exp/ww/a/b/daemon: world writable",
			"warning: C/inetd.conf, line 1: //tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 1: //tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 1: //tmp: world writable",
			"warning: C/inetd.conf, line 1: /: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww/a/: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww/a//: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww/a/: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 3: /tmp: world writable",
			"warning: C/inetd.conf, line 3: /: world writable",
			"warning: C/inetd.conf, line 4: /tmp: world writable",
			"warning: C/inetd.conf, line 4: /: world writable",
			"warning: C/inetd.conf, line 5: /: world writable",
			"warning: C/inetd.conf, line 6: //: world writable",
			"warning: C/inetd.conf, line 6: /: world writable",
			"warning: C/inetd.conf, line 7: /tmp/exp/ww//a/b/daemon: world writable",
			"warning: C/inetd.conf, line 7: /tmp/exp/ww//a: world writable",
			"warning: C/inetd.conf, line 7: /tmp/exp/ww/: world writable",
			"warning: C/inetd.conf, line 7: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 7: /tmp: world writable",
			"warning: C/inetd.conf, line 7: /: world writable",
			"warning: C/inetd.conf, line 8: /tmp/exp/ww/a/b/../b/daemon: world writable",
			"warning: C/inetd.conf, line 8: /tmp/exp/ww/a/b/..: world writable",
			"warning: C/inetd.conf, line 8: /tmp/exp/ww/a: world writable",
			"warning: C/inetd.conf, line 8: /tmp/exp/ww: world writable",
			"warning: C/inetd.conf, line 8: /tmp: world writable",
			"warning: C/inetd.conf, line 8: /: world writable",
			"warning: C/inetd.conf, line 9: ww/a/b/daemon: not found: No such file or directory",
		},
		daemons: []daemonCheck{
			{"daemon", "warning: daemon: service possibly not wrapped"},
		},
	},
	{
		// executable means the owner-execute bit, even for root
		name: "permissions-root",
		env:  "base",
		conf: "a stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p700\n" +
			"b stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p001\n" +
			"c stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p010\n" +
			"d stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/priv/x\n" +
			"e stream tcp nowait root /tmp/exp/perm/p100 p100\n" +
			"f stream tcp nowait root /tmp/exp/perm/priv/x x\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/perm/p001: not executable",
			"warning: C/inetd.conf, line 3: /tmp: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/perm/p010: not executable",
			"warning: C/inetd.conf, line 4: /tmp: world writable",
			"warning: C/inetd.conf, line 5: /tmp: world writable",
			"warning: C/inetd.conf, line 6: /tmp: world writable",
		},
		daemons: []daemonCheck{
			{"x", "warning: x: service possibly not wrapped"},
			{"p700", ""},
		},
	},
	{
		// run as uid 65534: p700 still counts as executable; priv/x is EACCES
		name: "permissions-nobody",
		env:  "nobody",
		conf: "a stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p700\n" +
			"b stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p001\n" +
			"c stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/p010\n" +
			"d stream tcp nowait root /usr/sbin/tcpd /tmp/exp/perm/priv/x\n" +
			"e stream tcp nowait root /tmp/exp/perm/p100 p100\n" +
			"f stream tcp nowait root /tmp/exp/perm/priv/x x\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/perm/p001: not executable",
			"warning: C/inetd.conf, line 3: /tmp: world writable",
			"warning: C/inetd.conf, line 3: /tmp/exp/perm/p010: not executable",
			"warning: C/inetd.conf, line 4: /tmp/exp/perm/priv/x: not found: Permission denied",
			"warning: C/inetd.conf, line 5: /tmp: world writable",
			"warning: C/inetd.conf, line 6: /tmp/exp/perm/priv/x: not found: Permission denied",
		},
		daemons: []daemonCheck{
			{"x", "warning: x: service possibly not wrapped"},
			{"p700", ""},
		},
	},
	{
		// /usr/sbin/rexd is a symlink loop
		name: "file-lookup-eloop",
		env:  "sb2loop",
		conf: "a stream tcp nowait root /bin/true rexd\n" +
			"b stream tcp nowait root /usr/sbin/tcpd rexd\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: rexd may be an insecure service",
			"warning: C/inetd.conf, line 1: /usr/sbin/rexd: file lookup: Too many levels of symbolic links",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: rexd may be an insecure service",
			"warning: C/inetd.conf, line 2: rexd: not found in /usr/sbin: Too many levels of symbolic links",
		},
		daemons: []daemonCheck{
			{"rexd", ""},
		},
	},
	{
		// an empty file
		name: "empty",
		env:  "base",
		conf: "",
		want: []string{},
		daemons: []daemonCheck{
			{"x", "warning: x: no such process name in C/inetd.conf"},
			{"portmap", "warning: portmap: service possibly not wrapped"},
		},
	},
	{
		// set-uid test after a failed path stat reads the last successful entry stat (path, tcpd daemon or <dir>/<argv0> lookup)
		name: "stale-setuid",
		env:  "base",
		conf: "a stream tcp nowait root tcpd x\n" +
			"a stream tcp nowait root /tmp/exp/suid/tcpd nosuch\n" +
			"a stream tcp nowait root tcpd x\n" +
			"a stream tcp nowait root /tmp/exp/suid/tcpd try-from\n" +
			"a stream tcp nowait root tcpd x\n" +
			"a stream tcp nowait root /tmp/exp/suid/prog zz\n" +
			"a stream tcp nowait root internal\n" +
			"a stream tcp nowait root /tmp/exp/x/tcpd x\n" +
			"a stream tcp nowait root /nonexist try-from\n" +
			"a stream tcp nowait root tcpd x\n",
		want: []string{
			"warning: C/inetd.conf, line 1: tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 1: x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: /tmp: world writable",
			"warning: C/inetd.conf, line 2: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 2: nosuch: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 3: tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 3: tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 3: x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 4: /tmp: world writable",
			"warning: C/inetd.conf, line 4: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 5: tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 5: x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 6: /tmp: world writable",
			"warning: C/inetd.conf, line 8: /tmp/exp/x/tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 8: /tmp/exp/x/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 8: x: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 9: /nonexist: not found: No such file or directory",
			"warning: C/inetd.conf, line 10: tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 10: x: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"x", ""},
			{"zz", "warning: zz: service possibly not wrapped"},
		},
	},
	{
		// failed lookups and miscd leave the stat buffer alone
		name: "stale-setuid-2",
		env:  "base",
		conf: "a stream tcp nowait root /tmp/exp/suid/tcpd nosuch\n" +
			"a stream tcp nowait root /nonexist nosuch\n" +
			"a stream tcp nowait root /usr/sbin/miscd x\n" +
			"a stream tcp nowait root tcpd x\n",
		want: []string{
			"warning: C/inetd.conf, line 1: /tmp: world writable",
			"warning: C/inetd.conf, line 1: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 1: nosuch: not found in /usr/sbin: No such file or directory",
			"warning: C/inetd.conf, line 2: /nonexist: not found: No such file or directory",
			"warning: C/inetd.conf, line 3: /usr/sbin/miscd: not found: No such file or directory",
			"warning: C/inetd.conf, line 4: tcpd: not found: No such file or directory",
			"warning: C/inetd.conf, line 4: tcpd: file is set-uid or set-gid",
			"warning: C/inetd.conf, line 4: x: not found in /usr/sbin: No such file or directory",
		},
		daemons: []daemonCheck{
			{"x", ""},
		},
	},
	{
		// an argv[0] ending in / matches an absent or /-ended argv[1]; the name is then empty
		name: "inserted-before-empty",
		env:  "sb2",
		conf: "a stream tcp nowait root /usr/sbin/tcpd /usr/sbin/\n" +
			"b stream tcp nowait root /usr/sbin/tcpd /usr/sbin/ x/\n" +
			"c stream tcp nowait root /usr/sbin/tcpd /usr/sbin/ x\n" +
			"d stream rpc/tcp nowait root /usr/sbin/tcpd /usr/sbin/\n",
		want: []string{
			"warning: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin/tcpd inserted before /usr/sbin/",
			"warning: C/inetd.conf, line 1: /usr/sbin/: world writable",
			"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin/tcpd inserted before /usr/sbin/",
			"warning: C/inetd.conf, line 2: /usr/sbin/: world writable",
			"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin/: world writable",
			"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin/tcpd inserted before /usr/sbin/",
			"warning: C/inetd.conf, line 4: /usr/sbin/: world writable",
			"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
			"warning: C/inetd.conf, line 4: : cannot wrap rpc/tcp services",
		},
		daemons: []daemonCheck{
			{"x", "warning: x: no such process name in C/inetd.conf"},
			{"tcpd", "warning: tcpd: no such process name in C/inetd.conf"},
		},
	},
}

// TestObservedSetup covers the REAL_DAEMON_DIR check and the choice of
// inetd.conf. Observed from Debian 7.6.q tcpdmatch (the same records
// came from tcpdchk where marked), with the tree changed as described.
func TestObservedSetup(t *testing.T) {
	const scratch = "/tmp/exp/chk"
	entry := "a stream tcp nowait root /usr/sbin/tcpd in.a\n"
	cases := []struct {
		name    string
		setup   func(f *fakeFS)
		conf    string // -i operand; "" for none
		want    []string
		wantErr string
		daemon  string // checked when there is no error
		check   string
	}{{
		// chroot with / 0777, /etc 0777, /etc/inetd.conf 0666 (tcpdchk too)
		name: "default conf world writable",
		setup: func(f *fakeFS) {
			f.set("/", dir(0o777))
			f.set("/etc", dir(0o777))
			f.set("/etc/inetd.conf", fileData(0o666, entry))
		},
		want: []string{
			"warning: /: world writable",
			"warning: /etc/inetd.conf: world writable",
			"warning: /etc: world writable",
			"warning: /: world writable",
			"warning: /etc/inetd.conf, line 1: /: world writable",
			"warning: /etc/inetd.conf, line 1: in.a: not found in /usr/sbin: No such file or directory",
		},
		daemon: "sshd",
		check:  "warning: sshd: no such process name in /etc/inetd.conf",
	}, {
		// /etc/inetd.conf mode 0600, run as uid 65534: silently skipped
		name:   "default conf unreadable",
		setup:  func(f *fakeFS) { f.set("/etc/inetd.conf", fail(syscall.EACCES)) },
		daemon: "sshd",
		check:  "warning: sshd: no such process name in (null)",
	}, {
		// no /etc/inetd.conf, / 0777 (tcpdchk -v also prints "(null)")
		name:   "default conf missing",
		setup:  func(f *fakeFS) { f.set("/", dir(0o777)) },
		want:   []string{"warning: /: world writable"},
		daemon: "sshd",
		check:  "warning: sshd: no such process name in (null)",
	}, {
		// /etc/inetd.conf is a directory: opened, nothing read
		name:   "default conf directory",
		setup:  func(f *fakeFS) { f.set("/etc/inetd.conf", dir(0o755)) },
		daemon: "sshd",
		check:  "warning: sshd: no such process name in /etc/inetd.conf",
	}, {
		// F02 with / 0777: the directory check comes first (tcpdchk too)
		name:    "explicit conf missing",
		setup:   func(f *fakeFS) { f.set("/", dir(0o777)) },
		conf:    "/nonexist",
		want:    []string{"warning: /: world writable"},
		wantErr: "open /nonexist: No such file or directory",
	}, {
		// mode 0600 file, run as uid 65534
		name:    "explicit conf unreadable",
		setup:   func(f *fakeFS) { f.set("/tmp/exp/etcp/inetd.conf", fail(syscall.EACCES)) },
		conf:    "/tmp/exp/etcp/inetd.conf",
		wantErr: "open /tmp/exp/etcp/inetd.conf: Permission denied",
	}, {
		// -i /tmp/exp
		name:   "explicit conf directory",
		conf:   "/tmp/exp",
		daemon: "sshd",
		check:  "warning: sshd: no such process name in /tmp/exp",
	}, {
		// an explicit conf is not checked for world-writability
		name: "explicit conf world writable",
		setup: func(f *fakeFS) {
			f.set("/tmp/exp/c/ww", dir(0o777))
			f.set("/tmp/exp/c/ww/inetd.conf", fileData(0o666, "a stream tcp nowait root /usr/sbin/tcpd try-from\n"))
		},
		conf:   "/tmp/exp/c/ww/inetd.conf",
		daemon: "try-from",
	}, {
		// F10: -i /dev/null portmap
		name:   "F10 portmap",
		setup:  func(f *fakeFS) { f.set("/dev/null", file(0o666)) },
		conf:   "/dev/null",
		daemon: "portmap",
		check:  "warning: portmap: service possibly not wrapped",
	}, {
		// F11 (first record): -i /dev/null sshd
		name:   "F11 sshd",
		setup:  func(f *fakeFS) { f.set("/dev/null", file(0o666)) },
		conf:   "/dev/null",
		daemon: "sshd",
		check:  "warning: sshd: no such process name in /dev/null",
	}, {
		// chroot without /usr/sbin
		name:   "daemon dir missing",
		setup:  func(f *fakeFS) { delete(f.nodes, "/usr/sbin") },
		conf:   "/dev/null",
		want:   []string{"warning: REAL_DAEMON_DIR /usr/sbin: No such file or directory"},
		daemon: "sshd",
		check:  "warning: sshd: no such process name in /dev/null",
	}, {
		// chroot with / 0777, /usr/sbin an empty file
		name: "daemon dir is a file",
		setup: func(f *fakeFS) {
			f.set("/", dir(0o777))
			f.set("/usr/sbin", file(0o644))
		},
		conf: "/dev/null",
		want: []string{
			"warning: /: world writable",
			"warning: REAL_DAEMON_DIR /usr/sbin is not a directory",
		},
	}, {
		// /usr/sbin -> sbin
		name:  "daemon dir loops",
		setup: func(f *fakeFS) { f.set("/usr/sbin", fail(syscall.ELOOP)) },
		conf:  "/dev/null",
		want:  []string{"warning: REAL_DAEMON_DIR /usr/sbin: Too many levels of symbolic links"},
	}, {
		// /usr/sbin 0777, no /etc/inetd.conf
		name:   "daemon dir world writable",
		setup:  func(f *fakeFS) { f.set("/usr/sbin", dir(0o777)) },
		want:   []string{"warning: /usr/sbin: world writable"},
		daemon: "sshd",
		check:  "warning: sshd: no such process name in (null)",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := debianTree("base", scratch)
			f.set("/dev/null", file(0o666))
			if tc.setup != nil {
				tc.setup(f)
			}
			tab, got, err := inetcf.Scan(f, tc.conf, "/usr/sbin")
			diff(t, got, tc.want)
			if tc.wantErr != "" {
				var oe *inetcf.OpenError
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &oe) || tab != nil {
					t.Fatalf("Scan = %v, %v; want nil, %q", tab, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			for _, n := range inetcf.TcpdmatchNotWrapped {
				tab.Register(n, inetcf.NotWrapped)
			}
			if tc.daemon != "" {
				if got := tab.CheckDaemon(tc.daemon); got != tc.check {
					t.Errorf("CheckDaemon(%q) = %q, want %q", tc.daemon, got, tc.check)
				}
			}
		})
	}
}

// TestTcpdchkRegistration: Debian tcpdchk registers its libwrap list
// after the scan, so an inetd.conf entry running sshd directly does not
// make it "possibly not wrapped". Observed from Debian 7.6.q tcpdchk with
// the "duplicates" inetd.conf and hosts.allow
// "sshd portmap rpcbind d1 d2: ALL": the only record was
// "hosts.allow, line 1: d1: service possibly not wrapped". With -i
// /dev/null, every listed name was silent while rpcbind, in.telnetd,
// xinetd, rpc.mountd, rpc.statd, exim4, vsftpd and proftpd drew "no such
// process name"; tcpdchk does not distinguish MaybeWrapped from Wrapped.
func TestTcpdchkRegistration(t *testing.T) {
	f := debianTree("base", "/tmp/exp/c/dup")
	f.set("/tmp/exp/c/dup/inetd.conf", fileData(0o644,
		"a stream tcp nowait root /usr/sbin/tcpd d1\nb stream tcp nowait root /bin/true d1\n"+
			"c stream tcp nowait root /bin/true d2\nd stream tcp nowait root /usr/sbin/tcpd d2\n"+
			"e stream tcp nowait root /bin/true sshd\nf stream tcp nowait root /bin/true portmap\n"+
			"g stream tcp nowait root /usr/sbin/tcpd rpcbind\n"))
	tab, _, err := inetcf.Scan(f, "/tmp/exp/c/dup/inetd.conf", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range inetcf.DebianLibwrapped {
		tab.Register(n, inetcf.Wrapped)
	}
	var got []string
	for _, d := range []string{"sshd", "portmap", "rpcbind", "d1", "d2"} {
		if msg := tab.Diagnose(d); msg != "" {
			got = append(got, msg)
		}
	}
	diff(t, got, []string{"d1: service possibly not wrapped"})

	var empty inetcf.Table
	for _, n := range inetcf.DebianLibwrapped {
		empty.Register(n, inetcf.Wrapped)
	}
	for _, n := range []string{"rpcbind", "in.telnetd", "xinetd", "rpc.mountd", "rpc.statd", "exim4", "vsftpd", "proftpd"} {
		if empty.Lookup(n) != inetcf.Unknown {
			t.Errorf("%s registered", n)
		}
	}
	if len(inetcf.DebianLibwrapped) != 22 || empty.Len() != 22 {
		t.Errorf("list has %d names, table %d", len(inetcf.DebianLibwrapped), empty.Len())
	}
}

func TestTableZeroValue(t *testing.T) {
	var tab inetcf.Table
	if tab.Name() != "(null)" || tab.Lookup("x") != inetcf.Unknown || tab.Len() != 0 {
		t.Fatalf("zero Table: %q %v %d", tab.Name(), tab.Lookup("x"), tab.Len())
	}
	if got := tab.CheckDaemon("x"); got != "warning: x: no such process name in (null)" {
		t.Errorf("CheckDaemon = %q", got)
	}
	tab.Register("In.X", inetcf.MaybeWrapped)
	if tab.Lookup("IN.x") != inetcf.MaybeWrapped || tab.CheckDaemon("in.x") != "" {
		t.Errorf("case-insensitive lookup failed")
	}
	tab.Register("in.x", inetcf.Unknown)
	if tab.Lookup("in.x") != inetcf.Unknown {
		t.Errorf("Register(Unknown) did not forget")
	}
	// strcasecmp in the C locale folds ASCII only.
	tab.Register("K", inetcf.Wrapped)
	if tab.Lookup("\u212a") != inetcf.Unknown { // KELVIN SIGN
		t.Errorf("non-ASCII folding")
	}
	var nilTab *inetcf.Table
	if nilTab.Lookup("x") != inetcf.Unknown || nilTab.Name() != "(null)" {
		t.Errorf("nil Table")
	}
	for s, want := range map[inetcf.Status]string{inetcf.Unknown: "unknown", inetcf.Wrapped: "wrapped", inetcf.NotWrapped: "not wrapped", inetcf.MaybeWrapped: "maybe wrapped"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", s, s.String())
		}
	}
}

// TestCheckWorldWritable: the path, then each textual parent up to "/",
// "/" at most once; relative paths only themselves; nothing when the
// path cannot be stat'ed. Observed from Debian 7.6.q tcpdmatch: F11
// ("hosts.allow: world writable" for a 0666 hosts.allow read with -d)
// and the same record for /etc/hosts.allow bind-mounted from a 0666 file;
// the parent walks are those of the world-writable cases above.
func TestCheckWorldWritable(t *testing.T) {
	f := debianTree("root777", "/tmp/exp/chk")
	f.set("/tmp/exp/chk/hosts.allow", file(0o666))
	f.set("/etc/hosts.allow", file(0o666))
	f.set("/tmp/exp/chk/sub", dir(0o777))
	f.set("/tmp/exp/chk/sub/f", file(0o644))
	cases := []struct {
		path string
		want []string
	}{
		{"hosts.allow", []string{"hosts.allow: world writable"}},
		{"sub/f", nil},
		{"/etc/hosts.allow", []string{"/etc/hosts.allow: world writable", "/: world writable"}},
		{"/", []string{"/: world writable"}},
		{"//", []string{"//: world writable", "/: world writable"}},
		{"//tmp", []string{"//tmp: world writable", "/: world writable"}},
		{"/tmp/exp/ww/a/", []string{"/tmp/exp/ww/a/: world writable", "/tmp/exp/ww/a: world writable", "/tmp/exp/ww: world writable", "/tmp: world writable", "/: world writable"}},
		{"/tmp/exp/ww//a/b/daemon", []string{"/tmp/exp/ww//a/b/daemon: world writable", "/tmp/exp/ww//a: world writable", "/tmp/exp/ww/: world writable", "/tmp/exp/ww: world writable", "/tmp: world writable", "/: world writable"}},
		{"/tmp/exp/nonexist", nil},
		{"", nil},
	}
	for _, tc := range cases {
		var want []string
		for _, w := range tc.want {
			want = append(want, "warning: "+w)
		}
		got := inetcf.CheckWorldWritable(f, tc.path)
		if !slices.Equal(got, want) {
			t.Errorf("CheckWorldWritable(%q)\n got %q\nwant %q", tc.path, got, want)
		}
	}
}

// osTree builds, under a temporary directory T, a real tree mirroring
// the "sb2" experiment: T/sbin plays /usr/sbin (world writable, with
// tcpd, try-from, wwd 0777, noexec 0644, dir/, a symlink loop rexd), and
// T/suid/tcpd is a set-uid copy. No root is needed.
func osTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	mk := func(p string, mode os.FileMode) {
		t.Helper()
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/true\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"tcpd", "try-from"} {
		mk("sbin/"+p, 0o755)
	}
	mk("sbin/wwd", 0o777)
	mk("sbin/noexec", 0o644)
	mk("sbin/p001", 0o601)
	mk("suid/tcpd", 0o755|os.ModeSetuid)
	mk("sgid/tcpd", 0o755|os.ModeSetgid)
	if err := os.Mkdir(filepath.Join(root, "sbin/dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("rexd", filepath.Join(root, "sbin/rexd")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "sbin"), 0o777); err != nil {
		t.Fatal(err)
	}
	return root
}

// dropAncestors removes the world-writable records about directories
// above root (such as a sticky /tmp), which depend on where the test
// runs, not on what it tests.
func dropAncestors(ws []string, root string) []string {
	var out []string
	for _, w := range ws {
		keep := true
		for d := filepath.Dir(root); ; d = filepath.Dir(d) {
			if strings.HasSuffix(w, " "+d+": world writable") || w == "warning: "+d+": world writable" {
				keep = false
			}
			if d == "/" {
				break
			}
		}
		if keep {
			out = append(out, w)
		}
	}
	return out
}

// TestOSScan runs the scan on the real file system. The expectations are
// records observed from Debian 7.6.q tcpdmatch in the "non-tcpd",
// "setuid", "file-lookup-eloop" and "permissions" experiments, with
// /usr/sbin replaced by T/sbin, /tmp/exp by T and C by T (T/sbin being
// world writable, the set-uid entry also gets the daemon's record).
func TestOSScan(t *testing.T) {
	root := osTree(t)
	conf := filepath.Join(root, "inetd.conf")
	sbin := root + "/sbin"
	text := "l1 stream tcp nowait root /usr/sbin/tcpd wwd\n" +
		"l2 stream tcp nowait root /usr/sbin/tcpd noexec\n" +
		"l3 stream tcp nowait root /usr/sbin/tcpd dir\n" +
		"l4 stream tcp nowait root /usr/sbin/wwd wwd\n" +
		"l6 stream tcp nowait root /usr/sbin/tcpd p001\n" +
		"l7 stream tcp nowait root /bin/true noexec\n" +
		"l8 stream tcp nowait root /bin/true tcpd/x\n" +
		"a stream tcp nowait root /tmp/exp/suid/tcpd try-from\n" +
		"b stream tcp nowait root /tmp/exp/sgid/tcpd nosuch\n" +
		"c stream tcp nowait root /bin/true rexd\n"
	text = strings.NewReplacer("/usr/sbin", sbin, "/tmp/exp", root, "/bin/true", sbin+"/try-from").Replace(text)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, got, err := inetcf.Scan(inetcf.OS{}, conf, sbin)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"warning: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 1: /usr/sbin/wwd: world writable",
		"warning: C/inetd.conf, line 1: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 2: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 2: /usr/sbin/noexec: not executable",
		"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 3: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 4: /usr/sbin/wwd: world writable",
		"warning: C/inetd.conf, line 4: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 5: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 5: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 5: /usr/sbin/p001: not executable",
		"warning: C/inetd.conf, line 6: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 6: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 7: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 7: /usr/sbin/tcpd/x: file lookup: Not a directory",
		"warning: C/inetd.conf, line 8: /tmp/exp/suid/tcpd: file is set-uid or set-gid",
		"warning: C/inetd.conf, line 8: /usr/sbin: world writable", // the daemon T/sbin/try-from
		"warning: C/inetd.conf, line 9: /tmp/exp/sgid/tcpd: file is set-uid or set-gid",
		"warning: C/inetd.conf, line 9: nosuch: not found in /usr/sbin: No such file or directory",
		"warning: C/inetd.conf, line 10: /usr/sbin: world writable",
		"warning: C/inetd.conf, line 10: rexd may be an insecure service",
		"warning: C/inetd.conf, line 10: /usr/sbin/rexd: file lookup: Too many levels of symbolic links",
	}
	r := strings.NewReplacer("C/", root+"/", "/usr/sbin", sbin, "/tmp/exp", root)
	for i := range want {
		want[i] = r.Replace(want[i])
	}
	diff(t, dropAncestors(got, root), want)
	for name, st := range map[string]inetcf.Status{
		"wwd": inetcf.NotWrapped, "noexec": inetcf.MaybeWrapped, "dir": inetcf.Wrapped,
		"p001": inetcf.Wrapped, "tcpd/x": inetcf.MaybeWrapped, "try-from": inetcf.Wrapped,
		"nosuch": inetcf.Wrapped, "rexd": inetcf.MaybeWrapped, "x": inetcf.Unknown,
	} {
		if got := tab.Lookup(name); got != st {
			t.Errorf("Lookup(%q) = %v, want %v", name, got, st)
		}
	}
}

// TestOSPermissionDenied needs a non-root user: root passes every
// permission check. Observed as uid 65534: "/tmp/exp/perm/priv/x: not
// found: Permission denied" for a program in a 0700 directory, and
// "open <conf>: Permission denied" for an unreadable -i file.
func TestOSPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root bypasses permission checks")
	}
	root := t.TempDir()
	priv := filepath.Join(root, "priv")
	if err := os.Mkdir(priv, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(priv+"/x", nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(priv, 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(priv, 0o755) })
	conf := filepath.Join(root, "inetd.conf")
	os.WriteFile(conf, []byte("f stream tcp nowait root "+priv+"/x x\n"), 0o644)
	_, got, err := inetcf.Scan(inetcf.OS{}, conf, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "warning: " + conf + ", line 1: " + priv + "/x: not found: Permission denied"
	if !slices.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
	os.Chmod(conf, 0o000)
	_, _, err = inetcf.Scan(inetcf.OS{}, conf, "")
	if err == nil || err.Error() != "open "+conf+": Permission denied" {
		t.Errorf("Scan error = %v", err)
	}
}

// TestTcpdmatchSequence: tcpdmatch logs its own "daemon name normalized"
// warning after the REAL_DAEMON_DIR check and before opening inetd.conf,
// so it calls CheckDaemonDir and ScanConf separately. Observed from Debian
// 7.6.q tcpdmatch with a world-writable /usr/sbin:
// "tcpdmatch -d -i /dev/null /x/foo 1.2.3.4" logged the three records
// below, and with -i /nonexist the first two, then "open /nonexist: No
// such file or directory" on stderr.
func TestTcpdmatchSequence(t *testing.T) {
	f := debianTree("sb2", "/tmp/exp/chk")
	f.set("/dev/null", file(0o666))
	for _, tc := range []struct {
		conf    string
		want    []string
		wantErr string
	}{
		{"/dev/null", []string{
			"warning: /usr/sbin: world writable",
			"warning: /x/foo: daemon name normalized to: foo",
			"warning: foo: no such process name in /dev/null",
		}, ""},
		{"/nonexist", []string{
			"warning: /usr/sbin: world writable",
			"warning: /x/foo: daemon name normalized to: foo",
		}, "open /nonexist: No such file or directory"},
	} {
		got := inetcf.CheckDaemonDir(f, "/usr/sbin")
		got = append(got, "warning: /x/foo: daemon name normalized to: foo") // tcpdmatch's own
		tab, more, err := inetcf.ScanConf(f, tc.conf, "/usr/sbin")
		got = append(got, more...)
		if err != nil {
			if err.Error() != tc.wantErr {
				t.Errorf("ScanConf(%q) error %v", tc.conf, err)
			}
		} else if w := tab.CheckDaemon("foo"); w != "" {
			got = append(got, w)
		}
		diff(t, got, tc.want)
		// Scan is the two steps back to back.
		_, all, _ := inetcf.Scan(f, tc.conf, "/usr/sbin")
		diff(t, all, []string{"warning: /usr/sbin: world writable"})
	}
}
