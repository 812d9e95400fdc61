package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"golang.org/x/sys/unix"

	"tcpwrap/audit"
	"tcpwrap/audit/logconf"
	"tcpwrap/audit/trail"
	"tcpwrap/hostsfile"
	"tcpwrap/hostsfile/hostswatch"
	"tcpwrap/ident"
	"tcpwrap/inetconf"
	"tcpwrap/limits"
	"tcpwrap/resolve"
	"tcpwrap/superserver"
)

// readyFDEnv names the descriptor on which a daemonized tcpwrapd tells
// its parent that it started ("ok") or why it did not.
const readyFDEnv = "TCPWRAPD_READY_FD"

// daemon is a running tcpwrapd.
type daemon struct {
	set         *settings
	getenv      func(string) string
	stderr      io.Writer
	pid         int
	tr          *trail.Trail
	engine      *hostsfile.Engine
	srv         *superserver.Server
	notify      *notifier
	metrics     *metrics
	stopMetrics func()
	ready       *os.File // the daemonizing parent's pipe, or nil
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	set, err := parseArgs(args, getenv)
	if errors.Is(err, errHelp) {
		io.WriteString(stdout, help())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "tcpwrapd: %v\n%s\n", err, usage)
		return 2
	}
	if !set.check && !set.foreground && !set.debug && getenv(readyFDEnv) == "" {
		return daemonize(args, stderr)
	}
	closeOnExecInherited()
	d := &daemon{set: set, getenv: getenv, stderr: stderr, pid: os.Getpid(), notify: newNotifier(getenv)}
	if fd := getenv(readyFDEnv); fd != "" {
		if n, err := strconv.Atoi(fd); err == nil {
			d.ready = os.NewFile(uintptr(n), "ready")
		}
		os.Unsetenv(readyFDEnv)
	}
	if err := d.start(); err != nil {
		d.failed(err)
		return 1
	}
	if set.check {
		return 0
	}
	return d.loop()
}

// closeOnExecInherited marks the descriptors above 2 that tcpwrapd was
// started with (from the shell or program that started it) close-on-exec,
// so that no service inherits them: openbsd-inetd closes them all before
// it runs a service, and a service holding, say, the pipe of the script
// that started tcpwrapd would keep that script waiting. tcpwrapd's own
// descriptors are close-on-exec already; the sockets of socket activation
// and the daemonizing parent's pipe are still used, by tcpwrapd only.
func closeOnExecInherited() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// pidfileHolder is the process ID in a pidfile (0 when there is none).
func pidfileHolder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// sameProgramRunning reports whether process pid runs this program's
// executable: a pidfile left by a tcpwrapd that died, whose number a
// process of another program has since taken, does not stop a start.
func sameProgramRunning(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	self, err1 := os.Readlink("/proc/self/exe")
	other, err2 := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	if err1 != nil || err2 != nil {
		return true // cannot tell: alive, so take it for a tcpwrapd
	}
	return self == other
}

// warningText is a configuration warning as tcpwrapd shows it:
// "FILE:LINE: TEXT", with "note: " before the text of a note.
func warningText(w inetconf.Warning) string {
	if w.Note {
		w.Text = "note: " + w.Text
	}
	if w.Line == 0 {
		return w.File + ": " + w.Text
	}
	return w.String()
}

// logWarning logs a configuration warning (a note at notice level), and
// shows it on standard error in the foreground (-d shows every log line
// anyway).
func (d *daemon) logWarning(w inetconf.Warning) {
	p := audit.ErrorPriority
	if w.Note {
		p = audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}
	}
	d.log(p, "%s", warningText(w))
	if d.set.foreground && !d.set.debug {
		fmt.Fprintln(d.stderr, "tcpwrapd: "+warningText(w))
	}
}

// plural is "1 listener", "2 listeners".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// failed reports a start-up failure where the admin sees it.
func (d *daemon) failed(err error) {
	msg := "tcpwrapd: " + err.Error()
	if d.ready != nil {
		d.ready.WriteString(msg + "\n")
		d.ready.Close()
	} else {
		fmt.Fprintln(d.stderr, msg)
	}
	if d.tr != nil {
		d.log(audit.ErrorPriority, "%v", err)
		d.tr.Close(context.Background())
	}
}

