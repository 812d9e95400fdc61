package ban

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"tcpwrap/internal/atomicfile"
)

// Clock tells the time; tests inject one they move by hand.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// Options connect a List to the outside world; every field may be zero.
type Options struct {
	// Clock is the time source; nil means the real clock.
	Clock Clock
	// LocalAddrs lists the machine's own addresses for the default
	// allowlist; nil means the addresses of the network interfaces.
	LocalAddrs func() ([]netip.Addr, error)
	// Logger receives problems found while running (a state file
	// damaged by someone else); nil means slog.Default().
	Logger *slog.Logger
}

// Errors from Ban.
var (
	ErrAllowed = errors.New("ban: address is allowlisted")
	ErrFull    = errors.New("ban: too many bans in force")
	ErrInvalid = errors.New("ban: not a unicast address")
)

// Ban is one ban in force.
type Ban struct {
	Prefix       netip.Prefix
	Since, Until time.Time
	// Offences is how many times this prefix has been banned, this ban
	// included, since its history was last forgotten.
	Offences int
	Reason   string
}

// Pattern is the ban's word in the deny list.
func (b Ban) Pattern() string { return Pattern(b.Prefix) }

// Stats are a List's counters since Open.
type Stats struct {
	Banned  int64 // bans given
	Already int64 // offences from addresses already banned
	Allowed int64 // offences from allowlisted addresses
	Full    int64 // bans refused because MaxBans were in force
	Expired int64 // bans that ran out
	Lifted  int64 // bans lifted by Lift
	InForce int
}

// List is the deny list and the state behind it. Its methods are safe
// for concurrent use, and several processes (the watcher and a command
// listing or lifting bans) may use the same files: each change is made
// under a lock on State+".lock", on the state as last written by
// anyone.
type List struct {
	cfg   Config
	clock Clock
	log   *slog.Logger
	allow []netip.Prefix

	mu      sync.Mutex
	recs    map[netip.Prefix]*record
	stateID fileID    // the state file as last read or written
	checked time.Time // when Expire last looked
	// replaced are bans that ended and were replaced by a new ban for the
	// same prefix before Expire saw them end: Expire still reports them.
	replaced []*record
	st       Stats
}

// fileID tells whether a file changed since it was last seen.
type fileID struct {
	ino, size int64
	mtime     time.Time
}

func idOf(path string) fileID {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}
	}
	id := fileID{size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ino = int64(st.Ino)
	}
	return id
}

// Open loads the state (a missing state file is an empty list), drops
// what has expired, and writes the deny list so that it matches the
// state. If the state file is damaged, Open moves it aside, recovers
// the bans from the deny list and returns the List with a
// *DamagedError; any other error returns a nil List.
func Open(cfg Config, opts Options) (*List, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	l := &List{cfg: cfg, clock: opts.Clock, log: opts.Logger}
	if l.clock == nil {
		l.clock = realClock{}
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	l.allow = slices.Clone(cfg.Allow)
	if !cfg.NoDefaultAllow {
		l.allow = append(l.allow, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
		local := opts.LocalAddrs
		if local == nil {
			local = interfaceAddrs
		}
		addrs, err := local()
		if err != nil {
			return nil, fmt.Errorf("ban: the machine's own addresses: %w", err)
		}
		for _, a := range addrs {
			a = a.Unmap().WithZone("")
			l.allow = append(l.allow, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	for _, dir := range []string{filepath.Dir(cfg.File), filepath.Dir(cfg.State)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}

	unlock, err := l.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := l.clock.Now()
	var damaged *DamagedError
	data, err := os.ReadFile(cfg.State)
	switch {
	case errors.Is(err, os.ErrNotExist):
		l.recs = map[netip.Prefix]*record{}
	case err != nil:
		return nil, err
	default:
		l.recs, err = parseState(data)
		if err != nil {
			aside, merr := atomicfile.MoveAside(cfg.State, now)
			if merr != nil {
				return nil, fmt.Errorf("%s: damaged (%v), and cannot be moved aside: %w", cfg.State, err, merr)
			}
			l.recs = recoverFromList(cfg.File, now, cfg.Duration)
			damaged = &DamagedError{Path: cfg.State, Aside: aside, Recovered: len(l.recs), Err: err}
		}
	}
	l.prune(now)
	l.checked = now
	// Write the state only when it changed (a command that merely lists
	// the bans rewrites nothing); the list always matches it.
	if data != nil && damaged == nil && string(marshalState(l.recs)) == string(data) {
		l.stateID = idOf(cfg.State)
		err = l.syncList()
	} else {
		err = l.save()
	}
	if err != nil {
		return nil, err
	}
	if damaged != nil {
		return l, damaged
	}
	return l, nil
}

func interfaceAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, ip.Unmap())
			}
		}
	}
	return out, nil
}

