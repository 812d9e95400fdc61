package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/alert"
	"tcpwrap/watch/ban"
	"tcpwrap/watch/logscan"
)

// cmdRun: tcpdwatch run [-c FILE].
func cmdRun(args []string, conf string, e *env) int {
	fs, c := subFlags("run", conf)
	ops, err := parseInterleaved(fs, args)
	if err != nil {
		return usage(e, "run: %v", err)
	}
	if len(ops) > 0 {
		return usage(e, "run: unexpected argument %q", ops[0])
	}
	path, _ := configPath(*c, e)
	cfg, err := loadConfig(path)
	if err != nil {
		return failLines(e, exitUsage, err)
	}
	d := &daemon{e: e, log: newLogger(e.stderr), inputs: map[string]*inputRun{}}
	if e.signals == nil {
		return fail(e, exitFailure, "run: no signal source")
	}
	sigs, stop := e.signals()
	defer stop()
	if err := d.start(cfg); err != nil {
		d.log.Error("cannot start: " + err.Error())
		d.stop()
		return exitFailure
	}
	if e.ready != nil {
		e.ready()
	}
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			d.reload(path)
			continue
		}
		d.log.Info("stopping", "signal", sig.String())
		break
	}
	if err := d.stop(); err != nil {
		d.log.Error(err.Error())
		return exitFailure
	}
	return exitOK
}

// daemon is "tcpdwatch run": inputs feed events to the alert engine,
// whose rules may ban through the ban list; positions and the source
// history are saved as lines are read.
type daemon struct {
	e   *env
	log *slog.Logger

	cfg  *Config
	pos  *positions
	hist *history

	// mu guards engine: observe holds it shared, a reload that swaps
	// the engine holds it exclusively, so that no event goes to an
	// engine being closed.
	mu         sync.RWMutex
	engine     *alert.Engine
	engineStop func() // stops engine, draining its notices
	bans       *ban.List
	bansStop   func()

	inputs     map[string]*inputRun // by inputKey
	saverStop  func()
	checkpoint atomic.Int64 // nanoseconds between position saves

	skips skipLimiter

	// banned mirrors the bans in force, for observe. suppressed counts
	// the refusals of banned clients kept from the engine.
	banned     banSet
	suppressed atomic.Int64
}

type inputRun struct {
	in   Input
	stop func()
}

// start brings everything up for cfg.
func (d *daemon) start(cfg *Config) error {
	d.cfg = cfg
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return err
	}
	pos, err := loadPositions(cfg.positionsFile())
	if pos == nil {
		return err
	}
	if err != nil {
		d.log.Warn(err.Error())
	}
	d.pos = pos
	hist, err := loadHistory(cfg.historyFile(), cfg.MaxHistory, cfg.ipv6Prefix(), true)
	if err != nil {
		d.log.Warn(err.Error())
	}
	d.hist = hist

	var bans *ban.List
	if cfg.HasBan {
		if bans, err = d.openBans(cfg); err != nil {
			return err
		}
	}
	eng, err := d.newEngine(cfg, bans)
	if err != nil {
		return err
	}
	d.swap(eng, bans)

	d.checkpoint.Store(int64(cfg.Checkpoint))
	d.saverStop = goStop(d.saver)
	for _, in := range cfg.Inputs {
		if err := d.startInput(in); err != nil {
			return err
		}
	}
	d.log.Info("started", "config", cfg.File, "inputs", len(cfg.Inputs), "rules", len(cfg.Alert.Rules), "bans", banFileOf(cfg))
	return nil
}

func banFileOf(cfg *Config) string {
	if !cfg.HasBan {
		return "none"
	}
	return cfg.Ban.File
}

// goStop runs f in a goroutine with a context, and returns a function
// that cancels the context and waits for f to return.
func goStop(f func(ctx context.Context)) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

func (d *daemon) openBans(cfg *Config) (*ban.List, error) {
	l, err := ban.Open(cfg.Ban, ban.Options{Logger: d.log, LocalAddrs: d.e.localAddrs})
	var dmg *ban.DamagedError
	if errors.As(err, &dmg) {
		d.log.Warn(err.Error())
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("ban list: %w", err)
	}
	return l, nil
}

