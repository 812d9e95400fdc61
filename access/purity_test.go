package access_test

import (
	"testing"

	"tcpwrap/internal/puritytest"
)

// The decision core does no I/O: the pure packages must not reach the
// file system, the network or processes, even indirectly. (syscall comes
// in through package time; no pure package may import it itself.)
func TestPurePackages(t *testing.T) {
	puritytest.Check(t, "tcpwrap/access", "tcpwrap/options")
}
