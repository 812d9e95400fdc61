// Package rawfile reads and opens files with plain system calls.
//
// os.ReadFile and os.Open go through an *os.File, and the first *os.File a
// process opens sets up the runtime's network poller (an epoll instance,
// an eventfd, a thread that may wait in epoll_wait) and registers a
// finaliser. For a long-running program that is nothing; for tcpd, which
// starts once per connection and reads a handful of small files before it
// execs the daemon, it is a measurable share of its start-up. The
// functions here cost open, fstat, read and close, and nothing else.
package rawfile

import (
	"io/fs"
	"path"
	"syscall"
	"time"
)

// ReadFile reads the named file, as os.ReadFile does: errors are
// *fs.PathError values (so errors.Is(err, fs.ErrNotExist) works), and a
// directory gives the read error EISDIR.
func ReadFile(name string) ([]byte, error) {
	data, _, err := ReadFileInfo(name, 0)
	return data, err
}

// ReadFileInfo reads the named file, opened with the extra open flags
// (e.g. syscall.O_NOFOLLOW), and returns what fstat said of the file it
// read. The FileInfo is nil when the file could not be opened.
func ReadFileInfo(name string, flags int) ([]byte, fs.FileInfo, error) {
	fd, fi, err := Open(name, flags)
	if err != nil {
		return nil, nil, err
	}
	defer syscall.Close(fd)
	size := 512
	if fi.Mode().IsRegular() && fi.Size() > 0 && int64(int(fi.Size())) == fi.Size() {
		size = int(fi.Size()) + 1 // one more, to see the end in one read
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, fi, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n <= 0 {
			return data, fi, nil
		}
		data = data[:len(data)+n]
	}
}

// Open opens the named file read-only (close-on-exec, plus flags) and
// returns its descriptor and what fstat says of it. The caller closes the
// descriptor with syscall.Close.
func Open(name string, flags int) (int, fs.FileInfo, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|flags, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return -1, nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	fi := &fileInfo{name: path.Base(name)}
	if err := syscall.Fstat(fd, &fi.st); err != nil {
		syscall.Close(fd)
		return -1, nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fd, fi, nil
}

// fileInfo is fstat's answer as an fs.FileInfo, with the same mode bits
// and Sys value (*syscall.Stat_t) as os.Stat gives.
type fileInfo struct {
	name string
	st   syscall.Stat_t
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.st.Size }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.st }
func (fi *fileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }

func (fi *fileInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if fi.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if fi.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if fi.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
