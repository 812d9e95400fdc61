package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"tcpwrap/internal/dryrun"
)

// fakeNames answers from a table and never touches the network. A name
// with several addresses gives them in ascending order.
type fakeNames map[string]string

func (n fakeNames) HostName(a netip.Addr) (string, []string) {
	if name, ok := n[a.String()]; ok {
		return name, nil
	}
	return "unknown", nil
}

func (n fakeNames) LookupHost(name string) (string, []netip.Addr, error) {
	var addrs []netip.Addr
	for a, h := range n {
		if h == name {
			addrs = append(addrs, netip.MustParseAddr(a))
		}
	}
	if len(addrs) == 0 {
		return "", nil, os.ErrNotExist
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return name, addrs, nil
}

// fakeInterfaces are the network interfaces by name, with their indexes.
type fakeInterfaces map[string]uint32

func (f fakeInterfaces) Index(name string) (uint32, bool) {
	i, ok := f[name]
	return i, ok
}

func (f fakeInterfaces) Name(index uint32) (string, bool) {
	for name, i := range f {
		if i == index {
			return name, true
		}
	}
	return "", false
}

// testInterfaces are those of the machine Debian's answers come from.
var testInterfaces = fakeInterfaces{"lo": 1, "ifb0": 2, "ifb1": 3, "eth0": 4}

func runIn(t *testing.T, allow, deny string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runWith(t, fakeNames{"192.0.2.7": "host.example.org"}, allow, deny, args...)
}

func runWith(t *testing.T, names fakeNames, allow, deny string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hosts.allow"), []byte(allow), 0o644)
	os.WriteFile(filepath.Join(dir, "hosts.deny"), []byte(deny), 0o644)
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	t.Setenv("TCPWRAP_CACHE", "off")
	var out, errb bytes.Buffer
	code = run(append([]string{"tcpdmatch"}, args...), &out, &errb, &env{
		names:    names,
		accounts: &dryrun.Accounts{},
		ifaces:   testInterfaces,
	})
	return out.String(), errb.String(), code
}

func TestExplain(t *testing.T) {
	allow := "# comment\nsshd: 10.0.0.1\nin.ftpd: ALL\nsshd: 192.0.2. EXCEPT 192.0.2.7\n"
	deny := "ALL: ALL\n"
	out, _, code := runIn(t, allow, deny, "-d", "-i", "/dev/null", "--explain", "sshd", "192.0.2.7")
	want := `client:   address  192.0.2.7
server:   process  sshd
access:   denied
explain:  hosts.allow line 2: no match: client 192.0.2.7 (name unknown) matches none of "10.0.0.1"
explain:  hosts.allow line 3: no match: daemon sshd matches none of "in.ftpd"
explain:  hosts.allow line 4: no match: client 192.0.2.7 (name unknown) matches "192.0.2." but is excluded by EXCEPT
explain:  hosts.deny line 1: matched "ALL: ALL": a rule of the deny table matched, so access is denied
`
	if out != want || code != 0 {
		t.Errorf("exit %d, output:\n%s\nwant:\n%s", code, out, want)
	}
	// Without --explain the output is Debian's report alone.
	out, _, _ = runIn(t, allow, deny, "-d", "-i", "/dev/null", "sshd", "192.0.2.7")
	if strings.Contains(out, "explain:") {
		t.Errorf("explanation without --explain:\n%s", out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"sshd"}, {"-x", "sshd", "1.2.3.4"}, {"--bogus", "sshd", "1.2.3.4"}, {"-i"}} {
		out, errs, code := runIn(t, "", "", args...)
		if code != 1 || out != "" || !strings.Contains(errs, "usage: tcpdmatch [-d] [-i inet_conf] daemon[@host] [user@]host\n") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// A name operand is looked up, and each address gets its own block with
// a reverse lookup of its own.
func TestNameOperand(t *testing.T) {
	out, errs, code := runIn(t, "sshd: .example.org\n", "ALL: ALL\n", "-d", "-i", "/dev/null", "sshd", "host.example.org")
	want := "client:   hostname host.example.org\nclient:   address  192.0.2.7\nserver:   process  sshd\naccess:   granted\n"
	if out != want || code != 0 {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	_, errs, code = runIn(t, "", "", "-d", "-i", "/dev/null", "sshd", "nowhere.invalid")
	if code != 1 || !strings.Contains(errs, "warning: nowhere.invalid: host not found\n") {
		t.Errorf("unknown name: exit %d, stderr %q", code, errs)
	}
}

// An IPv6 operand is an address only with a scope getaddrinfo accepts:
// an existing interface's name for link-local and interface- or
// link-local multicast addresses, else a 32-bit decimal number. Anything
// else is "host not found", and tcpdmatch exits 1. The server address
// is printed as getnameinfo prints it, the client as typed (as Debian's
// tcpdmatch does, run on a machine with interfaces lo, ifb0, ifb1, eth0).
func TestScopedAddress(t *testing.T) {
	cases := []struct {
		daemon, client string
		want           string // the address line, or the warning
		code           int
	}{
		{"sshd", "::1%lo", "warning: ::1%lo: host not found\n", 1},
		{"sshd", "::1%-1", "warning: ::1%-1: host not found\n", 1},
		{"sshd", "::1%+1", "warning: ::1%+1: host not found\n", 1},
		{"sshd", "::1%4294967296", "warning: ::1%4294967296: host not found\n", 1},
		{"sshd", "::1%", "warning: ::1%: host not found\n", 1},
		{"sshd", "fe80::1%nosuch", "warning: fe80::1%nosuch: host not found\n", 1},
		{"sshd", "fe80::1%LO", "warning: fe80::1%LO: host not found\n", 1},
		{"sshd", "ff03::1%lo", "warning: ff03::1%lo: host not found\n", 1},
		{"sshd", "fec0::1%lo", "warning: fec0::1%lo: host not found\n", 1},
		{"sshd", "::ffff:169.254.1.1%lo", "warning: ::ffff:169.254.1.1%lo: host not found\n", 1},
		{"sshd", "u@::1%lo", "warning: ::1%lo: host not found\n", 1},
		{"sshd@::1%lo", "127.0.0.1", "warning: ::1%lo: host not found\n", 1},
		{"sshd", "::1%1", "client:   address  ::1%1\n", 0},
		{"sshd", "::1%01", "client:   address  ::1%01\n", 0},
		{"sshd", "::1%4294967295", "client:   address  ::1%4294967295\n", 0},
		{"sshd", "fe80::1%lo", "client:   address  fe80::1%lo\n", 0},
		{"sshd", "febf::1%eth0", "client:   address  febf::1%eth0\n", 0},
		{"sshd", "ff01::1%lo", "client:   address  ff01::1%lo\n", 0},
		{"sshd", "ff12::1%lo", "client:   address  ff12::1%lo\n", 0},
		{"sshd@::1%0", "127.0.0.1", "server:   address  ::1\n", 0},
		{"sshd@::1%01", "127.0.0.1", "server:   address  ::1%1\n", 0},
		{"sshd@fe80::1%1", "127.0.0.1", "server:   address  fe80::1%lo\n", 0},
		{"sshd@FE80::1%4", "127.0.0.1", "server:   address  fe80::1%eth0\n", 0},
		{"sshd@fe80::1%99", "127.0.0.1", "server:   address  fe80::1%99\n", 0},
		{"sshd@ff01::1%lo", "127.0.0.1", "server:   address  ff01::1%1\n", 0},
		{"sshd@ff12::1%2", "127.0.0.1", "server:   address  ff12::1%ifb0\n", 0},
		{"sshd@2001:db8::1%3", "127.0.0.1", "server:   address  2001:db8::1%3\n", 0},
		{"sshd@::ffff:169.254.1.1%1", "127.0.0.1", "server:   address  ::ffff:169.254.1.1%1\n", 0},
		// inet_ntop writes IPv4-compatible addresses with a dotted quad.
		{"sshd@::2:3", "127.0.0.1", "server:   address  ::0.2.0.3\n", 0},
		{"sshd@::2", "127.0.0.1", "server:   address  ::2\n", 0},
		{"sshd@::ffff:0:1.2.3.4", "127.0.0.1", "server:   address  ::ffff:0:102:304\n", 0},
	}
	for _, c := range cases {
		out, errs, code := runIn(t, "", "", "-d", "-i", "/dev/null", c.daemon, c.client)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%s %s: exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d and %q", c.daemon, c.client, code, out, errs, c.code, c.want)
		}
	}
	// The lookup warning names the server as printed.
	_, errs, _ := runIn(t, "", "", "-d", "-i", "/dev/null", "sshd@fe80::1%1", "127.0.0.1")
	if !strings.Contains(errs, "warning: host address fe80::1%lo->name lookup failed\n") {
		t.Errorf("server lookup warning: %q", errs)
	}
	// The addresses of a name operand are printed as getnameinfo prints
	// them too.
	out, _, _ := runWith(t, fakeNames{"::1.2.3.4": "v4compat.example.org"}, "", "", "-d", "-i", "/dev/null", "sshd", "v4compat.example.org")
	if !strings.Contains(out, "client:   address  ::1.2.3.4\n") {
		t.Errorf("IPv4-compatible client address:\n%s", out)
	}
}

// An empty -i name is opened as it is (and fails), not taken for the
// default inetd.conf.
func TestEmptyInetConf(t *testing.T) {
	for _, args := range [][]string{{"-d", "-i", "", "sshd", "127.0.0.1"}, {"-di", "", "sshd", "127.0.0.1"}} {
		out, errs, code := runIn(t, "", "", args...)
		if code != 1 || out != "" || errs != "open : No such file or directory\n" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

// With POSIXLY_CORRECT set (even to ""), glibc's getopt takes everything
// from the first operand on as operands.
func TestPosixlyCorrect(t *testing.T) {
	cases := []struct {
		args   []string
		posix  bool
		ok     bool
		dflag  bool
		daemon string
	}{
		{[]string{"sshd", "127.0.0.1", "-d"}, false, true, true, "sshd"},
		{[]string{"sshd", "127.0.0.1", "-d"}, true, false, false, ""},
		{[]string{"-d", "sshd", "127.0.0.1", "-i", "/dev/null"}, true, false, false, ""},
		{[]string{"sshd", "--", "127.0.0.1"}, false, true, false, "sshd"},
		{[]string{"sshd", "--", "127.0.0.1"}, true, false, false, ""},
		{[]string{"-d", "--", "sshd", "127.0.0.1"}, true, true, true, "sshd"},
		{[]string{"-d", "-i", "/dev/null", "sshd", "127.0.0.1"}, true, true, true, "sshd"},
		{[]string{"-d", "-", "127.0.0.1"}, true, true, true, "-"},
		{[]string{"-d", "sshd", "-x", "127.0.0.1"}, true, false, true, ""},
	}
	for _, c := range cases {
		var errb bytes.Buffer
		o, ok := parseArgs(append([]string{"tcpdmatch"}, c.args...), c.posix, &errb)
		if ok != c.ok || ok && (o.dflag != c.dflag || o.daemon != c.daemon) {
			t.Errorf("%q posix=%v: ok=%v %+v, want ok=%v dflag=%v daemon %q", c.args, c.posix, ok, o, c.ok, c.dflag, c.daemon)
		}
		if c.posix && errb.Len() != 0 {
			t.Errorf("%q posix: stderr %q", c.args, errb.String())
		}
	}
}

// Run as root, Debian's tcpdmatch that fails "user nobody" at setgid is
// nobody from then on: a later banners option (here in the report on the
// name operand's second address) cannot read a file only its owner may
// read, and shows nothing. A banner others may read is still shown.
func TestBannerAfterUserSwitch(t *testing.T) {
	bdir := t.TempDir()
	os.Chmod(filepath.Dir(bdir), 0o755)
	os.Chmod(bdir, 0o755)
	for _, mode := range []os.FileMode{0o600, 0o644} {
		os.WriteFile(filepath.Join(bdir, "sshd"), []byte("hello %d\n"), mode)
		os.Chmod(filepath.Join(bdir, "sshd"), mode)
		names := fakeNames{"192.0.2.7": "two.example.org", "192.0.2.8": "two.example.org"}
		allow := "sshd: 192.0.2.7: user nobody\nsshd: 192.0.2.8: banners " + bdir + "\n"
		out, errs, _ := runWith(t, names, allow, "", "-d", "-i", "/dev/null", "sshd", "two.example.org")
		if !strings.Contains(errs, "error: hosts.allow, line 1: setgid(nobody): Operation not permitted\n") {
			t.Fatalf("first block: stderr %q", errs)
		}
		shown := strings.Contains(out, "hello sshd")
		if shown != (mode == 0o644) {
			t.Errorf("banner mode %o: stdout:\n%s", mode, out)
		}
	}
}
