package main

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/access"
	"tcpwrap/audit"
	"tcpwrap/audit/logconf"
	"tcpwrap/audit/trail"
	"tcpwrap/hostsfile"
	"tcpwrap/ident"
	"tcpwrap/resolve"
)

// env is tcpd's outside world, replaceable in tests.
type env struct {
	realDaemonDir string
	allow, deny   string
	loggingConf   string
	syslogSocket  string // "" means /dev/log
	// refuseDelay is how long a refused request waits before tcpd exits:
	// Debian always sleeps 5 s; we do for datagram services only (so that
	// inetd does not restart us at once for a flood of datagrams), unless
	// TCPWRAP_REFUSE_DELAY says otherwise.
	refuseDelay   time.Duration
	datagramDelay time.Duration
	exec          func(path string, argv, envv []string) error
	cache         *hostsfile.Cache
}

func newEnv() *env {
	e := &env{
		realDaemonDir: "/usr/sbin",
		allow:         hostsfile.AllowPath,
		deny:          hostsfile.DenyPath,
		loggingConf:   os.Getenv("TCPWRAP_LOGGING_CONF"),
		syslogSocket:  os.Getenv("TCPWRAP_SYSLOG_SOCKET"),
		datagramDelay: 5 * time.Second,
		exec:          syscall.Exec,
		cache:         hostsfile.DefaultCache(),
	}
	// Test and special set-ups may point tcpd elsewhere; inetd's
	// environment is the admin's.
	if v := os.Getenv("TCPWRAP_HOSTS_ALLOW"); v != "" {
		e.allow = v
	}
	if v := os.Getenv("TCPWRAP_HOSTS_DENY"); v != "" {
		e.deny = v
	}
	if v := os.Getenv("TCPWRAP_REAL_DAEMON_DIR"); v != "" {
		e.realDaemonDir = v
	}
	if v := os.Getenv("TCPWRAP_REFUSE_DELAY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			e.refuseDelay, e.datagramDelay = d, d
		}
	}
	for _, k := range []string{"TCPWRAP_HOSTS_ALLOW", "TCPWRAP_HOSTS_DENY", "TCPWRAP_REAL_DAEMON_DIR", "TCPWRAP_REFUSE_DELAY", "TCPWRAP_LOGGING_CONF", "TCPWRAP_SYSLOG_SOCKET"} {
		os.Unsetenv(k) // not for the daemon
	}
	return e
}

// openTrail opens the audit trail the logging configuration describes.
func openTrail(e *env) (*trail.Trail, error) {
	c, err := logconf.Load(e.loggingConf)
	if err != nil {
		return nil, err
	}
	cfg, err := trail.FromConfig(c)
	if err != nil {
		return nil, err
	}
	cfg.SyslogPath = e.syslogSocket
	cfg.ShipperConf = e.loggingConf
	return trail.Open(cfg)
}

// daemonPath reduces argv[0] as tcpd does: an absolute path is run as it
// is and its last component names the daemon; anything else is looked up
// in the real-daemon directory and names the daemon unchanged.
func daemonPath(argv0, dir string) (name, path string) {
	if strings.HasPrefix(argv0, "/") {
		return argv0[strings.LastIndexByte(argv0, '/')+1:], argv0
	}
	return argv0, dir + "/" + argv0
}