// lock takes the lock shared with other processes using the same state.
func (l *List) lock() (unlock func(), err error) {
	l.mu.Lock()
	f, err := os.OpenFile(l.cfg.State+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		l.mu.Unlock()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		l.mu.Unlock()
	}, nil
}

// refresh reloads the state when another process changed it. A state
// file damaged meanwhile is moved aside, and the bans in memory are kept
// (and written back by the next save).
func (l *List) refresh() {
	id := idOf(l.cfg.State)
	if id == l.stateID {
		return
	}
	data, err := os.ReadFile(l.cfg.State)
	if errors.Is(err, os.ErrNotExist) {
		l.log.Warn("tcpdwatch: ban state file removed; writing it again from memory", "path", l.cfg.State)
		l.stateID = fileID{}
		return
	}
	if err == nil {
		var recs map[netip.Prefix]*record
		if recs, err = parseState(data); err == nil {
			l.recs = recs
			l.stateID = id
			return
		}
		aside, _ := atomicfile.MoveAside(l.cfg.State, l.clock.Now())
		err = &DamagedError{Path: l.cfg.State, Aside: aside, Recovered: len(l.recs), Err: err}
	}
	l.log.Error("tcpdwatch: ban state unreadable; keeping the bans in memory", "err", err)
	l.stateID = fileID{}
}

// save writes the state, then the deny list. The state comes first:
// after a crash between the two, Open rewrites the list from the state,
// so a ban given is never lost and a ban lifted stays lifted.
func (l *List) save() error {
	if err := atomicfile.WriteFile(l.cfg.State, marshalState(l.recs), 0o600); err != nil {
		return err
	}
	l.stateID = idOf(l.cfg.State)
	return l.syncList()
}

// syncList rewrites the deny list when its content is not what the
// state says it should be.
func (l *List) syncList() error {
	now := l.clock.Now()
	var ps []netip.Prefix
	for _, r := range l.recs {
		if r.Until.After(now) && !l.overlapsAllow(r.Prefix) {
			ps = append(ps, r.Prefix)
		}
	}
	data := render(ps)
	if old, err := os.ReadFile(l.cfg.File); err == nil && string(old) == string(data) {
		return nil
	}
	return atomicfile.WriteFile(l.cfg.File, data, 0o644)
}

// prune forgets the ended bans whose history is older than Forget, and
// reports whether it forgot any.
func (l *List) prune(now time.Time) bool {
	n := len(l.recs)
	for p, r := range l.recs {
		if now.Sub(r.Until) > l.cfg.Forget {
			delete(l.recs, p)
		}
	}
	// History is bounded too: beyond four times MaxBans records, the
	// oldest ended ones go.
	if extra := len(l.recs) - 4*l.cfg.MaxBans; extra > 0 {
		var ended []*record
		for _, r := range l.recs {
			if !r.Until.After(now) {
				ended = append(ended, r)
			}
		}
		slices.SortFunc(ended, func(a, b *record) int { return a.Until.Compare(b.Until) })
		for _, r := range ended[:min(extra, len(ended))] {
			delete(l.recs, r.Prefix)
		}
	}
	return len(l.recs) != n
}

