package inetcf

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

// strerror renders err the way glibc's strerror(3) (and so %m) renders the
// errno behind it: "No such file or directory", "Permission denied".
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errnoText(errno)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errnoText(syscall.ENOENT)
	case errors.Is(err, fs.ErrPermission):
		return errnoText(syscall.EACCES)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// errnoText maps an errno to glibc's message. Go's Linux message table was
// generated from glibc's with the first letter lower-cased (unless the
// second letter is upper case), so upper-casing it again restores glibc's
// text; the exceptions are the numbers Go has no text for.
func errnoText(e syscall.Errno) string {
	s := e.Error()
	if strings.HasPrefix(s, "errno ") {
		if e == 133 { // EHWPOISON
			return "Memory page has hardware error"
		}
		return "Unknown error " + strconv.Itoa(int(e))
	}
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// isNotExist reports whether err is ENOENT (and only ENOENT: ENOTDIR and
// ELOOP are "other" errors for the scan).
func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