// log writes one of tcpwrapd's own messages to the trail, and to
// standard error under -d.
func (d *daemon) log(p audit.Priority, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if d.tr != nil {
		d.tr.Log(&audit.Message{Time: time.Now(), Priority: p, AppName: "tcpwrapd", PID: d.pid, Text: text})
	}
	if d.set.debug {
		d.debugf("%s", text)
	}
}

func (d *daemon) debugf(format string, args ...any) {
	fmt.Fprintf(d.stderr, time.Now().Format("15:04:05.000")+" tcpwrapd: "+format+"\n", args...)
}

// start does everything up to serving: a failure stops tcpwrapd.
func (d *daemon) start() error {
	set := d.set
	if set.pidfile != "" && !set.check {
		if pid := pidfileHolder(set.pidfile); pid > 0 && pid != d.pid && sameProgramRunning(pid) {
			return fmt.Errorf("pidfile %s: tcpwrapd is already running as process %d", set.pidfile, pid)
		}
	}
	// Services inherit the mask, as they do from tcpd.
	unix.Umask(0o22)
	var err error
	if !set.check {
		if d.tr, err = openTrail(set); err != nil {
			return fmt.Errorf("logging: %v", err)
		}
	}
	d.engine = hostsfile.New(hostsfile.Config{Allow: set.allow, Deny: set.deny})
	lim, err := limits.New(limits.Config{
		GlobalMax:   set.globalMax,
		Source:      limits.SourceLimits{Max: set.sourceMax, Rate: set.sourceRate},
		IPv4Bits:    set.ipv4Bits,
		IPv6Bits:    set.ipv6Bits,
		MaxSources:  set.maxSources,
		LogInterval: set.logInterval,
	})
	if err != nil {
		return fmt.Errorf("limits: %v", err)
	}
	inherited, err := listenFDs(d.getenv)
	if err != nil {
		return err
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(k)
	}
	cfg := superserver.Config{
		Policy:             d.engine,
		Limiter:            lim,
		CheckAll:           set.checkAll,
		Backlog:            set.backlog,
		Rlimits:            set.rlimits,
		Names:              &resolve.Resolver{},
		Ident:              identLookup{},
		RedirectTimeout:    set.redirectTimeout,
		Inherited:          inherited,
		ClassicSessionEnds: set.sessionLog,
	}
	if d.tr != nil {
		cfg.Trail = d.tr
	}
	if set.env != nil {
		cfg.Env = append(append([]string{}, superserver.DefaultEnv...), set.env...)
	}
	if set.debug {
		cfg.Debugf = d.debugf
	}
	if set.metrics != "" && !set.check {
		d.metrics = newMetrics()
		cfg.Observer = d.metrics
	}
	if d.srv, err = superserver.New(cfg); err != nil {
		return err
	}
	svcs, warns, err := d.readConfig()
	if err != nil {
		return err
	}
	if set.check {
		all := d.srv.Check(svcs, warns)
		for _, w := range all {
			fmt.Fprintln(d.stderr, warningText(w))
		}
		n := len(superserver.Problems(all))
		// What would stop tcpwrapd from starting, checked without
		// opening anything.
		if err := checkLogging(set); err != nil {
			fmt.Fprintf(d.stderr, "logging: %v\n", err)
			n++
		}
		if n > 0 {
			return errors.New(plural(n, "problem"))
		}
		return nil
	}
	warns, err = d.srv.Load(svcs, warns, set.strict)
	for _, w := range warns {
		d.logWarning(w)
	}
	if err != nil {
		return fmt.Errorf("%s: configuration has problems (and --strict)", set.config)
	}
	d.checkInherited()
	if d.metrics != nil {
		if d.stopMetrics, err = d.metrics.serve(context.Background(), set.metrics); err != nil {
			return fmt.Errorf("metrics: %v", err)
		}
	}
	if set.pidfile != "" {
		if err := os.WriteFile(set.pidfile, []byte(strconv.Itoa(d.pid)+"\n"), 0o644); err != nil {
			return fmt.Errorf("pidfile: %v", err)
		}
	}
	d.log(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}, "started: %s, %s", set.config, plural(len(d.srv.Listeners()), "listener"))
	return nil
}