func (l *List) allowed(a netip.Addr) bool {
	for _, p := range l.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (l *List) overlapsAllow(p netip.Prefix) bool {
	for _, q := range l.allow {
		if q.Overlaps(p) {
			return true
		}
	}
	return false
}

// prefixFor is what a ban of a covers.
func (l *List) prefixFor(a netip.Addr) netip.Prefix {
	bits := l.cfg.Prefix4
	if a.Is6() {
		bits = l.cfg.Prefix6
		if a.IsLinkLocalUnicast() {
			bits = 128
		}
	}
	p, _ := a.Prefix(bits)
	if l.overlapsAllow(p) {
		// Aggregating would ban an allowed address: ban the offender
		// alone.
		p = netip.PrefixFrom(a, a.BitLen())
	}
	return p
}

func (l *List) length(offences int) time.Duration {
	d := float64(l.cfg.Duration) * math.Pow(l.cfg.Factor, float64(offences-1))
	if math.IsInf(d, 0) || math.IsNaN(d) || d >= float64(l.cfg.MaxDuration) {
		return l.cfg.MaxDuration
	}
	return time.Duration(d)
}

// Ban bans the offender at addr (its prefix, per Prefix4 and Prefix6)
// and rewrites the deny list. An address already covered by a ban in
// force returns that ban with added false: a banned client's refused
// connections do not lengthen its ban. A repeat offender, banned before
// and not yet forgotten, gets Factor times the previous length, up to
// MaxDuration. Allowlisted addresses give ErrAllowed, and a full list
// ErrFull.
func (l *List) Ban(addr netip.Addr, reason string) (b Ban, added bool, err error) {
	a := addr.Unmap().WithZone("")
	if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a.Is4() && a.As4()[0] == 255 {
		return Ban{}, false, ErrInvalid
	}
	unlock, err := l.lock()
	if err != nil {
		return Ban{}, false, err
	}
	defer unlock()
	if l.allowed(a) {
		l.st.Allowed++
		return Ban{}, false, ErrAllowed
	}
	l.refresh()
	now := l.clock.Now()
	inForce := 0
	for _, r := range l.recs {
		if r.Until.After(now) {
			if r.Prefix.Contains(a) {
				l.st.Already++
				return r.ban(), false, nil
			}
			inForce++
		}
	}
	if inForce >= l.cfg.MaxBans {
		l.st.Full++
		return Ban{}, false, ErrFull
	}
	p := l.prefixFor(a)
	offences := 1
	if r := l.recs[p]; r != nil && now.Sub(r.Until) <= l.cfg.Forget {
		offences = r.Offences + 1
	}
	r := &record{Prefix: p, Since: now, Until: now.Add(l.length(offences)), Offences: offences, Reason: cleanReason(reason)}
	old := l.recs[p]
	l.recs[p] = r
	l.prune(now)
	if err := l.save(); err != nil {
		// Not written: not given.
		if old != nil {
			l.recs[p] = old
		} else {
			delete(l.recs, p)
		}
		return Ban{}, false, err
	}
	if old != nil && !old.Until.After(now) && old.Until.After(l.checked) {
		l.replaced = append(l.replaced, old)
	}
	l.st.Banned++
	return r.ban(), true, nil
}

func (r *record) ban() Ban {
	return Ban{Prefix: r.Prefix, Since: r.Since, Until: r.Until, Offences: r.Offences, Reason: r.Reason}
}

// Lift ends every ban in force that overlaps p (an address lifts the ban
// that covers it; a prefix lifts every ban within it), forgets their
// history, and rewrites the deny list. It returns the bans lifted.
func (l *List) Lift(p netip.Prefix) ([]Ban, error) {
	if !p.IsValid() {
		return nil, ErrInvalid
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	}
	p = p.Masked()
	unlock, err := l.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	l.refresh()
	now := l.clock.Now()
	var lifted []*record
	for q, r := range l.recs {
		if q.Overlaps(p) {
			if r.Until.After(now) {
				lifted = append(lifted, r)
			}
			delete(l.recs, q)
		}
	}
	if err := l.save(); err != nil {
		for _, r := range lifted {
			l.recs[r.Prefix] = r
		}
		return nil, err
	}
	l.st.Lifted += int64(len(lifted))
	return bansOf(lifted), nil
}

// Expire rewrites the deny list without the bans that have run out, and
// forgets old history. It returns the bans that ended since the last
// call (or Open). Run calls it; so may a program's own loop.
func (l *List) Expire() ([]Ban, error) {
	unlock, err := l.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	l.refresh()
	now := l.clock.Now()
	ended := append([]*record(nil), l.replaced...)
	for _, r := range l.recs {
		if !r.Until.After(now) && r.Until.After(l.checked) {
			ended = append(ended, r)
		}
	}
	if l.prune(now) {
		err = l.save()
	} else {
		err = l.syncList()
	}
	if err != nil {
		return nil, err
	}
	l.checked = now
	l.replaced = nil
	l.st.Expired += int64(len(ended))
	return bansOf(ended), nil
}

// Bans returns the bans in force, in address order, as the state file
// holds them now (another process may have changed it).
func (l *List) Bans() ([]Ban, error) {
	unlock, err := l.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	l.refresh()
	now := l.clock.Now()
	var rs []*record
	for _, r := range l.recs {
		if r.Until.After(now) {
			rs = append(rs, r)
		}
	}
	return bansOf(rs), nil
}

// bansOf sorts the records in address order and returns their bans.
func bansOf(rs []*record) []Ban {
	sortRecords(rs)
	out := make([]Ban, len(rs))
	for i, r := range rs {
		out[i] = r.ban()
	}
	return out
}

func sortRecords(rs []*record) {
	slices.SortFunc(rs, func(a, b *record) int { return comparePrefix(a.Prefix, b.Prefix) })
}

// Stats returns the counters.
func (l *List) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.st
	now := l.clock.Now()
	for _, r := range l.recs {
		if r.Until.After(now) {
			st.InForce++
		}
	}
	return st
}

// Run calls Expire every interval (a second when zero) until ctx is
// done, logging failures.
func (l *List) Run(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := l.Expire(); err != nil {
				l.log.Error("tcpdwatch: expiring bans", "err", err)
			}
		}
	}
}