// newEngine builds the alert engine, with the ban action when there is
// a ban list.
func (d *daemon) newEngine(cfg *Config, bans *ban.List) (*alert.Engine, error) {
	opts := alert.Options{Logger: d.log}
	if bans != nil {
		opts.Actions = map[string]alert.Action{banAction: banActionFor(bans, d.log, &d.banned)}
	}
	eng, err := alert.New(cfg.Alert, opts)
	var dmg *alert.DamagedError
	if errors.As(err, &dmg) {
		d.log.Warn(err.Error())
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return eng, nil
}

// banActionFor is the ban list's action (ban.List.Action: the client of
// each new incident is banned), saying what it did.
func banActionFor(l *ban.List, log *slog.Logger, set *banSet) alert.Action {
	return alert.ActionFunc(func(_ context.Context, n alert.Notice) error {
		if n.Kind != alert.Opened || !n.Event.Addr.IsValid() {
			return nil
		}
		b, added, err := l.Ban(n.Event.Addr, n.Rule)
		switch {
		case errors.Is(err, ban.ErrAllowed):
			log.Info("not banned: on the allowlist", "addr", n.Event.Addr.String(), "rule", n.Rule)
			return nil
		case err != nil:
			return err
		case added:
			set.add(b)
			log.Info("banned", "pattern", b.Pattern(), "until", b.Until.Format(time.RFC3339), "offence", b.Offences, "rule", n.Rule)
		}
		return nil
	})
}

// swap makes eng and bans the running engine and ban list, and stops
// the ones they replace (the old engine sends its summaries).
func (d *daemon) swap(eng *alert.Engine, bans *ban.List) {
	oldStop, oldBansStop := d.engineStop, d.bansStop
	d.mu.Lock()
	d.engine = eng
	d.engineStop = goStop(func(ctx context.Context) { eng.Run(ctx) })
	if bans != d.bans || bans == nil {
		d.bans = bans
		d.bansStop = nil
		d.refreshBanned(bans)
		if bans != nil {
			d.bansStop = goStop(func(ctx context.Context) { d.expireLoop(ctx, bans) })
		}
	} else {
		oldBansStop = nil
	}
	d.mu.Unlock()
	if oldStop != nil {
		oldStop()
	}
	if oldBansStop != nil {
		oldBansStop()
	}
}

// expireLoop ends the bans that ran out, every second.
func (d *daemon) expireLoop(ctx context.Context, l *ban.List) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ended, err := l.Expire()
		if err != nil {
			d.log.Error("expiring bans: " + err.Error())
			continue
		}
		for _, b := range ended {
			d.log.Info("ban ended", "pattern", b.Pattern(), "since", b.Since.Format(time.RFC3339))
		}
		d.refreshBanned(l)
	}
}

// refreshBanned reads the bans in force (given by this process or
// changed by "tcpdwatch bans") into d.banned.
func (d *daemon) refreshBanned(l *ban.List) {
	if l == nil {
		d.banned.set(nil)
		return
	}
	bans, err := l.Bans()
	if err != nil {
		d.log.Error("reading the bans: " + err.Error())
		return
	}
	d.banned.set(bans)
}

// observe takes one event from any input. The refusals of a client
// whose ban is in force are not given to the engine: they are the ban at
// work, not new offences. Counting them would keep the incident that
// banned the client open as long as the client keeps trying (its quiet
// time never passes), so that when the ban ends no new incident, and no
// longer ban, could follow.
func (d *daemon) observe(ev watch.Event) {
	d.hist.observe(ev)
	if ev.Verdict == watch.Refused && d.banned.covers(ev.Addr, time.Now()) {
		d.suppressed.Add(1)
		return
	}
	d.mu.RLock()
	if d.engine != nil {
		d.engine.Observe(ev)
	}
	d.mu.RUnlock()
}

// inputKey identifies an input's whole configuration: a reload restarts
// an input only when it changed.
func inputKey(in Input) string {
	loc := ""
	if in.Parse.Location != nil {
		loc = in.Parse.Location.String()
	}
	p := in.Parse
	p.Location = nil
	return fmt.Sprintf("%s|%s|%d|%v|%s|%s|%v|%d|%v|%#v|%s", in.Name, in.File, in.Format, in.StartAtEnd,
		in.UDP, in.TCP, in.Allow, in.MaxConns, in.IdleTimeout, p, loc)
}

func (d *daemon) startInput(in Input) error {
	var stop func()
	if in.IsFile() {
		stop = goStop(func(ctx context.Context) { d.follow(ctx, in) })
		d.log.Info("following", "input", in.Name, "file", in.File)
	} else {
		s, err := d.listen(in)
		if err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
		stop = s
	}
	d.inputs[inputKey(in)] = &inputRun{in: in, stop: stop}
	return nil
}

