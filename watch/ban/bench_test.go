package ban_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"
)

// The cost of one ban (state and list written and synced) with n bans
// already in force.
func BenchmarkBan(b *testing.B) {
	for _, n := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("inforce=%d", n), func(b *testing.B) {
			s := newSetup(b, nil)
			s.cfg.MaxBans = 1_000_000
			// n bans in force, written as a state file.
			type rec struct {
				Prefix       netip.Prefix `json:"prefix"`
				Since, Until time.Time
				Offences     int `json:"offences"`
			}
			var st struct {
				Version int   `json:"version"`
				Records []rec `json:"records"`
			}
			st.Version = 1
			for i := range n {
				a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
				st.Records = append(st.Records, rec{netip.PrefixFrom(a, 32), t0, t0.Add(time.Hour), 1})
			}
			data, _ := json.Marshal(&st)
			os.MkdirAll(s.dir+"/state", 0o755)
			if err := os.WriteFile(s.state, data, 0o600); err != nil {
				b.Fatal(err)
			}
			l := s.open(b)
			i := 0
			for b.Loop() {
				i++
				if _, _, err := l.Ban(netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)}), "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
