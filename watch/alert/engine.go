package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"tcpwrap/watch"
)

// Clock tells the time. Tests inject one they move by hand; nil means
// the real clock.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Options are the engine's connections to the outside world; every field
// may be left zero.
type Options struct {
	// Clock is the time source; nil means the real clock.
	Clock Clock
	// Actions adds (or replaces, by name) actions that rules may name,
	// such as a ban action or a recorder in a test. The Config's actions
	// are built with NewAction.
	Actions map[string]Action
	// Logger receives action failures, dropped notices and state file
	// problems; nil means slog.Default().
	Logger *slog.Logger
	// TickEvery is how often Run calls Tick; zero means one second.
	TickEvery time.Duration
	// DrainTimeout bounds how long Close waits for queued notices; zero
	// means 30 seconds.
	DrainTimeout time.Duration
}

// Engine turns Events into incidents and incidents into notices for the
// actions. Observe, Tick, Stats and Close are safe to call from several
// goroutines; Observe never waits for an action.
type Engine struct {
	cfg    Config
	clock  Clock
	log    *slog.Logger
	opts   Options
	boot   string
	queues map[string]*queue

	mu        sync.Mutex
	rules     []*ruleState
	incidents map[incKey]*incident
	seen      *seenSet
	lastSave  time.Time
	seq       uint64
	closed    bool
	st        Stats
}

// Stats are the engine's counters.
type Stats struct {
	Events  int64 // events observed
	Stale   int64 // events older than MaxAge (learned from only)
	Opened  int64 // incidents opened (alerts)
	Closed  int64 // incidents closed
	Evicted int64 // incidents closed early because MaxIncidents was reached
	// SourcesForgotten counts threshold counters dropped because
	// MaxSources was reached.
	SourcesForgotten int64
	OpenIncidents    int
	SeenEntries      int
	SeenSaveErrors   int64
	Actions          []ActionStats // sorted by name
}

type ruleState struct {
	Rule
	services    map[string]bool // nil: all
	quiet, max  time.Duration
	queues      []*queue
	windows     map[source]*window
	maxSources  int
	windowNanos int64
}

// source is what "one source" is: a masked address, or a host name for
// events that carried no address.
type source struct {
	prefix netip.Prefix
	name   string
}

func (s source) String() string {
	if s.prefix.IsValid() {
		if s.prefix.IsSingleIP() {
			return s.prefix.Addr().String()
		}
		return s.prefix.String()
	}
	return s.name
}

type incKey struct {
	rule int
	src  source
}

type incident struct {
	key              incKey
	rule             *ruleState
	id               string
	ev               watch.Event
	first, last      time.Time // event times
	opened           time.Time // event time of the opening event
	openedAt, seenAt time.Time // clock times
	count, followed  int
	refused, granted int
	services, names  []string
}

