// Package nsmount prepares a private mount namespace for the helpers that
// run Debian's programs in tests (internal/tcpdtest/nswrap and
// internal/oracle/nsrun): a /dev of its own, without the machine's
// /dev/log, and a private /etc/hosts. Its functions must run in a mount
// namespace of their own (unshare --mount); MakePrivate first, so that
// nothing they mount reaches the machine's namespace.
package nsmount

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// MakePrivate stops mounts propagating from this namespace to others.
func MakePrivate() error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	return nil
}

// devices are the nodes the private /dev keeps from the original.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

// PrivateDev covers /dev with a tmpfs that holds null, zero, full,
// random, urandom and tty (bound from the original /dev, which is reached
// through oldDev, an empty directory, for as long as that takes), the
// links fd, stdin, stdout and stderr into /proc/self/fd, and the extra
// links given (name to target), such as "log" to a syslog socket.
func PrivateDev(oldDev string, links map[string]string) error {
	if oldDev == "" {
		return fmt.Errorf("no directory for the original /dev")
	}
	if err := unix.Mount("/dev", oldDev, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /dev to %s: %w", oldDev, err)
	}
	if err := unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID, "mode=0755,size=1m"); err != nil {
		return fmt.Errorf("mount tmpfs on /dev: %w", err)
	}
	for _, name := range devices {
		src := filepath.Join(oldDev, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		dst := filepath.Join("/dev", name)
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return err
		}
		f.Close()
		if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind %s: %w", dst, err)
		}
	}
	all := map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	}
	for name, target := range links {
		all[name] = target
	}
	for name, target := range all {
		if err := os.Symlink(target, filepath.Join("/dev", name)); err != nil {
			return err
		}
	}
	if err := unix.Unmount(oldDev, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", oldDev, err)
	}
	return nil
}

// BindHosts bind-mounts path over /etc/hosts, and hides nscd's socket,
// whose cache would answer host lookups without reading it.
func BindHosts(path string) error {
	if err := unix.Mount(path, "/etc/hosts", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s over /etc/hosts: %w", path, err)
	}
	for _, d := range []string{"/run/nscd", "/var/run/nscd"} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			if err := unix.Mount("tmpfs", d, "tmpfs", 0, "mode=0755,size=64k"); err != nil {
				return fmt.Errorf("hide %s: %w", d, err)
			}
		}
	}
	return nil
}
