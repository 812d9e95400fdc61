package report

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"tcpwrap/watch"
)

// TestSpaceSaving checks the space-saving counts against exact counts on
// skewed random streams: every count reported is an upper bound, at most
// its overcount above the truth; every source refused more than
// total/max times is listed; and with no more sources than entries the
// counts are exact.
func TestSpaceSaving(t *testing.T) {
	for _, tc := range []struct {
		name            string
		max, distinct   int
		events          int
		exactIfPossible bool
	}{
		{"fewer sources than entries: exact", 64, 50, 5000, true},
		{"many more sources than entries", 32, 5000, 20000, false},
		{"tiny table", 4, 300, 3000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.distinct)))
			zipf := rand.NewZipf(rng, 1.3, 1, uint64(tc.distinct-1))
			s := spaceSaving{idx: make(map[srcKey]*srcEntry), max: tc.max}
			truth := make(map[netip.Prefix]int64)
			for range tc.events {
				// Shuffle the heavy ids around the space so that
				// order by address tells nothing.
				id := uint32(zipf.Uint64()*2654435761) | 1
				a := netip.AddrFrom4([4]byte{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)})
				p := netip.PrefixFrom(a, 32)
				truth[p]++
				s.add(srcKey{prefix: p}, watch.Event{Time: time.Unix(0, 0), Verdict: watch.Refused})
			}
			if len(s.heap) > tc.max || len(s.idx) != len(s.heap) {
				t.Fatalf("heap %d, index %d, max %d", len(s.heap), len(s.idx), tc.max)
			}
			all, exact := s.top(tc.max, time.UTC)
			if exact != tc.exactIfPossible {
				t.Errorf("exact = %v, want %v", exact, tc.exactIfPossible)
			}
			listed := make(map[netip.Prefix]bool)
			var sum int64
			for _, e := range all {
				listed[e.Prefix] = true
				sum += e.Refused
				tr := truth[e.Prefix]
				if e.Refused < tr || e.Refused-e.Overcount > tr {
					t.Errorf("%s: count %d overcount %d, true count %d", e.Prefix, e.Refused, e.Overcount, tr)
				}
			}
			if sum != int64(tc.events) {
				t.Errorf("counts sum to %d, want %d (the number of events)", sum, tc.events)
			}
			for p, n := range truth {
				if n > int64(tc.events/tc.max) && !listed[p] {
					t.Errorf("%s refused %d times (> %d/%d) is not listed", p, n, tc.events, tc.max)
				}
			}
			for i := 1; i < len(all); i++ {
				if all[i].Refused > all[i-1].Refused {
					t.Fatalf("not sorted: %d after %d", all[i].Refused, all[i-1].Refused)
				}
			}
		})
	}
}