// New checks the configuration, builds its actions, loads the seen set
// and starts the action workers. When the seen file is damaged, New
// moves it aside, starts with an empty set and returns the Engine
// together with a *DamagedError; any other error returns a nil Engine.
func New(cfg Config, opts Options) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		cfg:       cfg,
		clock:     opts.Clock,
		log:       opts.Logger,
		opts:      opts,
		queues:    map[string]*queue{},
		incidents: map[incKey]*incident{},
	}
	if e.clock == nil {
		e.clock = realClock{}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	e.boot = hex.EncodeToString(b[:])

	acts := map[string]Action{}
	queueOf := map[string]*ActionConfig{}
	for i := range cfg.Actions {
		ac := &cfg.Actions[i]
		if _, over := opts.Actions[ac.Name]; over {
			continue
		}
		a, err := NewAction(*ac, e.clock)
		if err != nil {
			return nil, ac.Pos.errorf("action %s: %v", ac.Name, err)
		}
		acts[ac.Name] = a
		queueOf[ac.Name] = ac
	}
	for name, a := range opts.Actions {
		acts[name] = a
	}
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		rs := &ruleState{
			Rule:        *r,
			quiet:       cfg.quiet(r),
			max:         cfg.maxDuration(r),
			maxSources:  orDefault(cfg.MaxSources, DefaultMaxSources),
			windowNanos: int64(r.Window),
		}
		rs.Prefix4 = orDefault(r.Prefix4, DefaultPrefix4)
		rs.Prefix6 = orDefault(r.Prefix6, DefaultPrefix6)
		if len(r.Services) > 0 {
			rs.services = map[string]bool{}
			for _, s := range r.Services {
				rs.services[s] = true
			}
		}
		if r.Kind == Threshold {
			rs.windows = map[source]*window{}
		}
		for _, name := range r.Actions {
			a, ok := acts[name]
			if !ok {
				e.stopQueues()
				return nil, r.Pos.errorf("rule %s: unknown action %q", r.Name, name)
			}
			q := e.queues[name]
			if q == nil {
				size, workers := DefaultQueue, 1
				if ac := queueOf[name]; ac != nil {
					size = orDefault(ac.Queue, DefaultQueue)
					workers = orDefault(ac.Workers, 1)
					if ac.Kind == ActionProgram && ac.Workers == 0 {
						workers = orDefault(ac.Program.Concurrency, 2)
					}
				}
				q = newQueue(name, a, size, workers, e.log)
				e.queues[name] = q
			}
			if !slices.Contains(rs.queues, q) {
				rs.queues = append(rs.queues, q)
			}
		}
		e.rules = append(e.rules, rs)
	}
	seen, err := loadSeen(cfg.SeenFile, orDefault(cfg.MaxSeen, DefaultMaxSeen), e.clock.Now())
	e.seen = seen
	e.lastSave = e.clock.Now()
	if err != nil {
		if _, ok := err.(*DamagedError); !ok {
			e.stopQueues()
			return nil, err
		}
		e.log.Error("tcpdwatch: seen set damaged", "err", err)
	}
	return e, err
}

func (e *Engine) stopQueues() {
	stopQueues(e.queues, 0)
}

// sourceOf is the source an event counts for under rule r.
func (r *ruleState) sourceOf(ev *watch.Event) (source, bool) {
	if a := ev.Addr.Unmap(); a.IsValid() && !a.IsUnspecified() {
		bits := r.Prefix6
		if a.Is4() {
			bits = r.Prefix4
		}
		p, err := a.WithZone("").Prefix(bits)
		if err != nil {
			return source{}, false
		}
		return source{prefix: p}, true
	}
	if ev.Name != "" {
		return source{name: strings.ToLower(ev.Name)}, true
	}
	return source{}, false
}

func (r *ruleState) wants(ev *watch.Event) bool {
	return r.services == nil || r.services[ev.Daemon]
}

