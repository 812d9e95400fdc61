package ban

import (
	"context"
	"errors"

	"tcpwrap/watch/alert"
)

// Action is an alert action that bans the client of the event that
// opened each incident, with the rule's name as the reason; a program
// gives it to alert.New in Options.Actions under the name its rules use
// ("ban"). Summaries change nothing, nor do incidents about a host name
// (there is no address to ban: names from logs are never trusted).
// Allowlisted and already banned clients are not failures; they are
// counted in Stats.
func (l *List) Action() alert.Action {
	return alert.ActionFunc(func(_ context.Context, n alert.Notice) error {
		if n.Kind != alert.Opened || !n.Event.Addr.IsValid() {
			return nil
		}
		_, _, err := l.Ban(n.Event.Addr, n.Rule)
		if errors.Is(err, ErrAllowed) {
			return nil
		}
		return err
	})
}
