package logscan_test

import "tcpwrap/internal/tcpdtest"

func cleanupHelpers() { tcpdtest.Cleanup() }
