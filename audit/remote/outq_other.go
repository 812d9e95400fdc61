//go:build !linux

package remote

import "net"

// unacked is not available: records count as acknowledged when written,
// and only Config.Settle protects them.
func unacked(c *net.TCPConn) (int64, bool) { return 0, false }
