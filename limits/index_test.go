package limits

import (
	"math/rand/v2"
	"testing"
)

// The index against a Go map, under random insertions and removals, with
// hashes drawn from a few bits so that runs and wrap-arounds are common.
func TestIndexAgainstMap(t *testing.T) {
	for _, hashBits := range []uint{3, 6, 32} {
		rng := rand.New(rand.NewPCG(1, uint64(hashBits)))
		var x index
		var ents []entry
		var free []int32
		ref := map[key]int32{}
		hashOf := func(k key) uint64 { return mix(k.lo) & (1<<hashBits - 1) }
		for step := range 200_000 {
			k := key{lo: uint64(rng.IntN(300))}
			h := hashOf(k)
			got := x.lookup(h, k, ents)
			want, ok := ref[k]
			if !ok {
				want = -1
			}
			if got != want {
				t.Fatalf("bits %d step %d: lookup %v = %d, want %d", hashBits, step, k, got, want)
			}
			switch {
			case !ok:
				var i int32
				if n := len(free); n > 0 {
					i, free = free[n-1], free[:n-1]
				} else {
					ents = append(ents, entry{})
					i = int32(len(ents) - 1)
				}
				ents[i].reset(k, h, 0)
				x.insert(h, i)
				ref[k] = i
			case rng.IntN(2) == 0:
				x.remove(uint64(ents[got].tag), got)
				ents[got].used = false
				free = append(free, got)
				delete(ref, k)
			}
			if x.n != len(ref) || 2*x.n > len(x.slots) {
				t.Fatalf("bits %d step %d: %d in index of %d slots, want %d", hashBits, step, x.n, len(x.slots), len(ref))
			}
		}
		for k, i := range ref {
			if got := x.lookup(hashOf(k), k, ents); got != i {
				t.Fatalf("bits %d: lookup %v = %d, want %d", hashBits, k, got, i)
			}
		}
	}
}