// follow follows one file until ctx ends, starting again after errors.
func (d *daemon) follow(ctx context.Context, in Input) {
	for {
		opts := logscan.FollowOptions{
			Options: logscan.Options{
				Parse:  in.Parse,
				Format: in.Format,
				OnSkip: d.onSkip,
			},
			StartAtEnd: in.StartAtEnd,
			Checkpoint: func(p logscan.Position) { d.pos.set(in.File, p) },
			Notice:     func(s string) { d.log.Info(s, "input", in.Name) },
		}
		_, err := logscan.Follow(ctx, in.File, d.pos.get(in.File), opts, d.observe)
		if ctx.Err() != nil {
			return
		}
		d.log.Error("reading failed; trying again in 5s", "input", in.Name, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// listen starts a receiver input; its sockets are open when it returns.
func (d *daemon) listen(in Input) (func(), error) {
	r := &logscan.Receiver{
		Parse:       in.Parse,
		Handler:     d.observe,
		OnSkip:      d.onSkip,
		Allow:       in.Allow,
		MaxConns:    in.MaxConns,
		IdleTimeout: in.IdleTimeout,
	}
	var pc net.PacketConn
	var ln net.Listener
	var err error
	if in.UDP != "" {
		if pc, err = net.ListenPacket("udp", in.UDP); err != nil {
			return nil, err
		}
	}
	if in.TCP != "" {
		if ln, err = net.Listen("tcp", in.TCP); err != nil {
			if pc != nil {
				pc.Close()
			}
			return nil, err
		}
	}
	var stops []func()
	if pc != nil {
		stops = append(stops, goStop(func(ctx context.Context) {
			if err := r.ServeUDP(ctx, pc); ctx.Err() == nil {
				d.log.Error("receiver stopped", "input", in.Name, "udp", in.UDP, "err", err)
			}
		}))
		d.log.Info("listening", "input", in.Name, "udp", pc.LocalAddr().String())
	}
	if ln != nil {
		stops = append(stops, goStop(func(ctx context.Context) {
			if err := r.ServeTCP(ctx, ln); ctx.Err() == nil {
				d.log.Error("receiver stopped", "input", in.Name, "tcp", in.TCP, "err", err)
			}
		}))
		d.log.Info("listening", "input", in.Name, "tcp", ln.Addr().String())
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}, nil
}

// onSkip reports lines of ours that could not be read with certainty
// (damaged or forged), at most skipBurst a minute.
func (d *daemon) onSkip(s logscan.Skip) {
	what := s.Status.String()
	if s.TooLong {
		what = "too long"
	}
	d.skips.report(d.log, func() {
		d.log.Warn("line not used", "what", what, "file", s.Path, "line", s.Line, "text", s.Text)
	})
}

const skipBurst = 10

// skipLimiter lets skipBurst messages through per minute and counts the
// rest.
type skipLimiter struct {
	mu      sync.Mutex
	window  time.Time
	n       int
	dropped int
}

func (l *skipLimiter) report(log *slog.Logger, msg func()) {
	l.mu.Lock()
	now := time.Now()
	if now.Sub(l.window) >= time.Minute {
		if l.dropped > 0 {
			log.Warn("more lines not used", "count", l.dropped)
		}
		l.window, l.n, l.dropped = now, 0, 0
	}
	l.n++
	ok := l.n <= skipBurst
	if !ok {
		l.dropped++
	}
	l.mu.Unlock()
	if ok {
		msg()
	}
}

// saver writes the positions every checkpoint interval and the source
// history every minute, while they change.
func (d *daemon) saver(ctx context.Context) {
	lastHist := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(d.checkpoint.Load())):
		}
		if err := d.pos.save(); err != nil {
			d.log.Error("saving positions: " + err.Error())
		}
		if time.Since(lastHist) >= time.Minute {
			lastHist = time.Now()
			if err := d.hist.save(); err != nil {
				d.log.Error("saving the source history: " + err.Error())
			}
		}
	}
}

// stop ends everything in order: the inputs (their last positions are
// recorded), the engine (it sends the summaries and the queued notices),
// the ban expiry, then saves the positions and the history.
func (d *daemon) stop() error {
	for k, r := range d.inputs {
		r.stop()
		delete(d.inputs, k)
	}
	if d.saverStop != nil {
		d.saverStop()
	}
	d.mu.Lock()
	engStop, bansStop := d.engineStop, d.bansStop
	d.engine, d.engineStop, d.bansStop = nil, nil, nil
	d.mu.Unlock()
	if engStop != nil {
		engStop()
	}
	if bansStop != nil {
		bansStop()
	}
	var errs []error
	if d.pos != nil {
		if err := d.pos.save(); err != nil {
			errs = append(errs, fmt.Errorf("saving positions: %w", err))
		}
	}
	if d.hist != nil {
		if err := d.hist.save(); err != nil {
			errs = append(errs, fmt.Errorf("saving the source history: %w", err))
		}
	}
	if len(errs) == 0 {
		d.log.Info("stopped", "refusals-of-banned-clients", d.suppressed.Load())
	}
	return errors.Join(errs...)
}

