package access

import (
	"net/netip"
	"slices"
)

// index finds, for a client address, the few rules of a table that can
// possibly match it, so that a decision does not walk 100,000 rules.
//
// A rule is indexed when the result of its client list depends on the
// client address alone and evaluating it (and its daemon list) can cause
// no lookup, warning or other side effect: then skipping it when its keys
// miss changes nothing, not even the order of lookups. Every other rule is
// "generic" and is evaluated for every request, in table order. Candidates
// from all sources are merged by rule position, so first-match order is
// kept exactly.
type index struct {
	generic []int32
	exact   map[string][]int32 // address text ("10.0.0.1")
	prefix  map[string][]int32 // "10.0." patterns
	suffix  map[string][]int32 // ".0.1" patterns
	v4      map[v4key][]int32  // net/mask with a prefix mask
	v4lens  []uint8            // the prefix lengths in v4, longest first
	v6      map[v6key][]int32  // [net]/len
	v6lens  []uint8
}

type v4key struct {
	net uint32
	len uint8
}

type v6key struct {
	net netip.Addr
	len uint8
}

// maxLists bounds the candidate lists one lookup can produce; an address
// has at most 4 prefix and 3 suffix keys, one exact key and 33 (IPv4) or
// 129 (IPv6) prefix lengths, so lists beyond this are merged in a second
// pass (see candidates).
const maxLists = 48

// keys collects an indexable rule's keys; ok is false when the rule must be
// generic.
type keys struct {
	exact, prefix, suffix []string
	v4                    []v4key
	v6                    []v6key
}

func (k *keys) addHost(p *hostPattern) bool {
	switch p.kind {
	case hostString:
		if !p.addrOnly {
			return false
		}
		switch p.str.kind {
		case strExact:
			k.exact = append(k.exact, p.str.text)
		case strPrefix:
			k.prefix = append(k.prefix, p.str.text)
		case strSuffix:
			k.suffix = append(k.suffix, p.str.text)
		default:
			return false
		}
		return true
	case hostNetmask:
		m := &p.nm
		if m.never() {
			return true
		}
		if m.v6ok {
			k.v6 = append(k.v6, v6key{maskedV6(m.net6, m.len6), uint8(m.len6)})
			return true
		}
		if m.net4&^m.m4 != 0 {
			return true // host bits set: never matches
		}
		l, ok := m.contiguous()
		if !ok {
			return false
		}
		k.v4 = append(k.v4, v4key{m.net4, uint8(l)})
		return true
	case hostFile:
		if p.file.openErr != "" {
			return false
		}
		for i := range p.file.words {
			if !k.addHost(&p.file.words[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func maskedV6(a netip.Addr, n int) netip.Addr {
	p, err := a.Prefix(n)
	if err != nil {
		return a
	}
	return p.Addr()
}

// sideEffectFree reports whether evaluating a daemon list can cause no
// lookup (only daemon@host with a host part that needs a name can).
func sideEffectFree(l *list[daemonPattern]) bool {
	for _, g := range l.groups {
		for i := range g {
			h := g[i].host
			if h != nil && h.kind != hostNetmask && !(h.kind == hostString && h.addrOnly) {
				return false
			}
		}
	}
	return true
}

func buildIndex(t *Table) *index {
	ix := &index{
		exact:  map[string][]int32{},
		prefix: map[string][]int32{},
		suffix: map[string][]int32{},
		v4:     map[v4key][]int32{},
		v6:     map[v6key][]int32{},
	}
	v4lens := map[uint8]bool{}
	v6lens := map[uint8]bool{}
	for _, r := range t.Rules {
		pos := int32(r.pos)
		var k keys
		ok := len(r.clients.groups) == 1 && sideEffectFree(&r.daemons)
		if ok {
			for i := range r.clients.groups[0] {
				c := &r.clients.groups[0][i]
				if c.user != nil || !k.addHost(&c.host) {
					ok = false
					break
				}
			}
		}
		if !ok {
			ix.generic = append(ix.generic, pos)
			continue
		}
		for _, s := range k.exact {
			ix.exact[s] = appendPos(ix.exact[s], pos)
		}
		for _, s := range k.prefix {
			ix.prefix[s] = appendPos(ix.prefix[s], pos)
		}
		for _, s := range k.suffix {
			ix.suffix[s] = appendPos(ix.suffix[s], pos)
		}
		for _, key := range k.v4 {
			ix.v4[key] = appendPos(ix.v4[key], pos)
			v4lens[key.len] = true
		}
		for _, key := range k.v6 {
			ix.v6[key] = appendPos(ix.v6[key], pos)
			v6lens[key.len] = true
		}
	}
	for l := range v4lens {
		ix.v4lens = append(ix.v4lens, l)
	}
	for l := range v6lens {
		ix.v6lens = append(ix.v6lens, l)
	}
	slices.Sort(ix.v4lens)
	slices.Sort(ix.v6lens)
	return ix
}

// appendPos adds a rule position once (a rule may name the same key twice).
func appendPos(l []int32, pos int32) []int32 {
	if n := len(l); n > 0 && l[n-1] == pos {
		return l
	}
	return append(l, pos)
}

// candidates returns the sorted position lists whose union holds every rule
// that can match the request.
func (ix *index) candidates(f *Facts, out [][]int32) [][]int32 {
	add := func(l []int32) {
		if len(l) == 0 {
			return
		}
		if len(out) == cap(out) && cap(out) > 0 {
			// Too many lists for the fixed buffer: fold the last two.
			out[len(out)-1] = mergeSorted(out[len(out)-1], l)
			return
		}
		out = append(out, l)
	}
	add(ix.generic)
	if len(ix.exact)+len(ix.prefix)+len(ix.suffix)+len(ix.v4)+len(ix.v6) == 0 {
		return out
	}
	addr := f.hostAddr(&f.client)
	s := stripMapped(addr)
	if len(ix.exact) > 0 {
		add(ix.exact[s])
	}
	if len(ix.prefix) > 0 || len(ix.suffix) > 0 {
		for i := 0; i < len(s); i++ {
			if s[i] != '.' {
				continue
			}
			if len(ix.prefix) > 0 {
				add(ix.prefix[s[:i+1]])
			}
			if i > 0 && len(ix.suffix) > 0 {
				add(ix.suffix[s[i:]])
			}
		}
	}
	if len(ix.v4) > 0 {
		if a, ok := dotQuad(s); ok {
			for _, l := range ix.v4lens {
				m := uint32(0)
				if l > 0 {
					m = ^uint32(0) << (32 - l)
				}
				add(ix.v4[v4key{a & m, l}])
			}
		}
	}
	if len(ix.v6) > 0 && len(s) == len(addr) {
		if a, ok := parseIPv6(addr); ok {
			for _, l := range ix.v6lens {
				add(ix.v6[v6key{maskedV6(a, int(l)), l}])
			}
		}
	}
	return out
}

// nextCandidate returns the smallest position greater than last in any of
// the lists, or -1.
func nextCandidate(lists [][]int32, last int32) int32 {
	best := int32(-1)
	for _, l := range lists {
		// Lists are short except the generic one and DenyHosts-style
		// exact keys; a binary search keeps long ones cheap.
		i, _ := slices.BinarySearch(l, last+1)
		if i < len(l) && (best < 0 || l[i] < best) {
			best = l[i]
		}
	}
	return best
}

func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
