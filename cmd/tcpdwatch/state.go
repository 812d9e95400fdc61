package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"tcpwrap/internal/atomicfile"
	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
)

// The state directory holds two files of this command's own:
//
//   - tcpdwatch-positions: how far each followed file was read, so that
//     a restart goes on where the last run stopped (no line read twice,
//     so no alert sent twice);
//   - tcpdwatch-sources: every client address (IPv6: its prefix) seen,
//     with its first and last time, for the reports' first-seen list.
//
// Both are text, one entry a line, replaced atomically. A file that
// cannot be read back is renamed aside (never deleted) and started
// afresh.

const (
	positionsHeader = "tcpdwatch-positions 1"
	historyHeader   = "tcpdwatch-sources 1"
)

// positions is the saved read position of every followed file, by path.
type positions struct {
	mu    sync.Mutex
	path  string
	m     map[string]logscan.Position
	dirty bool
}

// parsePositions reads a positions file: the header, then
// "PATH<TAB>DEV INO OFFSET SUM" lines (PATH quoted as Go strings).
func parsePositions(data []byte) (map[string]logscan.Position, error) {
	m := map[string]logscan.Position{}
	lines := strings.Split(string(data), "\n")
	if len(lines) == 0 || lines[0] != positionsHeader {
		return nil, errors.New("not a tcpdwatch positions file (bad header)")
	}
	if lines[len(lines)-1] != "" {
		return nil, errors.New("last line is incomplete")
	}
	for i, l := range lines[1 : len(lines)-1] {
		q, rest, ok := strings.Cut(l, "\t")
		if !ok {
			return nil, fmt.Errorf("line %d: no tab", i+2)
		}
		p, err := strconv.Unquote(q)
		if err != nil || !filepath.IsAbs(p) || p != filepath.Clean(p) {
			return nil, fmt.Errorf("line %d: bad path %s", i+2, q)
		}
		var pos logscan.Position
		if err := pos.UnmarshalText([]byte(rest)); err != nil {
			return nil, fmt.Errorf("line %d: %v", i+2, err)
		}
		if _, dup := m[p]; dup {
			return nil, fmt.Errorf("line %d: %s twice", i+2, q)
		}
		m[p] = pos
	}
	return m, nil
}

func marshalPositions(m map[string]logscan.Position) []byte {
	var b bytes.Buffer
	b.WriteString(positionsHeader + "\n")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t, _ := m[k].MarshalText()
		fmt.Fprintf(&b, "%s\t%s\n", strconv.Quote(k), t)
	}
	return b.Bytes()
}

// loadPositions reads the positions file at path (missing: none saved).
// A damaged file is moved aside and reported with the empty set.
func loadPositions(path string) (*positions, error) {
	ps := &positions{path: path, m: map[string]logscan.Position{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ps, nil
	}
	if err != nil {
		return nil, err
	}
	m, perr := parsePositions(data)
	if perr != nil {
		aside, err := atomicfile.MoveAside(path, time.Now())
		if err != nil {
			return nil, fmt.Errorf("%s: damaged (%v) and cannot be moved aside: %v", path, perr, err)
		}
		return ps, fmt.Errorf("%s: damaged (%v); kept as %s, reading the files as if for the first time", path, perr, aside)
	}
	ps.m = m
	return ps, nil
}

func (ps *positions) get(file string) logscan.Position {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.m[file]
}

func (ps *positions) set(file string, p logscan.Position) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m[file] != p {
		ps.m[file] = p
		ps.dirty = true
	}
}

// save writes the positions when they changed since the last save.
func (ps *positions) save() error {
	ps.mu.Lock()
	if !ps.dirty {
		ps.mu.Unlock()
		return nil
	}
	data := marshalPositions(ps.m)
	ps.dirty = false
	ps.mu.Unlock()
	if err := atomicfile.WriteFile(ps.path, data, 0o600); err != nil {
		ps.mu.Lock()
		ps.dirty = true
		ps.mu.Unlock()
		return err
	}
	return nil
}

// history remembers the sources seen: IPv4 addresses and IPv6 prefixes
// of bits6 bits, each with the first and last time seen (Unix seconds).
// It is bounded: beyond max entries, the tenth seen longest ago go.
type history struct {
	mu    sync.Mutex
	path  string
	max   int
	bits6 int
	m     map[netip.Prefix]*seenTimes
	dirty bool
}

type seenTimes struct{ first, last int64 }

func newHistory(path string, max, bits6 int) *history {
	return &history{path: path, max: max, bits6: bits6, m: map[netip.Prefix]*seenTimes{}}
}

