package filelog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// File and directory modes, before the umask.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// appendFile is one log file, opened for appending, that follows its path
// when logrotate moves the file away.
//
// Every record goes out in one write(2) on a descriptor opened with
// O_APPEND. On a local file system the kernel then moves the offset to the
// end of the file and writes the whole buffer as one step, under the
// inode's lock, so records written at the same time by different processes
// land one after the other, never interleaved, whatever their length: the
// PIPE_BUF limit of 4096 bytes is for pipes and FIFOs, not for files. (NFS
// gives no such promise: O_APPEND there is emulated by the client.) A
// short write (a full disk, a file size limit) is reported, not completed
// with a second write, which could interleave with another writer's.
//
// Rotation: when the path names another file than the open one (logrotate
// renamed the file and created a new one) or no file (it was removed),
// the next record reopens the path. The check is a stat(2) of the path,
// done before a record at most once per checkEvery; until it is done,
// records go to the file that is open, under its new name, so none is
// lost. Truncation in place (logrotate's copytruncate) needs no reopen:
// with O_APPEND the next record is written at the new end, without a hole.
type appendFile struct {
	path       string
	fd         int // -1: not open
	dev, ino   uint64
	lastCheck  time.Time
	checkEvery time.Duration // 0: before every record
}

func newAppendFile(path string, checkEvery time.Duration) *appendFile {
	return &appendFile{path: path, fd: -1, checkEvery: checkEvery}
}

// write writes b with one write(2), opening or reopening the file first
// when needed. now is the time of the record, for the rotation check.
func (f *appendFile) write(b []byte, now time.Time) error {
	var reopenErr error
	switch {
	case f.fd < 0:
		if err := f.open(); err != nil {
			return err
		}
		f.lastCheck = now
	case f.checkEvery == 0 || now.Sub(f.lastCheck) >= f.checkEvery || now.Before(f.lastCheck):
		f.lastCheck = now
		reopenErr = f.follow()
	}
	if err := writeOnce(f.fd, b); err != nil {
		return errors.Join(reopenErr, &os.PathError{Op: "write", Path: f.path, Err: err})
	}
	if reopenErr != nil {
		return fmt.Errorf("%w (the record went to the file that was open)", reopenErr)
	}
	return nil
}

// writeOnce makes one write(2) call, repeated only when a signal
// interrupted it before it wrote anything.
func writeOnce(fd int, b []byte) error {
	for {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n < len(b) {
			return fmt.Errorf("%w: %d of %d bytes", io.ErrShortWrite, n, len(b))
		}
		return nil
	}
}

// follow reopens the path when it no longer names the open file. If the
// path cannot be reopened, the open file stays open.
func (f *appendFile) follow() error {
	var st unix.Stat_t
	err := unix.Stat(f.path, &st)
	if err == nil && st.Dev == f.dev && st.Ino == f.ino {
		return nil
	}
	if err != nil && err != unix.ENOENT {
		// Cannot tell (EACCES on a directory, say): keep writing.
		return nil
	}
	old := f.fd
	if err := f.open(); err != nil {
		return err
	}
	unix.Close(old)
	return nil
}

// open opens the path for appending, creating it and its missing parent
// directories, and records which file it is. On failure f.fd is
// unchanged.
//
// O_NONBLOCK keeps a FIFO without a reader from hanging the logger (open
// fails with ENXIO instead); it means nothing for a regular file.
func (f *appendFile) open() error {
	const flags = unix.O_WRONLY | unix.O_APPEND | unix.O_CREAT | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK
	fd, err := openRetry(f.path, flags)
	if err == unix.ENOENT {
		if err := os.MkdirAll(filepath.Dir(f.path), dirMode); err != nil {
			return err
		}
		fd, err = openRetry(f.path, flags)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: f.path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return &os.PathError{Op: "fstat", Path: f.path, Err: err}
	}
	f.fd, f.dev, f.ino = fd, st.Dev, st.Ino
	return nil
}

func openRetry(path string, flags int) (int, error) {
	for {
		fd, err := unix.Open(path, flags, fileMode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func (f *appendFile) close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &os.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}
