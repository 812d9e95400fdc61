package limits

import (
	"errors"
	"maps"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A Limiter admits or refuses connections against the limits of its
// Config and of each Service. It is safe for concurrent use. Make one with
// New; the zero Limiter is not usable.
type Limiter struct {
	cfg    atomic.Pointer[params]
	clock  Clock
	epoch  time.Time
	seed   uint64
	shards []shard
	shift  uint // a hash's top bits pick the shard: hash >> shift

	_         [64]byte // keep the hot global counter on a line of its own
	global    atomic.Int64
	_         [56]byte
	globalLog logState

	svcMu    sync.Mutex                          // serializes writers of services
	services atomic.Pointer[map[string]*Service] // copied on write
}

// New returns a Limiter with the given configuration, or an error naming
// the first invalid field.
func New(c Config) (*Limiter, error) {
	n := shardCount(c.MaxSources)
	p, err := compile(c, n)
	if err != nil {
		return nil, err
	}
	l := &Limiter{clock: c.Clock, seed: rand.Uint64(), shards: make([]shard, n)}
	if l.clock == nil {
		l.clock = systemClock{}
	}
	l.epoch = l.clock.Now()
	l.shift = uint(64 - bits.TrailingZeros(uint(n)))
	for i := range l.shards {
		l.shards[i].over.lastLog = [2]int64{never, never}
	}
	l.globalLog.init()
	l.cfg.Store(p)
	l.services.Store(&map[string]*Service{})
	return l, nil
}

// shardCount picks a power of two giving about 1024 sources per shard, at
// most 64 shards: small tables take one lock and their cap is exact, large
// ones spread the lock over many.
func shardCount(maxSources int) int {
	if maxSources <= 0 {
		maxSources = DefaultMaxSources
	}
	n := 1
	for n < 64 && n*1024 < maxSources {
		n *= 2
	}
	return n
}

// Reconfigure replaces the configuration, as on a reload, without
// touching the sessions already held: their counts stay, and their
// Release gives back what they took. Tracked sources keep their token
// buckets (a source's debt is kept as time, so a new rate applies to it
// from now on) and their log state. A source whose prefix length changes
// starts a new entry; the sessions it held under the old prefix still
// count there, not in the new entry. Config.Clock is ignored. On error
// the running configuration is kept.
func (l *Limiter) Reconfigure(c Config) error {
	p, err := compile(c, len(l.shards))
	if err != nil {
		return err
	}
	l.cfg.Store(p)
	return nil
}

// Config returns the configuration in force.
func (l *Limiter) Config() Config { return l.cfg.Load().cfg }

func (l *Limiter) now() int64 { return int64(l.clock.Now().Sub(l.epoch)) }

// shardOf returns the shard of k, and k's hash.
func (l *Limiter) shardOf(k key) (*shard, uint64) {
	h := k.hash(l.seed)
	return &l.shards[h>>l.shift&uint64(len(l.shards)-1)], h
}

// Service is a service's limits and count of running instances. Get one
// with Limiter.Service or Limiter.SetService; it lives as long as the
// Limiter, and a reload that changes its limits keeps its count.
type Service struct {
	name   string
	l      *Limiter
	max    atomic.Int64
	active atomic.Int64
	log    logState
}

// Service returns the service of that name, adding it with no
// per-service limit if it is new.
func (l *Limiter) Service(name string) *Service {
	if s := (*l.services.Load())[name]; s != nil {
		return s
	}
	l.svcMu.Lock()
	defer l.svcMu.Unlock()
	m := *l.services.Load()
	if s := m[name]; s != nil {
		return s
	}
	s := &Service{name: name, l: l}
	s.log.init()
	m = maps.Clone(m)
	m[name] = s
	l.services.Store(&m)
	return s
}

// SetService sets the limits of the named service, adding it if it is
// new. Sessions already running keep counting: a maximum lowered below
// the running count refuses new sessions until enough have ended. On
// error the service's limits are left as they were.
func (l *Limiter) SetService(name string, lim ServiceLimits) (*Service, error) {
	if lim.Max < 0 || lim.Max > maxCount {
		return nil, errors.New("limits: service " + strconv.Quote(name) + ": maximum " + itoa(lim.Max) + " out of range 0.." + itoa(maxCount))
	}
	s := l.Service(name)
	s.max.Store(int64(lim.Max))
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// Limits returns the service's limits.
func (s *Service) Limits() ServiceLimits { return ServiceLimits{Max: int(s.max.Load())} }

// Active returns the number of sessions of the service held now.
func (s *Service) Active() int { return int(s.active.Load()) }

// Active returns the number of sessions held now, across services.
func (l *Limiter) Active() int { return int(l.global.Load()) }

// Sources returns the number of sources tracked now (not counting the
// overflow entries).
func (l *Limiter) Sources() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += sh.idx.n
		sh.mu.Unlock()
	}
	return n
}

// Acquire is l.Service(service).Acquire(src).
func (l *Limiter) Acquire(service string, src netip.Addr) (Ticket, Refusal) {
	return l.Service(service).Acquire(src)
}

