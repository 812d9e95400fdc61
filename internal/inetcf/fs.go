package inetcf

import (
	"io"
	"io/fs"
	"os"
)

// FS is what the scan needs from the file system.
//
// Stat must follow symbolic links, as stat(2) does. Errors should carry a
// syscall.Errno (as *fs.PathError from package os does) so that the
// diagnostics can quote the C library's text; errors that only match
// fs.ErrNotExist or fs.ErrPermission are reported as ENOENT and EACCES.
type FS interface {
	Open(path string) (io.ReadCloser, error)
	Stat(path string) (fs.FileInfo, error)
}

// OS is the real file system: os.Open and os.Stat, with paths used as
// given (relative paths are relative to the working directory).
type OS struct{}

// Open opens path for reading.
func (OS) Open(path string) (io.ReadCloser, error) { return os.Open(path) }

// Stat returns the file information of path, following symbolic links.
func (OS) Stat(path string) (fs.FileInfo, error) { return os.Stat(path) }
