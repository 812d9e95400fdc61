package remote

import (
	"net"

	"golang.org/x/sys/unix"
)

// unacked returns how many bytes written to c the peer has not yet
// acknowledged (SIOCOUTQ: unsent plus sent but unacknowledged).
func unacked(c *net.TCPConn) (int64, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || ierr != nil {
		return 0, false
	}
	return int64(n), true
}
