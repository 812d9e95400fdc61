package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"tcpwrap/watch"
)

// spaceSaving counts refusals per source over at most max entries, with
// the space-saving algorithm: a new source arriving when every entry is
// taken replaces the entry with the smallest count and inherits that
// count (plus one) as an upper bound, remembering it as the possible
// overcount. The entries sit in a min-heap by count, so that every step
// costs O(log max).
type spaceSaving struct {
	idx  map[srcKey]*srcEntry
	heap []*srcEntry
	max  int
}

type srcEntry struct {
	key         srcKey
	count, over int64
	first, last time.Time
	service     string
	name        string
	pos         int // index in heap
}

func (s *spaceSaving) add(k srcKey, e watch.Event) {
	ent := s.idx[k]
	switch {
	case ent != nil:
		ent.count++
	case len(s.heap) < s.max:
		ent = &srcEntry{key: k.clone(), count: 1, first: e.Time, pos: len(s.heap)}
		s.idx[ent.key] = ent
		s.heap = append(s.heap, ent)
		s.up(ent.pos)
	default:
		ent = s.heap[0]
		delete(s.idx, ent.key)
		*ent = srcEntry{key: k.clone(), over: ent.count, count: ent.count + 1, first: e.Time}
		s.idx[ent.key] = ent
	}
	if e.Time.After(ent.last) || ent.last.IsZero() {
		ent.last = e.Time
	}
	if e.Time.Before(ent.first) {
		ent.first = e.Time
	}
	if d := clip(e.Daemon, maxServiceLen); d != ent.service {
		ent.service = strings.Clone(d)
	}
	if n := clip(e.Name, maxNameLen); n != "" && n != ent.name {
		ent.name = strings.Clone(n)
	}
	s.down(ent.pos)
}

func (s *spaceSaving) less(i, j int) bool { return s.heap[i].count < s.heap[j].count }

func (s *spaceSaving) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.heap[i].pos = i
	s.heap[j].pos = j
}

func (s *spaceSaving) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			return
		}
		s.swap(i, p)
		i = p
	}
}

func (s *spaceSaving) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(s.heap) {
			return
		}
		m := l
		if r := l + 1; r < len(s.heap) && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.swap(i, m)
		i = m
	}
}

// top returns the n entries with the highest counts, and whether every
// count tracked is exact.
func (s *spaceSaving) top(n int, loc *time.Location) ([]SourceStat, bool) {
	exact := true
	all := make([]*srcEntry, len(s.heap))
	copy(all, s.heap)
	for _, e := range all {
		if e.over != 0 {
			exact = false
		}
	}
	slices.SortFunc(all, func(x, y *srcEntry) int {
		if d := cmp.Compare(y.count, x.count); d != 0 {
			return d
		}
		if d := x.key.prefix.Compare(y.key.prefix); d != 0 {
			return d
		}
		return strings.Compare(x.key.name, y.key.name)
	})
	all = all[:min(n, len(all))]
	out := make([]SourceStat, len(all))
	for i, e := range all {
		out[i] = SourceStat{
			Source:      e.key.show(),
			Prefix:      e.key.prefix,
			Name:        e.name,
			Refused:     e.count,
			Overcount:   e.over,
			LastService: e.service,
			First:       e.first.In(loc),
			Last:        e.last.In(loc),
		}
	}
	return out, exact
}
