package inetconf_test

// The differential tests run Debian's programs (openbsd-inetd, getent)
// in private mount and network namespaces: the test binary re-executes
// itself as the in-namespace half (nsHelper), which bind-mounts the
// test's services, hosts, nsswitch.conf and resolv.conf over /etc,
// covers /run and /dev with tmpfs (with /dev/null back and /dev/log a
// link to the test's syslog socket), brings up lo, and executes the
// program. Nothing outside the namespaces changes, and no traffic can
// leave them: lo is their only interface.

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const nsEnv = "INETCONF_TEST_NAMESPACE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(nsEnv); dir != "" {
		nsHelper(dir, os.Args[1:])
	}
	os.Exit(m.Run())
}

// nsHelper sets the namespace up from the files in dir (services, hosts)
// and executes argv. It never returns.
func nsHelper(dir string, argv []string) {
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "nshelper: %s: %v\n", what, err)
		os.Exit(111)
	}
	must := func(what string, err error) {
		if err != nil {
			fail(what, err)
		}
	}
	must("make / private", unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""))
	for _, f := range []string{"services", "hosts", "nsswitch.conf", "resolv.conf"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			must("bind /etc/"+f, unix.Mount(filepath.Join(dir, f), "/etc/"+f, "", unix.MS_BIND, ""))
		}
	}
	must("tmpfs /run", unix.Mount("tmpfs", "/run", "tmpfs", unix.MS_NOSUID, "mode=0755,size=1m"))
	oldDev := filepath.Join(dir, "olddev")
	must("mkdir olddev", os.Mkdir(oldDev, 0o700))
	must("bind /dev", unix.Mount("/dev", oldDev, "", unix.MS_BIND, ""))
	must("tmpfs /dev", unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID, "mode=0755,size=1m"))
	for _, name := range []string{"null", "zero", "urandom"} {
		f, err := os.OpenFile("/dev/"+name, os.O_CREATE|os.O_WRONLY, 0o666)
		must("create /dev/"+name, err)
		f.Close()
		must("bind /dev/"+name, unix.Mount(filepath.Join(oldDev, name), "/dev/"+name, "", unix.MS_BIND, ""))
	}
	must("unmount olddev", unix.Unmount(oldDev, unix.MNT_DETACH))
	must("symlink /dev/log", os.Symlink(filepath.Join(dir, "log"), "/dev/log"))
	must("lo up", loUp())
	err := syscall.Exec(argv[0], argv, os.Environ())
	fail("exec "+argv[0], err)
}

// loUp brings up the namespace's loopback interface.
func loUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// canNamespace skips the test unless namespaces can be made (root) and
// the programs exist.
func canNamespace(t *testing.T, programs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for mount and network namespaces")
	}
	for _, p := range programs {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed (apt-get install -y openbsd-inetd): %v", p, err)
		}
	}
}

// nsFiles writes the namespace's /etc files into dir.
func nsFiles(t *testing.T, dir, services, hosts string) {
	t.Helper()
	for name, text := range map[string]string{
		"services":      services,
		"hosts":         hosts,
		"nsswitch.conf": "hosts: files\nservices: files\nprotocols: files\n",
		// No name server: lookups fail at once, and nothing is sent.
		"resolv.conf": "nameserver 127.0.0.1\noptions attempts:1 timeout:1\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// nsCommand returns the SysProcAttr that puts a child in new mount and
// network namespaces.
func nsAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWNET,
		Pdeathsig:  syscall.SIGKILL,
	}
}
