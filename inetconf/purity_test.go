package inetconf_test

import (
	"testing"

	"tcpwrap/internal/puritytest"
)

// inetconf is pure: the file comes in as an io.Reader and the outside
// world answers through Options, so neither the package nor anything
// it imports may reach the file system, the network or processes.
// (syscall arrives through package time; inetconf must not import it.)
func TestPure(t *testing.T) {
	puritytest.Check(t, "tcpwrap/inetconf")
}
