// Package trail is the audit trail every program of the project writes
// to: it takes decisions and messages and sends each where the logging
// configuration says, as one unit.
//
//   - Classic lines (exactly tcpd's: "connect from ...", "refused connect
//     from ...", warnings) go to the local syslog daemon through
//     /dev/log, or, where none listens (containers, minimal hosts), to the
//     syslog.conf-style file routes of the configuration, or to the JSON
//     file when there are none. Nothing is lost either way; which
//     destination is in use is said once, in that destination.
//   - Structured decision records go to the JSON-lines file, to every
//     remote log host (RFC 5424 with structured data, over UDP, TCP or
//     TLS, queued and spooled so a decision never waits for the network),
//     and, when asked, to the local syslog daemon as JSON messages from
//     "tcpwrap".
//
// A Trail never writes to standard error: in tcpd that is the client's
// socket. Failures are counted and reported by Stats.
package trail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/audit/devlog"
	"tcpwrap/audit/filelog"
	"tcpwrap/audit/remote"
)

// Syslog modes.
const (
	SyslogAuto = "auto" // /dev/log when a daemon listens, else the files
	SyslogOn   = "on"   // always /dev/log
	SyslogOff  = "off"  // never: the files
)

// Config says where the trail goes. The zero value sends classic lines to
// /dev/log when a daemon listens there, and drops them otherwise.
type Config struct {
	Syslog     string // SyslogAuto (""), SyslogOn or SyslogOff
	SyslogPath string // "" means /dev/log
	// Structured also sends decision records to the local syslog daemon,
	// as JSON in messages from "tcpwrap".
	Structured bool
	// JSONPath is the JSON-lines file of decision records ("" for none).
	// Where no syslog daemon listens and no Routes are given, the classic
	// lines go there too.
	JSONPath string
	// Routes are syslog.conf-style routes for the classic lines when no
	// syslog daemon is used.
	Routes filelog.Table
	// Remotes are the central log hosts.
	Remotes []remote.Config
	// Outboxes are central log hosts this program does not ship to
	// itself (TLS hosts, in a program without TLS): their records are
	// left in the outbox and shipped by tcpwrap-logship, which Flush
	// starts when none runs.
	Outboxes []Outbox
	// Shipper is the shipper's path; "" means tcpwrap-logship in the
	// running program's directory. ShipperConf is the logging
	// configuration it is given ("" for its default).
	Shipper, ShipperConf string
	// Hostname for RFC 5424 headers; "" means os.Hostname().
	Hostname string
}

// Outbox names a log host whose records go to an outbox directory.
type Outbox struct {
	Dir           string
	Network, Addr string // the log host, for messages
}

// Trail is an open audit trail. It is safe for concurrent use.
type Trail struct {
	cfg      Config
	hostname string
	syslog   *devlog.Writer // nil: not used for classic lines
	files    *filelog.Writer
	json     *filelog.Writer
	remotes  []*remote.Sender
	outboxes []*remote.Outbox
	// outboxUsed says a record went to an outbox: Flush then makes sure
	// a shipper runs.
	outboxUsed bool
	// fallback is the description of the file destination used instead
	// of syslog, said once.
	fallback string

	mu      sync.Mutex
	errs    uint64
	lastErr error
	closed  sync.Once
	flushed sync.Once
}

