package limits

import (
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
)

// Reason says which limit refused a connection.
type Reason uint8

const (
	Admitted         Reason = iota // no limit refused: the zero Refusal
	SourceRate                     // the source's token bucket is empty
	SourceConcurrent               // the source holds its maximum of sessions
	ServiceMax                     // the service runs its maximum of instances
	GlobalMax                      // the limiter holds its maximum of sessions
)

var reasonNames = [...]string{
	Admitted:         "admitted",
	SourceRate:       "source-rate",
	SourceConcurrent: "source-concurrent",
	ServiceMax:       "service-max",
	GlobalMax:        "global-max",
}

// String is the reason's name as logs and metrics use it: "source-rate",
// "source-concurrent", "service-max", "global-max" (and "admitted").
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Refusal says why a connection was refused, and whether to log it. The
// zero value (Reason Admitted) means the connection was admitted.
//
// Refusals are rate-limited for logging: Log is true for the first refusal
// of a kind in each LogInterval, and Suppressed then counts the refusals
// of that kind not logged since the previous logged one. "Of a kind" means
// the same source and reason for source-rate and source-concurrent, the
// same service for service-max, and the whole limiter for global-max, so
// that a flood gives one log line per interval, not one per connection.
// (The sources limited together in an overflow entry are one kind.)
type Refusal struct {
	Reason Reason
	// Service is the service asked for; empty in the summaries Sweep gives
	// for source-rate and source-concurrent, which span services.
	Service string
	// Source is the client's source: its address masked to the configured
	// prefix length (the invalid Prefix for a connection without an IP
	// address).
	Source netip.Prefix
	// Overflow says the source was not tracked on its own because the
	// table of sources was full, and was limited in the shared overflow
	// entry (see the package documentation).
	Overflow bool
	// Log says this refusal should be logged now.
	Log bool
	// Suppressed, when Log is true, is the number of refusals of the same
	// kind that were not logged since the previous logged one. It is zero
	// when Log is false.
	Suppressed int64
}

// Refused reports whether a limit refused the connection.
func (r Refusal) Refused() bool { return r.Reason != Admitted }

// String describes the refusal in one line for a log, such as
// "source-rate: 2001:db8:1:2::/64 (overflow), 41 more suppressed".
func (r Refusal) String() string {
	if r.Reason == Admitted {
		return "admitted"
	}
	var what []string
	if r.Service != "" {
		what = append(what, "service "+strconv.Quote(r.Service))
	}
	switch {
	case r.Source.IsValid():
		what = append(what, r.Source.String())
	case r.Reason == SourceRate || r.Reason == SourceConcurrent:
		what = append(what, "unknown source")
	}
	if r.Overflow {
		what = append(what, "(overflow)")
	}
	s := r.Reason.String()
	if len(what) > 0 {
		// A global-max summary has neither service nor source.
		s += ": " + strings.Join(what, " ")
	}
	if r.Suppressed > 0 {
		s += ", " + strconv.FormatInt(r.Suppressed, 10) + " more suppressed"
	}
	return s
}

// never is the last-logged time of a kind never logged: far enough in the
// past that any clock reading is an interval later, near enough that the
// subtraction does not overflow.
const never = -1 << 62

// logState is the log rate limit of one service or of the whole limiter,
// shared without a lock.
type logState struct {
	last       atomic.Int64
	suppressed atomic.Int64
}

func (s *logState) init() { s.last.Store(never) }

// note records one refusal and says whether to log it, and with how many
// suppressed before it. Every refusal is counted exactly once: either
// logged, or in the Suppressed of a later logged one (or still pending).
func (s *logState) note(now, interval int64) (bool, int64) {
	last := s.last.Load()
	if now-last >= interval && s.last.CompareAndSwap(last, now) {
		return true, s.suppressed.Swap(0)
	}
	s.suppressed.Add(1)
	return false, 0
}

// flush takes the pending suppressed count if the interval has ended.
func (s *logState) flush(now, interval int64) int64 {
	last := s.last.Load()
	if s.suppressed.Load() == 0 || now-last < interval || !s.last.CompareAndSwap(last, now) {
		return 0
	}
	return s.suppressed.Swap(0)
}
