package dryrun

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"tcpwrap/hostsfile"
)

// Files reads as the simulated user would: search permission on the way,
// read permission on the file, symbolic links followed. Debian's
// tcpdmatch, become nobody by "user nobody.nogroup", shows no banner from
// a file only root may read, and warns "DIR: Permission denied" for a
// banner directory inside a directory it may not search.
func TestFiles(t *testing.T) {
	const uid = 54321
	if os.Geteuid() == uid {
		t.Skip("runs as the simulated user")
	}
	dir := t.TempDir()
	// The test's directories are private to its user; open them up to
	// the simulated one.
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	write := func(name string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("text"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	write("public", 0o644)
	write("secret", 0o600)
	write("group", 0o640)
	write("locked/file", 0o644)
	os.Chmod(filepath.Join(dir, "locked"), 0o700)
	os.Symlink("locked/file", filepath.Join(dir, "to-locked"))
	os.Symlink(filepath.Join(dir, "public"), filepath.Join(dir, "to-public"))
	os.Symlink("loop", filepath.Join(dir, "loop"))
	t.Chdir(dir)

	stranger := &Accounts{UID: uid, GID: uid}
	member := &Accounts{UID: uid, GID: uid, Groups: []int{os.Getegid()}}
	self := &Accounts{UID: os.Geteuid(), GID: os.Getegid()}
	cases := []struct {
		a    *Accounts
		name string
		read error // from ReadFile
		stat error // from Stat
	}{
		{stranger, "public", nil, nil},
		{stranger, filepath.Join(dir, "public"), nil, nil},
		{stranger, "secret", syscall.EACCES, nil},
		{stranger, "group", syscall.EACCES, nil},
		{member, "group", nil, nil},
		{stranger, "locked", syscall.EACCES, nil},
		{stranger, "locked/file", syscall.EACCES, syscall.EACCES},
		{stranger, "locked/missing", syscall.EACCES, syscall.EACCES},
		{stranger, "locked/../public", syscall.EACCES, syscall.EACCES},
		{stranger, "to-locked", syscall.EACCES, syscall.EACCES},
		{stranger, "to-public", nil, nil},
		{stranger, "missing", syscall.ENOENT, syscall.ENOENT},
		{stranger, "public/x", syscall.ENOTDIR, syscall.ENOTDIR},
		{stranger, "loop", syscall.ELOOP, syscall.ELOOP},
		{self, "secret", nil, nil},
		{self, "locked/file", nil, nil},
	}
	for _, c := range cases {
		fsys := c.a.Files(hostsfile.OS{})
		_, rerr := fsys.ReadFile(c.name)
		_, serr := fsys.Stat(c.name)
		if !sameErr(rerr, c.read) || !sameErr(serr, c.stat) {
			t.Errorf("uid %d %s: read %v, stat %v; want %v, %v", c.a.UID, c.name, rerr, serr, c.read, c.stat)
		}
	}
}

func sameErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}