// withoutPos returns c without the file positions, so that a reload
// that only moved lines around changes nothing.
func withoutPos(c alert.Config) alert.Config {
	c.Pos = alert.Pos{}
	c.Rules = append([]alert.Rule(nil), c.Rules...)
	for i := range c.Rules {
		c.Rules[i].Pos = alert.Pos{}
	}
	c.Actions = append([]alert.ActionConfig(nil), c.Actions...)
	for i := range c.Actions {
		c.Actions[i].Pos = alert.Pos{}
	}
	return c
}

// reload reads the configuration again. A configuration that does not
// parse, or whose ban list or engine cannot be built, changes nothing.
// Only what changed is restarted: an unchanged engine keeps its open
// incidents, an unchanged input its file.
func (d *daemon) reload(path string) {
	cfg, err := loadConfig(path)
	if err != nil {
		for _, m := range strings.Split(err.Error(), "\n") {
			d.log.Error(m)
		}
		d.log.Error("reload failed: keeping the running configuration")
		return
	}
	old := d.cfg
	if cfg.StateDir != old.StateDir || cfg.ipv6Prefix() != old.ipv6Prefix() {
		d.log.Error("reload failed: state-dir and [report] ipv6-prefix change only at a restart; keeping the running configuration")
		return
	}
	banA, banB := cfg.Ban, old.Ban
	banA.Pos, banB.Pos = ban.Pos{}, ban.Pos{}
	banChanged := cfg.HasBan != old.HasBan || !reflect.DeepEqual(banA, banB)
	alertChanged := !reflect.DeepEqual(withoutPos(cfg.Alert), withoutPos(old.Alert))
	if banChanged || alertChanged {
		bans := d.bans
		if banChanged {
			bans = nil
			if cfg.HasBan {
				if bans, err = d.openBans(cfg); err != nil {
					d.log.Error("reload failed: " + err.Error() + "; keeping the running configuration")
					return
				}
			}
		}
		eng, err := d.newEngine(cfg, bans)
		if err != nil {
			d.log.Error("reload failed: " + err.Error() + "; keeping the running configuration")
			return
		}
		d.swap(eng, bans)
	}

	// Inputs: stop what went or changed, then start what is new, so
	// that a receiver moved to another input finds its port free.
	want := map[string]Input{}
	for _, in := range cfg.Inputs {
		want[inputKey(in)] = in
	}
	for k, r := range d.inputs {
		if _, keep := want[k]; !keep {
			r.stop()
			delete(d.inputs, k)
			d.log.Info("input stopped", "input", r.in.Name)
		}
	}
	for k, in := range want {
		if _, running := d.inputs[k]; running {
			continue
		}
		if err := d.startInput(in); err != nil {
			d.log.Error("reload: " + err.Error())
		}
	}
	d.hist.mu.Lock()
	d.hist.max = cfg.MaxHistory
	d.hist.mu.Unlock()
	d.checkpoint.Store(int64(cfg.Checkpoint))
	d.cfg = cfg
	d.log.Info("reloaded", "config", path, "engine", restartWord(banChanged || alertChanged), "bans", restartWord(banChanged))
}

func restartWord(b bool) string {
	if b {
		return "restarted"
	}
	return "kept"
}

// banSet is a copy of the bans in force that observe can ask at the rate
// events come: a map lookup per prefix length in use.
type banSet struct {
	mu    sync.RWMutex
	until map[netip.Prefix]time.Time
	bits  []int
}

func (s *banSet) set(bans []ban.Ban) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = map[netip.Prefix]time.Time{}
	s.bits = nil
	for _, b := range bans {
		s.addLocked(b)
	}
}

func (s *banSet) add(b ban.Ban) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.until == nil {
		s.until = map[netip.Prefix]time.Time{}
	}
	s.addLocked(b)
}

func (s *banSet) addLocked(b ban.Ban) {
	p := b.Prefix.Masked()
	s.until[p] = b.Until
	if !slices.Contains(s.bits, p.Bits()) {
		s.bits = append(s.bits, p.Bits())
	}
}

// covers reports whether a ban in force at now covers a.
func (s *banSet) covers(a netip.Addr, now time.Time) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, bits := range s.bits {
		if bits > a.BitLen() {
			continue
		}
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if until, ok := s.until[p]; ok && until.After(now) {
			return true
		}
	}
	return false
}
