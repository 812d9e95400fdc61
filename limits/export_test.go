package limits

import "fmt"

// Shards returns the number of shards of l.
func Shards(l *Limiter) int { return len(l.shards) }

// Check verifies the internal bookkeeping of l and returns the number of
// sessions counted in source entries (tracked and overflow). It takes
// every shard's lock in turn; call it when no Acquire or Release runs.
func Check(l *Limiter) (sourceSessions int, err error) {
	p := l.cfg.Load()
	for si := range l.shards {
		sh := &l.shards[si]
		sh.mu.Lock()
		if len(sh.ents) != sh.idx.n+len(sh.freeEnts) {
			err = fmt.Errorf("shard %d: %d entries, %d indexed, %d free", si, len(sh.ents), sh.idx.n, len(sh.freeEnts))
		}
		used := 0
		for i := range sh.ents {
			e := &sh.ents[i]
			if e.active < 0 {
				err = fmt.Errorf("shard %d entry %d (%v): %d sessions", si, i, e.key.prefix(), e.active)
			}
			if !e.used {
				if e.active != 0 {
					err = fmt.Errorf("shard %d: unused entry %d holds %d sessions", si, i, e.active)
				}
				continue
			}
			used++
			if h := e.key.hash(l.seed); uint32(h) != e.tag || sh.idx.lookup(h, e.key, sh.ents) != int32(i) {
				err = fmt.Errorf("shard %d: entry %d (%v) not indexed", si, i, e.key.prefix())
			}
			if p.track && p.src.max > 0 && e.active > p.src.max {
				err = fmt.Errorf("shard %d: entry %d holds %d sessions, max %d", si, i, e.active, p.src.max)
			}
			sourceSessions += int(e.active)
		}
		if used != sh.idx.n {
			err = fmt.Errorf("shard %d: %d used entries, %d indexed", si, used, sh.idx.n)
		}
		inIndex := 0
		for _, s := range sh.idx.slots {
			if s.ref != 0 {
				inIndex++
				if e := &sh.ents[s.ref-1]; !e.used || e.tag != s.tag {
					err = fmt.Errorf("shard %d: index slot for entry %d, unused or with another hash", si, s.ref-1)
				}
			}
		}
		if inIndex != sh.idx.n {
			err = fmt.Errorf("shard %d: %d slots in use, %d counted", si, inIndex, sh.idx.n)
		}
		if sh.over.active < 0 {
			err = fmt.Errorf("shard %d: overflow holds %d sessions", si, sh.over.active)
		}
		sourceSessions += int(sh.over.active)
		sh.mu.Unlock()
	}
	return sourceSessions, err
}
