package limits_test

import (
	"testing"

	"tcpwrap/internal/puritytest"
)

// The limiter does no I/O: it must not reach the file system, the
// network or processes, even indirectly. (syscall comes in through
// package time; the package must not import it itself.)
func TestPure(t *testing.T) {
	puritytest.Check(t, "tcpwrap/limits")
}