// checkInherited warns about sockets passed by the service manager that
// no service uses.
func (d *daemon) checkInherited() {
	used := map[inetconf.Key]bool{}
	for _, k := range d.srv.Listeners() {
		used[k] = true
	}
	for _, k := range d.srv.InheritedKeys() {
		found := false
		for u := range used {
			if u.Family == k.Family && u.Socket == k.Socket && u.Addr == k.Addr && u.Path == k.Path {
				found = true
			}
		}
		if !found {
			d.log(audit.ErrorPriority, "warning: the inherited socket %s matches no service of %s", k, d.set.config)
		}
	}
}

// openTrail opens the audit trail the logging configuration describes.
// checkLogging reads the logging configuration as openTrail does,
// without opening its destinations.
func checkLogging(set *settings) error {
	c, err := logconf.Load(set.loggingConf)
	if err != nil {
		return err
	}
	_, err = trail.FromConfig(c)
	return err
}

func openTrail(set *settings) (*trail.Trail, error) {
	c, err := logconf.Load(set.loggingConf)
	if err != nil {
		return nil, err
	}
	cfg, err := trail.FromConfig(c)
	if err != nil {
		return nil, err
	}
	cfg.SyslogPath = set.syslogSocket
	return trail.Open(cfg)
}

// readConfig reads /etc/services and the inetd.conf.
func (d *daemon) readConfig() ([]inetconf.Service, []inetconf.Warning, error) {
	opts := inetconf.Options{Resolver: hostResolver{}, DaemonDir: d.set.daemonDir}
	var servicesNote []inetconf.Warning
	f, err := os.Open(d.set.services)
	if err == nil {
		var ports *inetconf.ServicesFile
		ports, _, err = inetconf.ParseServices(f, d.set.services)
		f.Close()
		if err == nil {
			opts.Ports = ports
		}
	}
	if err != nil {
		// Entries naming a service then fail, each with its problem;
		// this says why.
		servicesNote = []inetconf.Warning{{File: d.set.services, Note: true,
			Text: fmt.Sprintf("cannot read the services file (%v): services are known by number only", err)}}
	}
	f, err = os.Open(d.set.config)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	svcs, warns, err := inetconf.Parse(f, d.set.config, opts)
	return svcs, append(servicesNote, warns...), err
}

// loop serves until SIGTERM or SIGINT, reloading on SIGHUP and when the
// configuration file changes.
func (d *daemon) loop() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		if err := hostswatch.Watch(ctx, d.engine); err != nil {
			d.log(audit.ErrorPriority, "warning: not watching the tables (they are checked every second instead): %v", err)
		}
	}()
	go d.srv.Serve(ctx)
	changed := make(chan struct{}, 1)
	if !d.set.noWatch {
		if err := watchFile(ctx, d.set.config, changed); err != nil {
			d.log(audit.ErrorPriority, "warning: not watching %s (reload with SIGHUP): %v", d.set.config, err)
		}
	}
	var watchdog <-chan time.Time
	if iv := watchdogInterval(d.getenv); iv > 0 {
		t := time.NewTicker(iv)
		defer t.Stop()
		watchdog = t.C
	}
	d.notify.send("READY=1", "STATUS="+d.status())
	if d.ready != nil {
		d.ready.WriteString("ok\n")
		d.ready.Close()
		d.ready = nil
	}
	for {
		select {
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				d.reload("SIGHUP")
				continue
			}
			d.log(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}, "stopping on %v", sig)
			return d.stop()
		case <-changed:
			d.reload(d.set.config + " changed")
		case <-watchdog:
			d.notify.send("WATCHDOG=1")
		}
	}
}

func (d *daemon) status() string {
	return fmt.Sprintf("serving %d listeners, %d sessions", len(d.srv.Listeners()), d.srv.Active())
}