// Acquire admits or refuses a connection to s from client address src.
// If admitted, the Refusal is zero and the Ticket holds the session until
// its Release. If refused, the Ticket is zero (its Release does nothing)
// and the Refusal says which limit refused and whether to log it.
//
// The limits are checked cheapest-for-others first: the source's rate,
// then the source's sessions, then the service's, then the global count,
// so a refused offender never holds a service or global slot, not even
// for a moment.
func (s *Service) Acquire(src netip.Addr) (Ticket, Refusal) {
	l := s.l
	p := l.cfg.Load()
	now := l.now()
	k := p.keyOf(src)
	sh, h := l.shardOf(k)
	idx := int32(noEntry)
	sh.mu.Lock()
	if p.track {
		var e *entry
		idx, e = sh.find(k, h, p.perShard, now, p.src.t)
		lim := &p.src
		if idx == overflowIdx {
			lim = &p.over
		}
		if lim.rate {
			if e.tat-now > lim.tau {
				log, n := e.note(rateSlot, now, p.interval)
				sh.mu.Unlock()
				return Ticket{}, s.refusal(SourceRate, k, idx, log, n)
			}
			e.tat = max(e.tat, now) + lim.t
		}
		if lim.max > 0 && e.active >= lim.max {
			log, n := e.note(concurrentSlot, now, p.interval)
			sh.mu.Unlock()
			return Ticket{}, s.refusal(SourceConcurrent, k, idx, log, n)
		}
		e.active++
	}
	ss := sh.getSession()
	sh.mu.Unlock()

	if !tryInc(&s.active, s.max.Load()) {
		sh.undo(idx, ss)
		log, n := s.log.note(now, p.interval)
		return Ticket{}, s.refusal(ServiceMax, k, idx, log, n)
	}
	if !tryInc(&l.global, p.globalMax) {
		s.active.Add(-1)
		sh.undo(idx, ss)
		log, n := l.globalLog.note(now, p.interval)
		return Ticket{}, s.refusal(GlobalMax, k, idx, log, n)
	}
	ss.svc, ss.idx = s, idx
	return Ticket{s: ss, gen: ss.gen.Load(), overflow: idx == overflowIdx}, Refusal{}
}

func (s *Service) refusal(r Reason, k key, idx int32, log bool, n int64) Refusal {
	return Refusal{Reason: r, Service: s.name, Source: k.prefix(), Overflow: idx == overflowIdx, Log: log, Suppressed: n}
}

// tryInc adds one to c unless that would take it past max (0: no max).
func tryInc(c *atomic.Int64, max int64) bool {
	if max <= 0 {
		c.Add(1)
		return true
	}
	for {
		v := c.Load()
		if v >= max {
			return false
		}
		if c.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

// A Ticket is an admitted session. Release it when the session ends. A
// Ticket is a small value: copies are the same session, and only the
// first Release of any of them counts. The zero Ticket is valid and its
// Release does nothing.
type Ticket struct {
	s        *session
	gen      uint64
	overflow bool
}

// Overflow reports whether the session was admitted in an overflow entry,
// because the table of sources was full (see the package documentation).
func (t Ticket) Overflow() bool { return t.overflow }

// Held reports whether the Ticket was issued for a session and not yet
// released.
func (t Ticket) Held() bool { return t.s != nil && t.s.gen.Load() == t.gen }

// Release ends the session and gives back its place in the counts of its
// source, its service and the limiter. It is idempotent and safe to call
// from any goroutine; tokens spent are not given back.
func (t Ticket) Release() {
	ss := t.s
	// The CAS lets exactly one Release through per session. A stale copy
	// of a Ticket whose session was recycled carries an older gen and
	// fails here, without touching anything else.
	if ss == nil || !ss.gen.CompareAndSwap(t.gen, t.gen+1) {
		return
	}
	svc, sh, idx := ss.svc, ss.sh, ss.idx
	ss.svc = nil
	svc.active.Add(-1)
	svc.l.global.Add(-1)
	sh.mu.Lock()
	if idx != noEntry {
		sh.entry(idx).active--
	}
	sh.sess = append(sh.sess, ss)
	sh.mu.Unlock()
}

// Sweep forgets the idle sources (no session held, bucket full, no
// refusal logged in the last interval nor pending), and hands to report,
// one call each, the counts of refusals suppressed for logging whose
// interval has ended, so that the end of a flood is logged too. Each such
// Refusal has Log set and Suppressed the count; its Reason, Source,
// Overflow and (for service-max) Service say whose refusals they were.
// report may be nil, and is called without any lock held.
//
// Call Sweep periodically, such as once per LogInterval. Acquire reclaims
// sources by itself when the table is full, so Sweep only shortens the
// table and reports.
func (l *Limiter) Sweep(report func(Refusal)) {
	p := l.cfg.Load()
	now := l.now()
	var out []Refusal
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		out = sh.sweep(out[:0], now, p.interval)
		sh.mu.Unlock()
		if report != nil {
			for _, r := range out {
				report(r)
			}
		}
	}
	for _, s := range *l.services.Load() {
		if n := s.log.flush(now, p.interval); n > 0 && report != nil {
			report(Refusal{Reason: ServiceMax, Service: s.name, Log: true, Suppressed: n})
		}
	}
	if n := l.globalLog.flush(now, p.interval); n > 0 && report != nil {
		report(Refusal{Reason: GlobalMax, Log: true, Suppressed: n})
	}
}