// run is tcpd: it returns the exit status when it does not exec.
func run(args []string, e *env) int {
	start := time.Now()
	unix.Umask(0o22)
	// No signal is ignored here: ignored signals stay ignored in the
	// daemon after exec, and Debian's tcpd leaves them all as they are.
	name, path := daemonPath(args[0], e.realDaemonDir)
	pid := os.Getpid()
	classic := audit.Classic{AppName: name, PID: pid, Facility: audit.Daemon}

	tr, err := openTrail(e)
	if err != nil {
		// A broken logging configuration must not lose the decision:
		// log to the defaults, and say what is wrong there.
		tr, _ = trail.Open(trail.Config{SyslogPath: e.syslogSocket})
		tr.Log(&audit.Message{Time: time.Now(), Priority: audit.ErrorPriority, AppName: name, PID: pid,
			Text: "error: " + err.Error()})
	}
	defer tr.Close(closeCtx())
	logf := func(p audit.Priority, text string) {
		tr.Log(&audit.Message{Time: time.Now(), Priority: p, AppName: name, PID: pid, Text: text})
	}

	p := identify(0)
	if p.clientErr != nil && !p.clientOK {
		logf(audit.ErrorPriority, "warning: can't get client address: "+access.Strerror(p.clientErr))
	}
	if p.serverErr != nil {
		// Debian's text, including its mistake (sic).
		logf(audit.ErrorPriority, "getpeername: "+access.Strerror(p.serverErr))
		return 0
	}
	checkIPOptions(0, p, logf)

	req := access.Request{Daemon: name, PID: pid, Datagram: p.datagram}
	if p.clientOK {
		req.Client = access.Endpoint{IP: p.client.Addr(), Port: p.client.Port()}
	}
	if p.serverOK {
		req.Server = access.Endpoint{IP: p.server.Addr(), Port: p.server.Port()}
	}
	x := &executor{fd: 0, log: logf}
	hooks := access.Hooks{
		Names:     &resolve.Resolver{},
		Ident:     identLookup{},
		Accounts:  accounts{},
		AclExec:   x.aclexec,
		BannerFS:  hostsfile.OS{},
		BannerOut: fdWriter(0),
	}
	policy := e.cache.ReadPolicy(e.allow, e.deny)
	f := access.NewFacts(req, hooks)
	d := policy.Decide(f)
	now := time.Now()

	if d.Reason == access.ReasonAborted {
		for _, m := range classic.Diagnostics(now, &d) {
			tr.Log(m)
		}
		return 0
	}
	tr.Decision(now, classic, f, &d, now.Sub(start))
	// The options run as the rule gave them (spawn, setenv, umask, nice,
	// socket options, user), also for refusals: a spawn in hosts.deny is
	// how admins are told about them.
	cred, twist := x.apply(d.Actions)
	if twist != "" {
		tr.Log(classic.Twist(time.Now(), f, &d, twist))
		tr.Flush(closeCtx())
		if err := x.twist(twist, cred); err != nil {
			logf(audit.ErrorPriority, "warning: twist_option: "+err.Error())
		}
		return 0
	}
	if d.Verdict != access.Granted {
		if p.datagram {
			consumeDatagram(0)
			time.Sleep(e.datagramDelay)
		} else {
			time.Sleep(e.refuseDelay)
		}
		return 0
	}
	argv := append([]string{name}, args[1:]...)
	if err := cred.apply(); err != nil {
		logf(audit.ErrorPriority, "error: "+err.Error())
		return 0
	}
	tr.Flush(closeCtx())
	err = e.exec(path, argv, os.Environ())
	// Debian's tcpd closes the log before execv, so this line goes out
	// under the C library's default name: the last component of argv[0]
	// (different from the daemon name when argv[0] is a relative path
	// with a '/', case G23).
	tr.Log(&audit.Message{Time: time.Now(), Priority: audit.ErrorPriority, AppName: args[0][strings.LastIndexByte(args[0], '/')+1:], PID: pid,
		Text: "error: cannot execute " + path + ": " + access.Strerror(err)})
	return 0
}

// closeCtx bounds how long tcpd waits for remote log hosts before it runs
// the daemon; what is not delivered by then stays in the spool.
func closeCtx() context.Context {
	return &deadlineCtx{deadline: time.Now().Add(2 * time.Second)}
}

// deadlineCtx is context.WithTimeout without its up-front cost: the timer
// (and the channel) exist only if something waits on Done. With only
// local destinations nothing does, and tcpd execs the daemon right after.
type deadlineCtx struct {
	deadline time.Time
	once     sync.Once
	done     chan struct{}
}

func (c *deadlineCtx) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *deadlineCtx) Value(any) any               { return nil }

func (c *deadlineCtx) Done() <-chan struct{} {
	c.once.Do(func() {
		c.done = make(chan struct{})
		time.AfterFunc(time.Until(c.deadline), func() { close(c.done) })
	})
	return c.done
}

func (c *deadlineCtx) Err() error {
	if time.Now().Before(c.deadline) {
		return nil
	}
	return context.DeadlineExceeded
}

type identLookup struct{}

func (identLookup) User(client, server netip.AddrPort, timeout time.Duration) string {
	return ident.Lookup(client, server, timeout)
}
