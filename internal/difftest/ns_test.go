package difftest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The test process re-executes itself once in a private mount namespace
// (unshare --mount, which needs root) and there bind-mounts TestHosts over
// /etc/hosts and TestResolvConf over /etc/resolv.conf. Both programs then
// see the same, known host names, and every DNS query is refused at once
// by the loopback address (the machine's name server may otherwise drop a
// query now and then, which costs a 5 s resolver timeout). Nothing outside
// the namespace changes.
const nsEnv = "TCPWRAP_DIFFTEST_NS"

// TestHosts is the /etc/hosts of the test runs. The first three lines are
// those of the reference machine (tricky-cases.md); the others give host
// names to the name operands: aliases, mixed case, a name with two
// addresses, a v4+v6 name, a name/name mismatch (alias7: reverse lookup of
// 10.0.0.7 gives alias7, whose canonical name is canon8.example.com), a
// numeric reverse name (10.0.0.9) and shell metacharacters.
const TestHosts = `127.0.0.1 localhost
127.0.0.1 runsc
127.0.0.1 vm
::1 ip6-localhost ip6-loopback
10.0.0.1 host1.example.com host1
10.0.0.2 Mixed.Example.COM mixed
10.0.0.8 canon8.example.com alias7
10.0.0.7 alias7
10.0.0.9 10.0.0.10
10.0.0.9 numrev.example.com
10.0.0.20 multi.example.com
10.0.0.21 multi.example.com
10.0.0.22 dual.example.com
2001:db8::22 dual.example.com
2001:db8::1 v6host.example.com v6host
10.0.0.30 we$ird;name
10.2.2.2 server.example.com server
`

// TestResolvConf sends DNS queries to a port where nothing listens.
const TestResolvConf = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"

// isolated tells whether the process runs in the private namespace; if
// not, isolationReason says why.
var (
	isolated        bool
	isolationReason string
)

// maybeReexec runs the test binary again inside a new mount namespace when
// that is possible and returns its exit status; ok is false when the
// current process should run the tests itself.
func maybeReexec() (code int, ok bool) {
	if os.Getenv(nsEnv) != "" {
		return 0, false
	}
	if os.Geteuid() != 0 {
		isolationReason = "not root: cannot create a private mount namespace"
		return 0, false
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		isolationReason = "unshare(1) not found"
		return 0, false
	}
	if out, err := exec.Command(unshare, "--mount", "--propagation", "private", "true").CombinedOutput(); err != nil {
		isolationReason = fmt.Sprintf("unshare --mount does not work here: %v: %s", err, bytes.TrimSpace(out))
		return 0, false
	}
	self, err := os.Executable()
	if err != nil {
		isolationReason = err.Error()
		return 0, false
	}
	cmd := exec.Command(unshare, append([]string{"--mount", "--propagation", "private", self}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), nsEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		fmt.Fprintln(os.Stderr, "difftest: re-exec in a mount namespace:", err)
		return 2, true
	}
	return 0, true
}

// setupNamespace installs the test /etc/hosts and /etc/resolv.conf; it
// runs in the re-executed process.
func setupNamespace(dir string) error {
	if os.Getenv(nsEnv) == "" {
		return nil
	}
	for _, f := range []struct{ target, data string }{
		{"/etc/hosts", TestHosts},
		{"/etc/resolv.conf", TestResolvConf},
	} {
		if _, err := os.Stat(f.target); err != nil && f.target == "/etc/resolv.conf" {
			continue // glibc and our resolver default to 127.0.0.1
		}
		src := filepath.Join(dir, filepath.Base(f.target))
		if err := os.WriteFile(src, []byte(f.data), 0o644); err != nil {
			return err
		}
		if err := unix.Mount(src, f.target, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind-mounting %s: %w", f.target, err)
		}
	}
	isolated = true
	return nil
}
