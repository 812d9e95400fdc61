package audit

import (
	"os"
	"strings"
	"sync"
	"time"

	"tcpwrap/access"
	"tcpwrap/options"
)

// Priorities Debian's tcpd logs at (its build sets the facility to daemon,
// grants to info and refusals to warning; diagnostics are err).
var (
	GrantPriority  = Priority{Daemon, Info}
	RefusePriority = Priority{Daemon, Warning}
	ErrorPriority  = Priority{Daemon, Err}
)

// Classic builds tcpd's log lines for a decision.
//
// Facility is the facility tcpd passes to openlog (daemon); a severity
// option without a facility keeps it, as syslog(3) does.
type Classic struct {
	AppName  string // the reduced daemon name
	PID      int
	Facility Facility
}

// priorities returns the grant and refusal priorities, after the rule's
// severity option if it had one.
func (c Classic) priorities(d *access.Decision) (grant, refuse Priority) {
	grant, refuse = Priority{c.Facility, Info}, Priority{c.Facility, Warning}
	if s := d.Severity; s != nil {
		p := Priority{c.Facility, Severity(s.Level)}
		if s.HasFacility {
			p.Facility = Facility(s.Facility)
		}
		grant, refuse = p, p
	}
	return grant, refuse
}

func (c Classic) message(now time.Time, p Priority, text string) *Message {
	return &Message{Time: now, Priority: p, AppName: c.AppName, PID: c.PID, Text: text}
}

// Diagnostics returns the warnings and errors of the decision as tcpd
// logs them (at err; "aclexec returned 1" at info). The verbose matched:
// and option: records are not logged by tcpd.
func (c Classic) Diagnostics(now time.Time, d *access.Decision) []*Message {
	var out []*Message
	for _, m := range d.Log {
		switch m.Level {
		case access.LevelError:
			out = append(out, c.message(now, Priority{c.Facility, Err}, m.Text))
		case access.LevelInfo:
			out = append(out, c.message(now, Priority{c.Facility, Info}, m.Text))
		}
	}
	return out
}

// Connect is the line tcpd logs when it grants access: "connect from
// CLIENT (ADDRESS)", where CLIENT is user@host as far as already known.
func (c Classic) Connect(now time.Time, f *access.Facts, d *access.Decision) *Message {
	grant, _ := c.priorities(d)
	return c.message(now, grant, "connect from "+f.ClientInfo()+" ("+f.ClientAddr()+")")
}

// Refuse is the line tcpd logs when it refuses access.
func (c Classic) Refuse(now time.Time, f *access.Facts, d *access.Decision) *Message {
	_, refuse := c.priorities(d)
	return c.message(now, refuse, "refused connect from "+f.ClientInfo()+" ("+f.ClientAddr()+")")
}

// Twist is the line tcpd logs when a twist option replaces the daemon; it
// is logged at the refusal priority.
func (c Classic) Twist(now time.Time, f *access.Facts, d *access.Decision, command string) *Message {
	_, refuse := c.priorities(d)
	return c.message(now, refuse, "twist "+f.ClientInfo()+" to "+command)
}

// Verdict returns "granted", "denied" or "delegated".
func Verdict(d *access.Decision) string {
	if d.Delegated {
		return "delegated"
	}
	return d.Verdict.String()
}

// pid is the process ID, asked of the kernel once: a Go program does not
// fork without exec, so it never changes.
var pid = sync.OnceValue(os.Getpid)

// NewRecord makes the structured record of a decision made with f. It
// looks nothing up: the client's name is in it only if the decision needed
// it (or the caller asked for it before).
func NewRecord(now time.Time, f *access.Facts, d *access.Decision, latency time.Duration) *Record {
	r := &Record{
		Time:    now,
		Verdict: Verdict(d),
		Reason:  d.Reason.String(),
		Daemon:  f.Daemon(),
		Latency: latency,
		PID:     pid(),
	}
	cl, srv := f.Endpoints()
	r.Client = Endpoint{Addr: known(f.ClientAddr()), Port: int(cl.Port)}
	if srv.IP.IsValid() {
		r.Server = Endpoint{Addr: srv.IP.String(), Port: int(srv.Port)}
	}
	if name, looked := f.KnownClientName(); looked {
		r.ClientName = name
		r.NameVerified = name != access.Unknown && name != access.Paranoid
	}
	if u, asked := f.KnownUser(); asked && u != access.Unknown {
		r.User = u
	}
	if d.Rule != nil {
		r.Rule = &RuleRef{File: d.Rule.File, Line: d.Rule.Line, Text: d.Rule.Text}
	}
	for _, a := range d.Actions {
		r.Options = append(r.Options, actionText(a))
	}
	if d.Severity != nil {
		r.Options = append(r.Options, "severity "+severityText(d.Severity))
	}
	return r
}

func known(s string) string {
	if s == access.Unknown {
		return ""
	}
	return s
}

func actionText(a access.Action) string {
	kw := a.Kind.String()
	switch a.Kind {
	case options.User:
		if a.Group != "" {
			return kw + " " + a.Name + "." + a.Group
		}
		return kw + " " + a.Name
	case options.Group:
		return kw + " " + a.Group
	case options.Setenv:
		return strings.TrimSpace(kw + " " + a.Name + " " + a.Value)
	case options.Umask:
		return kw + " 0" + itoaBase(a.Number, 8)
	case options.Linger, options.Nice:
		return kw + " " + itoaBase(a.Number, 10)
	}
	return strings.TrimSpace(kw + " " + a.Value)
}

func severityText(p *options.Priority) string {
	if p.HasFacility {
		return options.FacilityName(p.Facility) + "." + options.LevelName(p.Level)
	}
	return options.LevelName(p.Level)
}
