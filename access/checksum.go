package access

import "encoding/binary"

// Checksum is the 32-bit checksum of snapshots: the header and every
// block of a snapshot, and the cache's file headers.
//
// It is not CRC-32C on purpose. Go's CRC-32C needs tables built on first
// use (measured: 0.15 ms), and programs that start once per connection,
// such as tcpd, would pay that at every start. This is a multiply-xorshift
// hash over 8-byte words (the mixing of SplitMix64), fast and table-free.
// Each step is a bijection of the state, so a change confined to one
// word always changes the state, and the final mix spreads it: damage
// goes unnoticed with probability about 2^-32, as with a CRC, though
// without a CRC's guarantee for short bursts. It guards against damage,
// not against someone who can write the cache (the cache's owner and
// mode checks do that).
func Checksum(b []byte) uint32 {
	h := uint64(len(b))*0x9e3779b97f4a7c15 ^ 0x2545f4914f6cdd1d
	for len(b) >= 8 {
		h = mix(h ^ binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	if len(b) > 0 {
		var last [8]byte
		copy(last[:], b)
		h = mix(h ^ binary.LittleEndian.Uint64(last[:]) ^ uint64(len(b))<<59)
	}
	h = mix(h)
	return uint32(h ^ h>>32)
}

func mix(h uint64) uint64 {
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	return h ^ h>>31
}
