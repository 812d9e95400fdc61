package access_test

import (
	"math/rand/v2"
	"testing"

	"tcpwrap/access"
)

// Every single-bit flip and every appended zero byte changes the checksum
// (over many random blocks of the sizes snapshots use).
func TestChecksumDetectsDamage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 100, 1024} {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			sum := access.Checksum(b)
			if got := access.Checksum(append(b[:n:n], 0)); got == sum {
				t.Errorf("len %d: appending a zero byte leaves the checksum %08x", n, sum)
			}
			for bit := 0; bit < 8*n; bit++ {
				b[bit/8] ^= 1 << (bit % 8)
				if access.Checksum(b) == sum {
					t.Fatalf("len %d: flipping bit %d leaves the checksum %08x", n, bit, sum)
				}
				b[bit/8] ^= 1 << (bit % 8)
			}
		}
	}
}

func BenchmarkChecksum1K(b *testing.B) {
	data := make([]byte, 1024)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		access.Checksum(data)
	}
}
