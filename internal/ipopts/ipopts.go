// Package ipopts does what tcpd does with the IPv4 options of a client's
// connection, for tcpd and tcpwrapd alike: source routing is refused
// (logged, and the socket shut down), other options are logged and
// cleared.
package ipopts

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
	"tcpwrap/audit"
)

// Check examines the IP options of the IPv4 stream socket fd, whose
// client is client, and reports what it did through logf with tcpd's
// texts. The decision still runs after a refusal: the service gets a
// dead socket, as with tcpd.
func Check(fd int, client string, logf func(audit.Priority, string)) {
	opts, err := unix.GetsockoptString(fd, unix.IPPROTO_IP, unix.IP_OPTIONS)
	if err != nil || len(opts) == 0 {
		return
	}
	b := []byte(opts)
	for i := 0; i < len(b); {
		switch b[i] {
		case 0: // end of options
			i = len(b)
			continue
		case 1: // no-op
			i++
			continue
		case 0x83, 0x89: // loose or strict source route
			logf(audit.RefusePriority, "refused connect from "+client+" with IP source routing options")
			unix.Shutdown(fd, unix.SHUT_RDWR)
			return
		}
		if i+1 >= len(b) || b[i+1] < 2 {
			break
		}
		i += int(b[i+1])
	}
	var hex strings.Builder
	for _, c := range b {
		fmt.Fprintf(&hex, " %02x", c)
	}
	logf(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}, "connect from "+client+" with IP options (ignored):"+hex.String())
	if err := unix.SetsockoptString(fd, unix.IPPROTO_IP, unix.IP_OPTIONS, ""); err != nil {
		logf(audit.ErrorPriority, "setsockopt IP_OPTIONS NULL: "+access.Strerror(err))
		unix.Shutdown(fd, unix.SHUT_RDWR)
	}
}