// Open opens the destinations. Remote hosts that cannot be reached now are
// not an error: their records wait in the queue and spool.
func Open(cfg Config) (*Trail, error) {
	t := &Trail{cfg: cfg, hostname: cfg.Hostname}
	if t.hostname == "" {
		t.hostname, _ = os.Hostname()
	}
	if cfg.Syslog != SyslogOff || cfg.Structured {
		w := devlog.New(cfg.SyslogPath)
		if cfg.Syslog == SyslogOn || w.Available() {
			t.syslog = w
		}
	}
	if cfg.JSONPath != "" {
		sel, _ := filelog.ParseSelector("*.*")
		t.json = filelog.Open(filelog.Table{{Selector: sel, Path: cfg.JSONPath, Format: filelog.JSON}})
	}
	if t.syslog == nil || cfg.Syslog == SyslogOff {
		switch {
		case len(cfg.Routes) > 0:
			t.files = filelog.Open(cfg.Routes)
			t.fallback = "the routes of the logging configuration"
		case t.json != nil:
			t.fallback = cfg.JSONPath
		}
	}
	for _, rc := range cfg.Remotes {
		if rc.Hostname == "" {
			rc.Hostname = t.hostname
		}
		s, err := remote.New(rc)
		if err != nil && rc.SpoolDir != "" {
			// One process at a time owns a spool: a tcpd started while
			// another holds it keeps its records in memory and delivers
			// them before it execs the daemon (Flush).
			rc.SpoolDir = ""
			s, err = remote.New(rc)
		}
		if err != nil {
			t.Close(context.Background())
			return nil, err
		}
		t.remotes = append(t.remotes, s)
	}
	for _, ob := range cfg.Outboxes {
		o, err := remote.NewOutbox(ob.Dir, t.hostname)
		if err != nil {
			t.Close(context.Background())
			return nil, fmt.Errorf("outbox for %s %s: %w", ob.Network, ob.Addr, err)
		}
		t.outboxes = append(t.outboxes, o)
	}
	if t.fallback != "" && t.syslog == nil && cfg.Syslog != SyslogOff {
		t.announce()
	}
	return t, nil
}

// announce says once, in the destination itself, that no syslog daemon
// was found and where the lines go instead. "Once": when the destination
// file is new, so that a tcpd started for every connection does not
// repeat it.
func (t *Trail) announce() {
	path := t.cfg.JSONPath
	if t.files != nil && len(t.cfg.Routes) > 0 {
		path = t.cfg.Routes[0].Path
	}
	if _, err := os.Stat(path); err == nil {
		return
	}
	t.Log(&audit.Message{
		Time:     time.Now(),
		Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Notice},
		AppName:  "tcpwrap",
		PID:      os.Getpid(),
		Text:     "no syslog daemon accepts messages on " + t.syslogPath() + "; logging to " + t.fallback,
	})
}

func (t *Trail) syslogPath() string {
	if t.cfg.SyslogPath == "" {
		return devlog.DefaultPath
	}
	return t.cfg.SyslogPath
}

func (t *Trail) fail(err error) {
	if err == nil {
		return
	}
	t.mu.Lock()
	t.errs++
	t.lastErr = err
	t.mu.Unlock()
}

// Log writes one classic line (a warning, "twist ... to ...", an exec
// failure) to the classic destination.
func (t *Trail) Log(m *audit.Message) {
	switch {
	case t.syslog != nil && t.cfg.Syslog != SyslogOff:
		if err := t.syslog.Write(m); err != nil {
			t.fail(err)
			// The daemon went away: in auto mode, keep the line in the
			// files ("on" means syslog or nothing).
			if t.cfg.Syslog != SyslogOn {
				t.fallbackWrite(m)
			}
		}
	default:
		t.fallbackWrite(m)
	}
}

func (t *Trail) fallbackWrite(m *audit.Message) {
	switch {
	case t.files != nil:
		t.fail(t.files.Write(m))
	case t.json != nil:
		t.fail(t.json.Write(m))
	}
}

// Record sends a record (a decision, or a session end: see SessionEnd),
// with its classic line as text, to the structured destinations.
func (t *Trail) Record(m *audit.Message) {
	if t.json != nil {
		t.fail(t.json.Write(m))
	}
	for _, s := range t.remotes {
		s.Send(m)
	}
	for _, o := range t.outboxes {
		t.fail(o.Send(m))
		t.mu.Lock()
		t.outboxUsed = true
		t.mu.Unlock()
	}
	if t.cfg.Structured && t.syslog != nil {
		t.fail(t.syslog.WriteRecord(m))
	}
}

