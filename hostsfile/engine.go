package hostsfile

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"tcpwrap/access"
)

// DefaultInterval is how often an Engine looks for changed files when
// Config.Interval is zero.
const DefaultInterval = time.Second

// Config says where an Engine's tables are.
type Config struct {
	// Allow and Deny are the table paths; empty means the defaults,
	// /etc/hosts.allow and /etc/hosts.deny.
	Allow, Deny string
	// Files reads /file patterns and banners; nil means the real file
	// system (OS).
	Files access.FileSystem
	// Interval is how often Check compares the files' status (size,
	// modification time, inode) with what was compiled, and recompiles
	// when they differ. Zero means DefaultInterval; a negative value
	// means never: call Reload, or run Watch.
	Interval time.Duration
}

// stamp identifies one version of a file.
type stamp struct {
	exists bool
	size   int64
	mtime  int64
	ctime  int64
	ino    uint64
	dev    uint64
}

func stampOf(path string) stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return stamp{}
	}
	s := stamp{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino, s.dev = st.Ino, uint64(st.Dev)
		s.ctime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
	}
	return s
}

// snapshot is one compiled version of the tables, with the status of
// every file it was compiled from.
type snapshot struct {
	policy access.Policy
	paths  []string
	stamps []stamp
}

func (s *snapshot) current() bool {
	for i, p := range s.paths {
		if stampOf(p) != s.stamps[i] {
			return false
		}
	}
	return true
}

// Engine keeps the compiled tables and swaps in a new version, whole,
// when the files change. Check is safe to call from many goroutines at
// once; it takes no lock on the decision path.
type Engine struct {
	cfg       Config
	cur       atomic.Pointer[snapshot]
	lastCheck atomic.Int64 // unix nanoseconds of the last status check
	reloading sync.Mutex
	reloads   atomic.Int64
}

// New compiles the tables and returns an Engine for them.
func New(cfg Config) *Engine {
	if cfg.Allow == "" {
		cfg.Allow = AllowPath
	}
	if cfg.Deny == "" {
		cfg.Deny = DenyPath
	}
	if cfg.Files == nil {
		cfg.Files = OS{}
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	e := &Engine{cfg: cfg}
	e.cur.Store(e.load())
	e.lastCheck.Store(time.Now().UnixNano())
	return e
}

func (e *Engine) load() *snapshot {
	// Stamps are taken before reading, so a change made while reading
	// is seen as a change at the next check.
	s := &snapshot{paths: []string{e.cfg.Allow, e.cfg.Deny}}
	s.stamps = []stamp{stampOf(e.cfg.Allow), stampOf(e.cfg.Deny)}
	s.policy = access.Policy{Allow: ReadTable(e.cfg.Allow, e.cfg.Files), Deny: ReadTable(e.cfg.Deny, e.cfg.Files)}
	for _, t := range []*access.Table{s.policy.Allow, s.policy.Deny} {
		if t == nil {
			continue
		}
		for _, f := range t.Files() {
			s.paths = append(s.paths, f)
			s.stamps = append(s.stamps, stampOf(f))
		}
	}
	return s
}

// Policy returns the tables in force, first recompiling them if the check
// interval has passed and the files have changed.
func (e *Engine) Policy() access.Policy {
	if e.cfg.Interval > 0 {
		now := time.Now().UnixNano()
		last := e.lastCheck.Load()
		if now-last >= int64(e.cfg.Interval) && e.lastCheck.CompareAndSwap(last, now) {
			if !e.cur.Load().current() {
				e.Reload()
			}
		}
	}
	return e.cur.Load().policy
}

// Check decides a request with the tables in force.
func (e *Engine) Check(req access.Request, hooks access.Hooks) access.Decision {
	return e.Policy().Check(req, hooks)
}

// Reload recompiles the tables now. While one reload runs, others wait
// for it and then return; decisions go on with the previous version
// until the new one is swapped in.
func (e *Engine) Reload() {
	e.reloading.Lock()
	defer e.reloading.Unlock()
	e.cur.Store(e.load())
	e.reloads.Add(1)
}

// Reloads returns how many times the tables were recompiled since New.
func (e *Engine) Reloads() int64 { return e.reloads.Load() }

// Files returns the files the tables in force were compiled from: the
// two tables and every /file they name. Package hostswatch watches them.
func (e *Engine) Files() []string { return append([]string(nil), e.cur.Load().paths...) }

// Stale reports whether one of the files the tables in force were
// compiled from has changed since (Reload would compile something new).
func (e *Engine) Stale() bool { return !e.cur.Load().current() }
