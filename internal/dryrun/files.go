package dryrun

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"tcpwrap/access"
)

// Files is fsys as seen by a process with a's credentials at the time of
// each call. After Debian's tcpdmatch has become nobody through "user
// nobody.nogroup", a later banners option cannot show a file that only
// root may read; the banners option reads through Files to give the same
// output while this process stays who it is.
//
// While a is root or this process's own effective user the files are
// read as they are: root may read everything, and a process that is not
// root cannot have changed its credentials. Otherwise the permission
// checks are worked out from the owners and mode bits of the real file
// system (search permission on every directory the path goes through,
// symbolic links followed, read permission on the file); access control
// lists and capabilities are not modelled.
func (a *Accounts) Files(fsys access.FileSystem) access.FileSystem {
	return files{a, fsys}
}

type files struct {
	a    *Accounts
	fsys access.FileSystem
}

func (f files) simulated() bool { return f.a.UID != 0 && f.a.UID != os.Geteuid() }

func (f files) ReadFile(name string) ([]byte, error) {
	if f.simulated() {
		if err := f.a.check(name, modeRead); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	return f.fsys.ReadFile(name)
}

func (f files) Stat(name string) (fs.FileInfo, error) {
	if f.simulated() {
		if err := f.a.check(name, 0); err != nil {
			return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
		}
	}
	return f.fsys.Stat(name)
}

// Permission bits of the "other" class; shifted for group and owner.
const (
	modeRead   fs.FileMode = 4
	modeSearch fs.FileMode = 1
)

// maxSymlinks is Linux's limit on symbolic links followed in one path.
const maxSymlinks = 40

// check resolves name as the kernel does and returns the errno a process
// with a's credentials would get: EACCES where it may not search a
// directory on the way, or (want non-zero) may not open the file with
// that permission; the lookup's own errors (ENOENT, ENOTDIR, ELOOP) as
// they occur. Directories are judged before what they contain, as in
// path resolution, so an unsearchable directory hides whether the rest
// exists.
func (a *Accounts) check(name string, want fs.FileMode) error {
	p := name
	if !strings.HasPrefix(p, "/") {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		p = wd + "/" + p
	}
	rest := strings.Split(p, "/")
	dir := "/" // resolved: no symbolic links in it
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == "" || c == "." {
			continue
		}
		di, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if !a.may(di, modeSearch) {
			return syscall.EACCES
		}
		if c == ".." {
			dir = path.Dir(dir)
			continue
		}
		next := path.Join(dir, c)
		fi, err := os.Lstat(next)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if links++; links > maxSymlinks {
				return syscall.ELOOP
			}
			target, err := os.Readlink(next)
			if err != nil {
				return err
			}
			if strings.HasPrefix(target, "/") {
				dir = "/"
			}
			rest = append(strings.Split(target, "/"), rest...)
			continue
		}
		if !fi.IsDir() && len(rest) > 0 {
			return syscall.ENOTDIR
		}
		dir = next
	}
	if want == 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !a.may(fi, want) {
		return syscall.EACCES
	}
	return nil
}

// may applies the permission bits of the one class a falls in (owner,
// else group, else other) for a user that is not root.
func (a *Accounts) may(fi fs.FileInfo, bit fs.FileMode) bool {
	perm := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return true
	case int(st.Uid) == a.UID:
		return perm&(bit<<6) != 0
	case a.inGroup(int(st.Gid)):
		return perm&(bit<<3) != 0
	}
	return perm&bit != 0
}
