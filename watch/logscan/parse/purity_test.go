package parse_test

import (
	"testing"

	"tcpwrap/internal/puritytest"
)

// The parser does no I/O: it must not reach the file system, the
// network or processes, even indirectly (syscall comes in through
// package time; the parser may not import it itself).
func TestPure(t *testing.T) {
	puritytest.Check(t, "tcpwrap/watch/logscan/parse", "tcpwrap/watch")
}
