package limits

import "time"

// Clock gives the current time. Only differences between readings
// matter, so a clock with a monotonic reading (as time.Now's) is best.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
