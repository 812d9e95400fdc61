package limits

import (
	"sync"
	"sync/atomic"
)

// Indexes into a shard's entries with a special meaning.
const (
	overflowIdx = -1 // the shard's overflow entry
	noEntry     = -2 // sources are not tracked
)

// evictScan is how many entries an insertion into a full shard examines,
// at most, looking for an idle one to reuse. The scan resumes where the
// previous one stopped, so successive insertions go round the whole shard.
const evictScan = 32

// A slot in entry's log arrays, per source reason.
const (
	rateSlot = iota
	concurrentSlot
)

// entry is one tracked source.
type entry struct {
	key        key
	tat        int64    // GCRA theoretical arrival time: the bucket is full when tat <= now
	lastLog    [2]int64 // per slot: when a refusal was last reported as to be logged
	suppressed [2]int64 // per slot: refusals not logged since
	active     int32    // sessions held
	tag        uint32   // the low bits of the key's hash, for the index
	used       bool     // the entry holds a source (it is in the index)
	ref        bool     // seen again since added or since the eviction scan passed
}

func (e *entry) reset(k key, h uint64, now int64) {
	*e = entry{key: k, tag: uint32(h), tat: now, lastLog: [2]int64{never, never}, used: true}
}

// idle reports whether forgetting the entry changes nothing for the
// source's limits: no session held and a full bucket. (Its log state
// would be lost: Sweep waits for that too, see forgettable.)
func (e *entry) idle(now int64) bool { return e.active == 0 && e.tat <= now }

// forgettable reports whether Sweep may forget the entry: it is idle,
// and its log state is back to where a new entry's is (nothing pending,
// the last logged refusal an interval ago), so that forgetting it changes
// nothing at all.
func (e *entry) forgettable(now, interval int64) bool {
	return e.idle(now) && e.suppressed == [2]int64{} &&
		now-e.lastLog[0] >= interval && now-e.lastLog[1] >= interval
}

// note is logState.note for an entry, under the shard's lock.
func (e *entry) note(slot int, now, interval int64) (bool, int64) {
	if now-e.lastLog[slot] >= interval {
		n := e.suppressed[slot]
		e.suppressed[slot] = 0
		e.lastLog[slot] = now
		return true, n
	}
	e.suppressed[slot]++
	return false, 0
}

// session is the state behind a Ticket. Sessions are recycled through
// their shard's free list; gen tells a live Ticket from a stale copy.
type session struct {
	gen atomic.Uint64 // bumped by the Release that ends the session
	svc *Service
	sh  *shard
	idx int32
}

// shard is a part of the source table with its own lock.
type shard struct {
	mu       sync.Mutex
	idx      index      // source → index into ents
	ents     []entry    // len(ents) == idx.n + len(freeEnts)
	freeEnts []int32    // unused indexes into ents
	hand     int        // where the next eviction scan starts
	over     entry      // the overflow entry
	sess     []*session // free sessions
}

// find returns the entry of source k, adding it if it is new. When the
// shard holds its cap of sources, a forgettable entry is reused (see
// evictOne; t is the time per token); when none is found, k is limited in
// the overflow entry. Called with sh.mu held.
func (sh *shard) find(k key, h uint64, perShard int, now, t int64) (int32, *entry) {
	if i := sh.idx.lookup(h, k, sh.ents); i >= 0 {
		e := &sh.ents[i]
		e.ref = true
		return i, e
	}
	var i int32
	switch n := len(sh.freeEnts); {
	case sh.idx.n >= perShard:
		if i = sh.evictOne(now, t); i < 0 {
			return overflowIdx, &sh.over
		}
	case n > 0:
		i = sh.freeEnts[n-1]
		sh.freeEnts = sh.freeEnts[:n-1]
	default:
		sh.ents = append(sh.ents, entry{})
		i = int32(len(sh.ents) - 1)
	}
	sh.ents[i].reset(k, h, now)
	sh.idx.insert(h, i)
	return i, &sh.ents[i]
}

// evictOne forgets a source and returns its index for reuse, or -1 when
// none of the next evictScan entries may go. Only sources without a
// session go, and in this order of preference:
//
//   - an idle source (bucket full), unless it was seen again since the
//     hand last passed: then it is spared once (the CLOCK, or second
//     chance, algorithm), so the clients that come back outlast the ones
//     that connect once;
//   - failing that, the first source at most one token short (t is the
//     time per token) not seen again since added or passed: typically a
//     source of a rotating flood that connected once. Forgetting it gives
//     it back at most one token if it returns.
//
// A source that spent more than one token is never forgotten before its
// bucket has refilled to one token short, so filling the table cannot
// reset an offender's bucket.
func (sh *shard) evictOne(now, t int64) int32 {
	n := len(sh.ents)
	fallback := int32(-1)
	for range min(2*n, evictScan) { // twice round a small shard: once to clear ref, once to evict
		i := sh.hand
		if sh.hand++; sh.hand >= n {
			sh.hand = 0
		}
		e := &sh.ents[i]
		if !e.used || e.active != 0 {
			continue
		}
		switch debt := e.tat - now; {
		case debt <= 0 && e.ref:
			e.ref = false
			continue
		case debt <= 0:
			sh.forget(int32(i))
			return int32(i)
		case debt <= t && !e.ref && fallback < 0:
			fallback = int32(i)
		}
	}
	if fallback >= 0 {
		sh.forget(fallback)
	}
	return fallback
}

func (sh *shard) forget(i int32) {
	e := &sh.ents[i]
	sh.idx.remove(uint64(e.tag), i)
	e.used = false
}

// entry returns the entry a session counts in.
func (sh *shard) entry(i int32) *entry {
	if i == overflowIdx {
		return &sh.over
	}
	return &sh.ents[i]
}

func (sh *shard) getSession() *session {
	if n := len(sh.sess); n > 0 {
		s := sh.sess[n-1]
		sh.sess = sh.sess[:n-1]
		return s
	}
	return &session{sh: sh}
}

// undo gives back what Acquire took in the shard, when a service or the
// global limit refuses after the source's checks passed.
func (sh *shard) undo(i int32, s *session) {
	sh.mu.Lock()
	if i != noEntry {
		sh.entry(i).active--
	}
	sh.sess = append(sh.sess, s)
	sh.mu.Unlock()
}

// sweep reports the suppressed counts whose interval has ended and forgets
// the idle sources with nothing pending. Called with sh.mu held.
func (sh *shard) sweep(out []Refusal, now, interval int64) []Refusal {
	for i := range sh.ents {
		e := &sh.ents[i]
		if !e.used {
			continue
		}
		out = e.flush(out, now, interval, false)
		if e.forgettable(now, interval) {
			sh.forget(int32(i))
			sh.freeEnts = append(sh.freeEnts, int32(i))
		}
	}
	return sh.over.flush(out, now, interval, true)
}

func (e *entry) flush(out []Refusal, now, interval int64, overflow bool) []Refusal {
	for slot, reason := range [2]Reason{rateSlot: SourceRate, concurrentSlot: SourceConcurrent} {
		if n := e.suppressed[slot]; n > 0 && now-e.lastLog[slot] >= interval {
			e.suppressed[slot] = 0
			e.lastLog[slot] = now
			r := Refusal{Reason: reason, Overflow: overflow, Log: true, Suppressed: n}
			if !overflow {
				r.Source = e.key.prefix()
			}
			out = append(out, r)
		}
	}
	return out
}