// Observe feeds one event to the rules. It opens and updates incidents
// and queues notices; it never waits for an action.
func (e *Engine) Observe(ev watch.Event) {
	now := e.clock.Now()
	t := ev.Time
	if t.IsZero() || t.After(now.Add(DefaultSkew)) {
		t = now
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.st.Events++
	stale := e.cfg.MaxAge > 0 && t.Before(now.Add(-e.cfg.MaxAge))
	if stale {
		e.st.Stale++
	}
	for i, r := range e.rules {
		if !r.wants(&ev) {
			continue
		}
		src, ok := r.sourceOf(&ev)
		if !ok {
			continue
		}
		key := incKey{rule: i, src: src}
		if inc := e.incidents[key]; inc != nil {
			switch {
			case t.Sub(inc.last) >= r.quiet:
				e.close(inc, ClosedQuiet)
			case t.Sub(inc.opened) >= r.max:
				e.close(inc, ClosedMax)
			default:
				inc.add(&ev, t, now)
				if r.Kind == NewSource && ev.Verdict == watch.Granted {
					e.seen.touch(r.Name, ev.Daemon, src.String(), t)
				}
				continue
			}
		}
		switch r.Kind {
		case Threshold:
			if ev.Verdict != watch.Refused || stale {
				continue
			}
			first, fired := e.count(r, src, t)
			if fired {
				e.open(key, r, &ev, t, now, first, r.Count)
			}
		case Trap:
			if !stale {
				e.open(key, r, &ev, t, now, t, 1)
			}
		case NewSource:
			if ev.Verdict != watch.Granted {
				continue
			}
			if e.seen.touch(r.Name, ev.Daemon, src.String(), t) {
				continue
			}
			if stale || now.Before(e.seen.created.Add(r.Learn)) {
				continue
			}
			e.open(key, r, &ev, t, now, t, 1)
		}
	}
}

// window holds the times of the last Count refusals from one source.
type window struct {
	times []int64 // ring, unix nanoseconds
	next  int
}

// count records a refusal and reports whether the rule's Count refusals
// now fall within its Window, and when the first of them was.
func (e *Engine) count(r *ruleState, src source, t time.Time) (time.Time, bool) {
	w := r.windows[src]
	if w == nil {
		if len(r.windows) >= r.maxSources {
			e.forget(r, t)
		}
		w = &window{times: make([]int64, 0, min(r.Count, 8))}
		r.windows[src] = w
	}
	ns := t.UnixNano()
	if len(w.times) < r.Count {
		w.times = append(w.times, ns)
	} else {
		w.times[w.next] = ns
		w.next = (w.next + 1) % r.Count
	}
	if len(w.times) < r.Count {
		return time.Time{}, false
	}
	lo, hi := w.times[0], w.times[0]
	for _, x := range w.times {
		lo, hi = min(lo, x), max(hi, x)
	}
	if hi-lo > r.windowNanos {
		return time.Time{}, false
	}
	delete(r.windows, src)
	return time.Unix(0, lo), true
}

// forget makes room among a rule's counters: first those whose newest
// refusal is out of the window, then, if that was not enough, half of
// the rest.
func (e *Engine) forget(r *ruleState, t time.Time) {
	limit := t.UnixNano() - r.windowNanos
	for k, w := range r.windows {
		if slices.Max(w.times) < limit {
			delete(r.windows, k)
			e.st.SourcesForgotten++
		}
	}
	if len(r.windows) < r.maxSources {
		return
	}
	n := len(r.windows) / 2
	for k := range r.windows {
		if n == 0 {
			break
		}
		delete(r.windows, k)
		e.st.SourcesForgotten++
		n--
	}
}

func (e *Engine) open(key incKey, r *ruleState, ev *watch.Event, t, now, first time.Time, count int) {
	if len(e.incidents) >= orDefault(e.cfg.MaxIncidents, DefaultMaxIncident) {
		var idlest *incident
		for _, inc := range e.incidents {
			if idlest == nil || inc.seenAt.Before(idlest.seenAt) {
				idlest = inc
			}
		}
		e.st.Evicted++
		e.close(idlest, ClosedEvicted)
	}
	e.seq++
	inc := &incident{
		key:      key,
		rule:     r,
		id:       fmt.Sprintf("%s-%d", e.boot, e.seq),
		ev:       *ev,
		first:    first,
		last:     t,
		opened:   t,
		openedAt: now,
		seenAt:   now,
		count:    count,
	}
	if r.Kind == Threshold {
		inc.refused = count
	} else {
		inc.count = 0
		inc.add(ev, t, now)
		inc.followed = 0
	}
	inc.services = addDistinct(inc.services, ev.Daemon)
	if ev.Name != "" {
		inc.names = addDistinct(inc.names, ev.Name)
	}
	e.incidents[key] = inc
	e.st.Opened++
	e.dispatch(r, inc.notice(Opened, ""))
}

func (inc *incident) add(ev *watch.Event, t, now time.Time) {
	inc.count++
	inc.followed++
	switch ev.Verdict {
	case watch.Refused:
		inc.refused++
	case watch.Granted:
		inc.granted++
	}
	if t.After(inc.last) {
		inc.last = t
	}
	if t.Before(inc.first) {
		inc.first = t
	}
	inc.seenAt = now
	inc.services = addDistinct(inc.services, ev.Daemon)
	if ev.Name != "" {
		inc.names = addDistinct(inc.names, ev.Name)
	}
}

// addDistinct adds s to a sorted list of at most maxDistinct strings.
func addDistinct(l []string, s string) []string {
	if len(s) > 256 {
		s = s[:256]
	}
	i, found := slices.BinarySearch(l, s)
	if found || len(l) >= maxDistinct {
		return l
	}
	return slices.Insert(l, i, s)
}

func (inc *incident) notice(kind NoticeKind, reason string) Notice {
	r := inc.rule
	n := Notice{
		Kind:     kind,
		Incident: inc.id,
		Rule:     r.Name,
		RuleKind: r.Kind,
		Source:   inc.key.src.String(),
		Prefix:   inc.key.src.prefix,
		Event:    inc.ev,
		First:    inc.first,
		Last:     inc.last,
		Count:    inc.count,
		Followed: inc.followed,
		Refused:  inc.refused,
		Granted:  inc.granted,
		Services: slices.Clone(inc.services),
		Names:    slices.Clone(inc.names),
		Closed:   reason,
	}
	if r.Kind == Threshold {
		n.Threshold, n.Window = r.Count, r.Window
	}
	return n
}

func (e *Engine) close(inc *incident, reason string) {
	delete(e.incidents, inc.key)
	e.st.Closed++
	if inc.followed > 0 || e.cfg.SummaryAlways {
		e.dispatch(inc.rule, inc.notice(Summary, reason))
	}
}

func (e *Engine) dispatch(r *ruleState, n Notice) {
	for _, q := range r.queues {
		q.put(n)
	}
}

// Tick closes the incidents that have been quiet (by the clock) for
// their quiet period or open for their maximum duration, and saves the
// seen set when it changed and a minute has passed. Run calls it every
// second; a program that drives the engine itself calls it regularly.
func (e *Engine) Tick() {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	e.expire(now)
	if e.seen.dirty && now.Sub(e.lastSave) >= time.Minute {
		e.saveSeen(now)
	}
}

func (e *Engine) expire(now time.Time) {
	var due []*incident
	for _, inc := range e.incidents {
		if now.Sub(inc.seenAt) >= inc.rule.quiet || now.Sub(inc.openedAt) >= inc.rule.max {
			due = append(due, inc)
		}
	}
	slices.SortFunc(due, func(a, b *incident) int { return strings.Compare(a.id, b.id) })
	for _, inc := range due {
		reason := ClosedMax
		if now.Sub(inc.seenAt) >= inc.rule.quiet {
			reason = ClosedQuiet
		}
		e.close(inc, reason)
	}
}

func (e *Engine) saveSeen(now time.Time) {
	e.lastSave = now
	if err := e.seen.save(); err != nil {
		e.st.SeenSaveErrors++
		e.log.Error("tcpdwatch: saving the seen set", "err", err)
	}
}

// Run calls Tick every Options.TickEvery until ctx is done, then Close.
func (e *Engine) Run(ctx context.Context) error {
	every := e.opts.TickEvery
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.Close()
		case <-t.C:
			e.Tick()
		}
	}
}

// Close closes every open incident (their summaries say "shutdown"),
// waits up to Options.DrainTimeout for the queued notices to be handled,
// stops the actions and saves the seen set. Events observed afterwards
// are ignored.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	var open []*incident
	for _, inc := range e.incidents {
		open = append(open, inc)
	}
	slices.SortFunc(open, func(a, b *incident) int { return strings.Compare(a.id, b.id) })
	for _, inc := range open {
		e.close(inc, ClosedShutdown)
	}
	e.closed = true
	var err error
	if e.seen.dirty {
		if err = e.seen.save(); err != nil {
			e.st.SeenSaveErrors++
		}
	}
	e.mu.Unlock()
	drain := e.opts.DrainTimeout
	if drain <= 0 {
		drain = 30 * time.Second
	}
	stopQueues(e.queues, drain)
	return err
}

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	st := e.st
	st.OpenIncidents = len(e.incidents)
	st.SeenEntries = e.seen.len()
	e.mu.Unlock()
	for _, q := range e.queues {
		st.Actions = append(st.Actions, q.stats())
	}
	slices.SortFunc(st.Actions, func(a, b ActionStats) int { return strings.Compare(a.Name, b.Name) })
	return st
}
