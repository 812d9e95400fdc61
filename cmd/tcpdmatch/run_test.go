package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tcpwrap/internal/dryrun"
)

// fakeNames answers from a table and never touches the network.
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
	return name, addrs, nil
}

func runIn(t *testing.T, allow, deny string, args ...string) (stdout, stderr string, code int) {
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
		names:    fakeNames{"192.0.2.7": "host.example.org"},
		accounts: &dryrun.Accounts{},
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
