package hostsfile

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"strconv"
	"syscall"

	"tcpwrap/access"
	"tcpwrap/internal/rawfile"
)

// OS is the real file system, with paths taken as written (absolute, or
// relative to the working directory).
type OS struct{}

func (OS) ReadFile(name string) ([]byte, error)  { return rawfile.ReadFile(name) }
func (OS) Stat(name string) (fs.FileInfo, error) { return os.Stat(name) }

// Default table paths.
const (
	AllowPath = "/etc/hosts.allow"
	DenyPath  = "/etc/hosts.deny"
)

// ReadTable reads and compiles one table the way tcp_wrappers opens it: a
// missing file is no table at all (nil: it matches nothing, silently); a
// directory reads as an empty table; any other open error gives a table
// that logs "cannot open PATH: ERROR" and counts as an error.
func ReadTable(path string, fsys access.FileSystem) *access.Table {
	opts := access.ParseOptions{Files: fsys, Zones: InterfaceExists}
	data, err := rawfile.ReadFile(path)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil
		case errors.Is(err, syscall.EISDIR):
			return access.Parse(nil, path, opts)
		}
		return access.ErrorTable(path, "cannot open "+path+": "+access.Strerror(err))
	}
	return access.Parse(data, path, opts)
}

// InterfaceExists tells whether an IPv6 scope names a network interface
// (or is a number), as getaddrinfo requires of a scoped address.
func InterfaceExists(zone string) bool {
	if zone == "" {
		return false
	}
	if _, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return true
	}
	_, err := net.InterfaceByName(zone)
	return err == nil
}
