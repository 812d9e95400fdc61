package limits_test

import (
	"time"

	"tcpwrap/internal/fakeclock"
)

// newClock is a Clock that moves only when told.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) }