// Decision logs a decision as tcpd does (its diagnostics, then "connect
// from" or "refused connect from"; nothing for a twist, whose line the
// runner logs when it carries the twist out) and records it.
func (t *Trail) Decision(now time.Time, c audit.Classic, f *access.Facts, d *access.Decision, latency time.Duration) {
	for _, m := range c.Diagnostics(now, d) {
		t.Log(m)
	}
	var line *audit.Message
	switch {
	case d.Delegated:
		line = &audit.Message{Time: now, Priority: audit.Priority{Facility: c.Facility, Severity: audit.Info}, AppName: c.AppName, PID: c.PID}
	case d.Verdict == access.Granted:
		line = c.Connect(now, f, d)
		t.Log(line)
	default:
		line = c.Refuse(now, f, d)
		t.Log(line)
	}
	// The classic destinations have written the line already; the same
	// message, with its record, goes to the structured ones.
	line.Record = audit.NewRecord(now, f, d, latency)
	t.Record(line)
}

// Stats are what went wrong since Open.
type Stats struct {
	Errors  uint64 // writes that failed (the last one in LastError)
	LastErr error
	Remote  []remote.Stats
}

// Stats reports the trail's failures and the remote senders' counters.
func (t *Trail) Stats() Stats {
	t.mu.Lock()
	s := Stats{Errors: t.errs, LastErr: t.lastErr}
	t.mu.Unlock()
	for _, r := range t.remotes {
		s.Remote = append(s.Remote, r.Stats())
	}
	return s
}

// Flush delivers what it can to the remote hosts until ctx ends (what is
// left stays in their spools) and stops them; the local destinations stay
// open. A program about to exec another (tcpd) flushes: its local files
// and sockets close on exec, its background senders would simply vanish.
func (t *Trail) Flush(ctx context.Context) error {
	var err error
	t.flushed.Do(func() {
		err = t.flushRemotes(ctx)
		t.startShipper(ctx)
	})
	return err
}

// startShipper starts tcpwrap-logship when records went to an outbox and
// no shipper holds it. The shipper detaches itself (so that it is nobody's
// child once this program execs a daemon) and exits after a minute
// without records.
func (t *Trail) startShipper(ctx context.Context) {
	t.mu.Lock()
	used := t.outboxUsed
	t.mu.Unlock()
	if !used {
		return
	}
	for _, o := range t.outboxes {
		if o.ShipperRunning() {
			continue
		}
		path := t.cfg.Shipper
		if path == "" {
			path = shipperPath()
		}
		args := []string{"-detach"}
		if t.cfg.ShipperConf != "" {
			args = append(args, "-c", t.cfg.ShipperConf)
		}
		cmd := exec.CommandContext(ctx, path, args...)
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Log(&audit.Message{
				Time:     time.Now(),
				Priority: audit.ErrorPriority,
				AppName:  "tcpwrap",
				PID:      os.Getpid(),
				Text:     "cannot start the log shipper " + path + " for the records in " + o.Dir + ": " + err.Error() + " " + strings.TrimSpace(string(out)),
			})
		}
		return // one shipper ships every outbox
	}
}

// Close flushes and closes everything. It may be called more than once.
func (t *Trail) Close(ctx context.Context) error {
	var err error
	t.closed.Do(func() { err = t.close(ctx) })
	return err
}

func (t *Trail) close(ctx context.Context) error {
	errs := []error{t.Flush(ctx)}
	if t.syslog != nil {
		errs = append(errs, t.syslog.Close())
	}
	if t.files != nil {
		errs = append(errs, t.files.Close())
	}
	if t.json != nil {
		errs = append(errs, t.json.Close())
	}
	return errors.Join(errs...)
}

func (t *Trail) flushRemotes(ctx context.Context) error {
	var errs []error
	for i, r := range t.remotes {
		errs = append(errs, r.Close(ctx))
		// Records lost for good are reported where the admin looks.
		if st := r.Stats(); st.Dropped > 0 {
			t.Log(&audit.Message{
				Time:     time.Now(),
				Priority: audit.Priority{Facility: audit.Daemon, Severity: audit.Warning},
				AppName:  "tcpwrap",
				PID:      os.Getpid(),
				Text: fmt.Sprintf("%d audit records for %s %s were dropped (queue and spool full)",
					st.Dropped, t.cfg.Remotes[i].Network, t.cfg.Remotes[i].Addr),
			})
		}
	}
	return errors.Join(errs...)
}