// reload reads the configuration again; one with any problem is
// rejected whole and the running one kept.
func (d *daemon) reload(why string) {
	d.notify.send("RELOADING=1", "MONOTONIC_USEC="+monotonicUsec())
	defer func() { d.notify.send("READY=1", "STATUS="+d.status()) }()
	d.engine.Reload()
	svcs, warns, err := d.readConfig()
	if err == nil {
		warns, err = d.srv.Load(svcs, warns, true)
	}
	if err != nil {
		if d.metrics != nil {
			d.metrics.reloads.WithLabelValues("rejected").Inc()
		}
		var rej *superserver.RejectedError
		if errors.As(err, &rej) {
			d.log(audit.ErrorPriority, "reload (%s): %s has %s: rejected, the running configuration stays", why, d.set.config, plural(len(rej.Problems), "problem"))
			for _, w := range rej.Problems {
				d.log(audit.ErrorPriority, "%s", w)
			}
			return
		}
		d.log(audit.ErrorPriority, "reload (%s): %v: rejected, the running configuration stays", why, err)
		return
	}
	if d.metrics != nil {
		d.metrics.reloads.WithLabelValues("applied").Inc()
	}
	// Notes, and sockets that could not be opened (tried again).
	for _, w := range warns {
		d.logWarning(w)
	}
	d.log(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice}, "reloaded (%s): %s", why, plural(len(d.srv.Listeners()), "listener"))
}

// stop shuts down gracefully.
func (d *daemon) stop() int {
	d.notify.send("STOPPING=1")
	ctx, cancel := context.WithTimeout(context.Background(), d.set.shutdownTimeout)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		d.log(audit.Priority{Facility: audit.Daemon, Severity: audit.Notice},
			"stopped with sessions still running after %v: built-in and redirect sessions cut, programs left running", d.set.shutdownTimeout)
	}
	if d.set.pidfile != "" && pidfileHolder(d.set.pidfile) == d.pid {
		// Only our own: a pidfile another tcpwrapd wrote stays.
		os.Remove(d.set.pidfile)
	}
	if d.stopMetrics != nil {
		d.stopMetrics()
	}
	tctx, tcancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer tcancel()
	d.tr.Close(tctx)
	return 0
}

// watchFile sends on changed (without blocking, so that a burst gives
// one reload) when path is written, created, renamed or removed, 200 ms
// after the last event.
func watchFile(ctx context.Context, path string, changed chan<- struct{}) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	if err := w.Add(filepath.Dir(abs)); err != nil {
		w.Close()
		return err
	}
	go func() {
		defer w.Close()
		var timer *time.Timer
		fire := func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) != abs || ev.Op == fsnotify.Chmod {
					continue
				}
				if timer != nil {
					timer.Stop()
				}
				timer = time.AfterFunc(200*time.Millisecond, fire)
			case _, ok := <-w.Errors:
				if !ok {
					return
				}
			}
		}
	}()
	return nil
}

// daemonize starts tcpwrapd again in the background, in a session of its
// own, and waits until it says that it started (or why not).
func daemonize(args []string, stderr io.Writer) int {
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(stderr, "tcpwrapd:", err)
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(stderr, "tcpwrapd:", err)
		return 1
	}
	env := append(os.Environ(), readyFDEnv+"=3")
	p, err := os.StartProcess("/proc/self/exe", append([]string{"tcpwrapd"}, args...), &os.ProcAttr{
		Dir: "/", Env: env, Files: []*os.File{devnull, devnull, devnull, w},
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	w.Close()
	devnull.Close()
	if err != nil {
		fmt.Fprintln(stderr, "tcpwrapd:", err)
		return 1
	}
	p.Release()
	msg, _ := io.ReadAll(r)
	if strings.TrimSpace(string(msg)) == "ok" {
		return 0
	}
	if len(msg) == 0 {
		msg = []byte("tcpwrapd: the daemon exited while starting\n")
	}
	stderr.Write(msg)
	return 1
}

// hostResolver resolves inetd.conf host names for inetconf.
type hostResolver struct{}

func (hostResolver) LookupHost(host string, fam inetconf.Family) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	network := "ip4"
	if fam == inetconf.IPv6 {
		network = "ip6"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, errors.New(dnsErr.Err)
		}
		return nil, err
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}

type identLookup struct{}

func (identLookup) User(client, server netip.AddrPort, timeout time.Duration) string {
	return ident.Lookup(client, server, timeout)
}
