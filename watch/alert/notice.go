package alert

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"tcpwrap/internal/quote"
	"tcpwrap/watch"
)

// NoticeKind says whether a Notice opens an incident or sums it up.
type NoticeKind uint8

// Notice kinds.
const (
	Opened  NoticeKind = iota + 1 // the alert: a rule fired for a source
	Summary                       // the incident closed: what followed
)

func (k NoticeKind) String() string {
	switch k {
	case Opened:
		return "opened"
	case Summary:
		return "summary"
	}
	return "unknown"
}

// Close reasons given in a Summary.
const (
	ClosedQuiet    = "quiet"        // no event for the quiet period
	ClosedMax      = "max-duration" // open for the maximum duration
	ClosedShutdown = "shutdown"     // the engine was closed
	ClosedEvicted  = "evicted"      // too many incidents: the idlest was closed
)

// Notice is what actions receive: one when an incident opens and one
// when it closes. Its strings (Source when keyed by name, the Event's,
// Names, Services) come from logs and are hostile: every action escapes
// them before they reach a mail, a program or a terminal (Text does).
type Notice struct {
	Kind NoticeKind
	// Incident identifies the incident; the Opened and Summary notices of
	// one incident have the same ID.
	Incident string
	Rule     string
	RuleKind Kind
	// Source is the source the incident is about: an address, a prefix
	// ("2001:db8:1:2::/64"), or, for events that carried only a host
	// name, that name.
	Source string
	// Prefix is the source as a prefix; invalid when keyed by name.
	Prefix netip.Prefix
	// Event is the event that opened the incident.
	Event watch.Event
	// First and Last are the times of the first and last events counted
	// (for a Threshold rule, First is the first of the Count refusals).
	First, Last time.Time
	// Count is every event counted in the incident, including those
	// that opened it; Followed is those after the opening.
	Count, Followed  int
	Refused, Granted int
	// Services are the distinct services seen, sorted, at most
	// maxDistinct; Names likewise for the client host names logged.
	Services []string
	Names    []string
	// Closed is the reason a Summary was sent (ClosedQuiet, ...).
	Closed string
	// Threshold rules: the rule's Count and Window, for the text.
	Threshold int
	Window    time.Duration
}

// maxDistinct bounds the lists of services and names kept per incident.
const maxDistinct = 32

// maxField bounds the length of any single hostile string in a rendered
// notice (a little more with the final escape and "...").
const maxField = 200

// Clean makes a string from a log safe to show in a line of text (a
// mail, a terminal, a subject): printable ASCII other than the
// backslash is kept, everything else is written as a Go escape (\n, \x1b,
// \u00e9), and the result is cut to a bounded length with "...". It never
// contains a control character, so it cannot break a header or a line.
func Clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= maxField {
			b.WriteString("...")
			break
		}
		if c := s[i]; c >= 0x20 && c < 0x7f && c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		i += quote.Rune(&b, s[i:])
	}
	return b.String()
}

// cleanList cleans the strings of a list and joins them with spaces,
// breaking the line (with an indented continuation) before it grows past
// about 76 characters, so that no line of a mail is too long.
func cleanList(l []string) string {
	var b strings.Builder
	width := 0
	for _, s := range l {
		c := Clean(s)
		if width > 0 && width+1+len(c) > 64 {
			b.WriteString("\n           ")
			width = 0
		} else if width > 0 {
			b.WriteByte(' ')
			width++
		}
		b.WriteString(c)
		width += len(c)
	}
	return b.String()
}

// timeText is how times appear in texts.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// Subject is a one-line title for the notice (a mail subject), with
// every hostile part cleaned.
func (n *Notice) Subject() string {
	switch n.Kind {
	case Opened:
		var what string
		switch n.RuleKind {
		case Threshold:
			what = fmt.Sprintf("%d refusals from %s", n.Count, Clean(n.Source))
		case Trap:
			what = fmt.Sprintf("%s %s trap service %s", Clean(n.Source), verbOf(n.Event.Verdict), Clean(n.Event.Daemon))
		case NewSource:
			what = fmt.Sprintf("new source %s granted %s", Clean(n.Source), Clean(n.Event.Daemon))
		default:
			what = Clean(n.Source)
		}
		return fmt.Sprintf("ALERT %s: %s", n.Rule, what)
	default:
		return fmt.Sprintf("summary %s: %s, %d more after the alert (%s)", n.Rule, Clean(n.Source), n.Followed, n.Closed)
	}
}

func verbOf(v watch.Verdict) string {
	switch v {
	case watch.Granted:
		return "granted"
	case watch.Refused:
		return "refused at"
	}
	return "tried"
}

// Text is the notice as plain text lines (the body of a mail), every
// hostile part cleaned. Lines end with "\n".
func (n *Notice) Text() string {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%-10s %s\n", k+":", v) }
	line("incident", n.Incident)
	line("rule", fmt.Sprintf("%s (%s)", n.Rule, n.RuleKind))
	if n.RuleKind == Threshold && n.Threshold > 0 {
		line("threshold", fmt.Sprintf("%d refusals within %s", n.Threshold, n.Window))
	}
	line("source", Clean(n.Source))
	if n.Kind == Summary {
		line("closed", n.Closed)
	}
	line("first", timeText(n.First))
	line("last", timeText(n.Last))
	line("events", fmt.Sprintf("%d (%d refused, %d granted, %d after the alert)", n.Count, n.Refused, n.Granted, n.Followed))
	line("services", cleanList(n.Services))
	if len(n.Names) > 0 {
		line("names", cleanList(n.Names))
	}
	b.WriteString("\n")
	b.WriteString("event that opened the incident:\n")
	ev := &n.Event
	line("time", timeText(ev.Time))
	if ev.Host != "" {
		line("host", Clean(ev.Host))
	}
	prog := Clean(ev.Program)
	if ev.PID > 0 {
		prog += fmt.Sprintf("[%d]", ev.PID)
	}
	line("logged by", prog+" ("+ev.Source.String()+")")
	line("service", Clean(ev.Daemon))
	line("verdict", ev.Verdict.String())
	client := "unknown"
	if ev.Addr.IsValid() {
		client = ev.Addr.String()
	}
	if ev.Name != "" {
		client = Clean(ev.Name) + " [" + client + "]"
	}
	if ev.User != "" {
		client = Clean(ev.User) + "@" + client
	}
	line("client", client)
	if ev.Rule != "" {
		line("decided by", Clean(ev.Rule))
	}
	return b.String()
}