// key is the prefix a source address is remembered under.
func (h *history) key(a netip.Addr) (netip.Prefix, bool) {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return netip.Prefix{}, false
	}
	bits := 32
	if a.Is6() {
		bits = h.bits6
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// observe records an event's source.
func (h *history) observe(ev watch.Event) {
	p, ok := h.key(ev.Addr)
	if !ok {
		return
	}
	t := ev.Time.Unix()
	if ev.Time.IsZero() {
		t = time.Now().Unix()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.m[p]; s != nil {
		if t < s.first {
			s.first, h.dirty = t, true
		}
		if t > s.last {
			s.last, h.dirty = t, true
		}
		return
	}
	h.m[p] = &seenTimes{first: t, last: t}
	h.dirty = true
	if len(h.m) > h.max {
		h.evict()
	}
}

// evict forgets the tenth of the entries seen longest ago (at least
// enough to get back to max), so that the cost is paid once per many
// new sources.
func (h *history) evict() {
	type kv struct {
		p    netip.Prefix
		last int64
	}
	all := make([]kv, 0, len(h.m))
	for p, s := range h.m {
		all = append(all, kv{p, s.last})
	}
	slices.SortFunc(all, func(a, b kv) int {
		if a.last != b.last {
			return int(min(max(a.last-b.last, -1), 1))
		}
		return a.p.Addr().Compare(b.p.Addr())
	})
	n := max(len(h.m)-h.max, h.max/10, 1)
	for _, e := range all[:min(n, len(all))] {
		delete(h.m, e.p)
	}
}

// knownBefore reports whether the source p (as report.Options.Known
// gives it) was first seen before t. A prefix shorter than the one the
// history keeps cannot be answered, and counts as not known.
func (h *history) knownBefore(p netip.Prefix, t int64) bool {
	a := p.Addr()
	if a.Is6() {
		if p.Bits() < h.bits6 {
			return false
		}
		var err error
		if p, err = a.Prefix(h.bits6); err != nil {
			return false
		}
	} else if p.Bits() != 32 {
		return false
	}
	s := h.m[p]
	return s != nil && s.first < t
}

func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.m)
}

// marshal writes the header (with the IPv6 prefix length) and one
// "PREFIX FIRST LAST" line per source, in address order.
func (h *history) marshal() []byte {
	h.mu.Lock()
	keys := make([]netip.Prefix, 0, len(h.m))
	for p := range h.m {
		keys = append(keys, p)
	}
	vals := make(map[netip.Prefix]seenTimes, len(h.m))
	for p, s := range h.m {
		vals[p] = *s
	}
	h.dirty = false
	h.mu.Unlock()
	slices.SortFunc(keys, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s ipv6-prefix=%d\n", historyHeader, h.bits6)
	for _, p := range keys {
		s := vals[p]
		fmt.Fprintf(&b, "%s %d %d\n", p, s.first, s.last)
	}
	return b.Bytes()
}

// parseHistory reads what marshal writes. Entries beyond max are
// dropped (the oldest first); a file kept with another IPv6 prefix
// length is refused, so that no source is looked up under the wrong key.
func parseHistory(r io.Reader, max, bits6 int) (*history, error) {
	h := newHistory("", max, bits6)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("empty file")
	}
	head := sc.Text()
	var hb int
	if rest, ok := strings.CutPrefix(head, historyHeader+" ipv6-prefix="); !ok {
		return nil, errors.New("not a tcpdwatch sources file (bad header)")
	} else if n, err := strconv.Atoi(rest); err != nil || n < 1 || n > 128 {
		return nil, errors.New("bad ipv6-prefix in the header")
	} else {
		hb = n
	}
	if hb != bits6 {
		return nil, fmt.Errorf("kept with IPv6 sources as /%d, not /%d", hb, bits6)
	}
	line := 1
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want PREFIX FIRST LAST", line)
		}
		p, err := netip.ParsePrefix(f[0])
		if err != nil || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" ||
			(p.Addr().Is4() && p.Bits() != 32) || (p.Addr().Is6() && p.Bits() != bits6) {
			return nil, fmt.Errorf("line %d: bad source %q", line, f[0])
		}
		first, err1 := strconv.ParseInt(f[1], 10, 64)
		last, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || first > last {
			return nil, fmt.Errorf("line %d: bad times", line)
		}
		if _, dup := h.m[p]; dup {
			return nil, fmt.Errorf("line %d: %s twice", line, p)
		}
		h.m[p] = &seenTimes{first: first, last: last}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", line+1, err)
	}
	if len(h.m) > h.max {
		h.evict()
	}
	return h, nil
}

// loadHistory reads the sources file; a missing one is an empty history.
// A damaged one (or one kept under another IPv6 prefix length) is moved
// aside when move is set, and an empty history is returned with the
// error.
func loadHistory(path string, max, bits6 int, move bool) (*history, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		h := newHistory(path, max, bits6)
		return h, nil
	}
	if err != nil {
		return newHistory(path, max, bits6), err
	}
	defer f.Close()
	h, perr := parseHistory(f, max, bits6)
	if perr == nil {
		h.path = path
		return h, nil
	}
	h = newHistory(path, max, bits6)
	if !move {
		return h, fmt.Errorf("%s: %v", path, perr)
	}
	aside, err := atomicfile.MoveAside(path, time.Now())
	if err != nil {
		return h, fmt.Errorf("%s: %v, and cannot be moved aside: %v", path, perr, err)
	}
	return h, fmt.Errorf("%s: %v; kept as %s, starting a new history", path, perr, aside)
}

// save writes the history when it changed.
func (h *history) save() error {
	h.mu.Lock()
	dirty := h.dirty
	h.mu.Unlock()
	if !dirty || h.path == "" {
		return nil
	}
	if err := atomicfile.WriteFile(h.path, h.marshal(), 0o600); err != nil {
		h.mu.Lock()
		h.dirty = true
		h.mu.Unlock()
		return err
	}
	return nil
}
