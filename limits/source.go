package limits

import (
	"encoding/binary"
	"net/netip"
)

// key identifies a source: the client address masked to the configured
// prefix, as 128 bits, with the prefix length. IPv4 sources are kept in
// their IPv4-mapped form with bits = v4Flag|length; an IPv6 address never
// yields that form, because mapped addresses are unmapped first.
type key struct {
	hi, lo uint64
	bits   uint16
}

const (
	v4Flag      = 0x100
	unknownBits = 0xffff // the invalid netip.Addr: one shared source
)

// keyOf groups addr into its source. The invalid Addr (a connection
// without an IP address) is one source, so that such clients are limited
// together rather than not at all.
func (p *params) keyOf(addr netip.Addr) key {
	if !addr.IsValid() {
		return key{bits: unknownBits}
	}
	addr = addr.Unmap()
	if addr.Is4() {
		b := addr.As4()
		v := uint64(binary.BigEndian.Uint32(b[:]))
		v &= ^uint64(0) << (32 - p.v4bits) & 0xffffffff
		return key{lo: 0xffff<<32 | v, bits: v4Flag | uint16(p.v4bits)}
	}
	b := addr.As16() // drops any zone
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	if n := p.v6bits; n <= 64 {
		hi &= ^uint64(0) << (64 - n)
		lo = 0
	} else {
		lo &= ^uint64(0) << (128 - n)
	}
	return key{hi: hi, lo: lo, bits: uint16(p.v6bits)}
}

// prefix is the source as a netip.Prefix; the invalid Prefix for the
// shared source of connections without an IP address.
func (k key) prefix() netip.Prefix {
	switch {
	case k.bits == unknownBits:
		return netip.Prefix{}
	case k.bits&v4Flag != 0:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(k.lo))
		return netip.PrefixFrom(netip.AddrFrom4(b), int(k.bits&0xff))
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	return netip.PrefixFrom(netip.AddrFrom16(b), int(k.bits))
}

// hash spreads keys over the shards. The seed is random per Limiter, so a
// client cannot choose addresses that all land in one shard.
func (k key) hash(seed uint64) uint64 {
	h := mix(k.hi ^ seed)
	return mix(h ^ k.lo ^ uint64(k.bits)<<48)
}

// mix is the 64-bit finalizer of MurmurHash3: a bijection that spreads
// every input bit over the output.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
