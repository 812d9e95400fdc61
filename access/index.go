package access

import (
	"net/netip"
	"slices"
	"strings"
	"tcpwrap/options"
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
	exact   keyIndex[string] // address text ("10.0.0.1")
	prefix  keyIndex[string] // "10.0." patterns
	suffix  keyIndex[string] // ".0.1" patterns
	v4      keyIndex[v4key]  // net/mask with a prefix mask
	v4lens  []uint8          // the prefix lengths in v4
	v6      keyIndex[v6key]  // [net]/len
	v6lens  []uint8
	// A map value p >= 0 stands for the one rule at position p (the list
	// positions[p:p+1]); a value -k-1 for the list multi[k].
	positions []int32
	multi     [][]int32
	// snap, for a table loaded from a snapshot, holds the key arrays and
	// lists in place (positions and multi are then unused).
	snap *snapshot
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

// keys collects an indexable rule's keys; it is reused from rule to rule.
type keys struct {
	exact, prefix, suffix []string
	v4                    []v4key
	v6                    []v6key
}

func (k *keys) reset() {
	k.exact, k.prefix, k.suffix = k.exact[:0], k.prefix[:0], k.suffix[:0]
	k.v4, k.v6 = k.v4[:0], k.v6[:0]
}

func (k *keys) addHost(p *hostPattern) bool {
	switch p.kind {
	case hostString:
		return k.addString(&p.str, p.addrOnly)
	case hostNetmask:
		if strings.IndexByte(p.str.text, '%') >= 0 {
			// A scoped address: whether it can match depends on the
			// machine's interfaces, so it is not indexed.
			return false
		}
		return k.addNetmask(p.nm)
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

func (k *keys) addString(p *strPattern, addrOnly bool) bool {
	if !addrOnly {
		return false
	}
	switch p.kind {
	case strExact:
		k.exact = append(k.exact, p.text)
	case strPrefix:
		k.prefix = append(k.prefix, p.text)
	case strSuffix:
		k.suffix = append(k.suffix, p.text)
	default:
		return false
	}
	return true
}

func (k *keys) addNetmask(m *netmask) bool {
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
}

// addToken adds the keys of one client-list word without compiling it,
// with the outcome compiling it and calling addHost would have: a word
// that needs a name, a user, a file or a netgroup is not indexable.
func (k *keys) addToken(tok string) bool {
	switch {
	case tok[0] == '@', tok[0] == '/', options.EqualFold(tok, "KNOWN"), options.EqualFold(tok, "LOCAL"):
		return false
	}
	if _, _, ok := splitAt(tok[1:], '@'); ok {
		return false // user@host
	}
	if net, mask, ok := splitAt(tok, '/'); ok {
		if strings.IndexByte(tok, '%') >= 0 {
			return false
		}
		nm := compileNetmask(net, mask)
		return k.addNetmask(&nm)
	}
	if !numericOnly(tok) {
		return false
	}
	str := compileString(tok)
	return k.addString(&str, true)
}

// indexKeys are the keys of every indexable rule of a table, in rule
// order, gathered while the table is read.
type indexKeys struct {
	generic []int32
	exact   []keyAt[string]
	prefix  []keyAt[string]
	suffix  []keyAt[string]
	v4      []keyAt[v4key]
	v6      []keyAt[v6key]
}

type keyAt[K any] struct {
	key K
	pos int32
}

// add records a rule's keys (or, when ok is false, the rule as generic).
func (ik *indexKeys) add(k *keys, ok bool, pos int32) {
	if !ok {
		ik.generic = append(ik.generic, pos)
		return
	}
	for _, s := range k.exact {
		ik.exact = append(ik.exact, keyAt[string]{s, pos})
	}
	for _, s := range k.prefix {
		ik.prefix = append(ik.prefix, keyAt[string]{s, pos})
	}
	for _, s := range k.suffix {
		ik.suffix = append(ik.suffix, keyAt[string]{s, pos})
	}
	for _, v := range k.v4 {
		ik.v4 = append(ik.v4, keyAt[v4key]{v, pos})
	}
	for _, v := range k.v6 {
		ik.v6 = append(ik.v6, keyAt[v6key]{v, pos})
	}
}

// shift adds off to every position (for the second half of a table).
func (ik *indexKeys) shift(off int32) {
	for i := range ik.generic {
		ik.generic[i] += off
	}
	shiftKeys(ik.exact, off)
	shiftKeys(ik.prefix, off)
	shiftKeys(ik.suffix, off)
	shiftKeys(ik.v4, off)
	shiftKeys(ik.v6, off)
}

func shiftKeys[K any](l []keyAt[K], off int32) {
	for i := range l {
		l[i].pos += off
	}
}

// appendKeys joins the keys of a following part.
func (ik *indexKeys) appendKeys(o *indexKeys) {
	ik.generic = append(ik.generic, o.generic...)
	ik.exact = append(ik.exact, o.exact...)
	ik.prefix = append(ik.prefix, o.prefix...)
	ik.suffix = append(ik.suffix, o.suffix...)
	ik.v4 = append(ik.v4, o.v4...)
	ik.v6 = append(ik.v6, o.v6...)
}

// ruleKeys decides whether a compiled rule is indexable and records it.
func (ik *indexKeys) ruleKeys(l *ruleLists, pos int32, k *keys) {
	k.reset()
	ok := len(l.clients.groups) == 1 && sideEffectFree(&l.daemons)
	if ok {
		for i := range l.clients.groups[0] {
			c := &l.clients.groups[0][i]
			if c.user != nil || !k.addHost(&c.host) {
				ok = false
				break
			}
		}
	}
	ik.add(k, ok, pos)
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

func buildIndex(n int, ik *indexKeys) *index {
	exact, prefix, suffix := make(mapIndex[string], len(ik.exact)), mapIndex[string]{}, mapIndex[string]{}
	v4, v6 := mapIndex[v4key]{}, mapIndex[v6key]{}
	ix := &index{
		exact: exact, prefix: prefix, suffix: suffix, v4: v4, v6: v6,
		positions: make([]int32, n),
		generic:   ik.generic,
	}
	for i := range ix.positions {
		ix.positions[i] = int32(i)
	}
	for _, e := range ik.exact {
		addKey(ix, exact, e.key, e.pos)
	}
	for _, e := range ik.prefix {
		addKey(ix, prefix, e.key, e.pos)
	}
	for _, e := range ik.suffix {
		addKey(ix, suffix, e.key, e.pos)
	}
	v4lens := map[uint8]bool{}
	v6lens := map[uint8]bool{}
	for _, e := range ik.v4 {
		addKey(ix, v4, e.key, e.pos)
		v4lens[e.key.len] = true
	}
	for _, e := range ik.v6 {
		addKey(ix, v6, e.key, e.pos)
		v6lens[e.key.len] = true
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

// addKey records that the rule at pos has key k. Rules are added in
// position order, so every list stays sorted; a rule naming the same key
// twice is recorded once.
func addKey[K comparable](ix *index, m mapIndex[K], k K, pos int32) {
	v, ok := m[k]
	switch {
	case !ok:
		m[k] = pos
	case v >= 0:
		if v != pos {
			ix.multi = append(ix.multi, []int32{v, pos})
			m[k] = -int32(len(ix.multi))
		}
	default:
		l := &ix.multi[-v-1]
		if (*l)[len(*l)-1] != pos {
			*l = append(*l, pos)
		}
	}
}

// list returns the positions a map value stands for.
func (ix *index) list(v int32, ok bool) []int32 {
	switch {
	case !ok:
		return nil
	case ix.snap != nil:
		return ix.snap.list(v)
	case v >= 0:
		return ix.positions[v : v+1]
	default:
		return ix.multi[-v-1]
	}
}

func lookup[K comparable](m keyIndex[K], k K) (int32, bool) { return m.get(k) }

// keyIndex maps a key to a map value (see index): a Go map when the table
// was compiled here, sorted arrays in place when it was loaded from a
// snapshot (snapStrIndex, snapV4Index, snapV6Index).
type keyIndex[K comparable] interface {
	get(K) (int32, bool)
	size() int
}

type mapIndex[K comparable] map[K]int32

func (m mapIndex[K]) get(k K) (int32, bool) {
	v, ok := m[k]
	return v, ok
}

func (m mapIndex[K]) size() int { return len(m) }

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
	if ix.exact.size()+ix.prefix.size()+ix.suffix.size()+ix.v4.size()+ix.v6.size() == 0 {
		return out
	}
	addr := f.hostAddr(&f.client)
	s := stripMapped(addr)
	if ix.exact.size() > 0 {
		add(ix.list(lookup(ix.exact, s)))
	}
	if ix.prefix.size() > 0 || ix.suffix.size() > 0 {
		for i := 0; i < len(s); i++ {
			if s[i] != '.' {
				continue
			}
			if ix.prefix.size() > 0 {
				add(ix.list(lookup(ix.prefix, s[:i+1])))
			}
			if i > 0 && ix.suffix.size() > 0 {
				add(ix.list(lookup(ix.suffix, s[i:])))
			}
		}
	}
	if ix.v4.size() > 0 {
		if a, ok := dotQuad(s); ok {
			for _, l := range ix.v4lens {
				m := uint32(0)
				if l > 0 {
					m = ^uint32(0) << (32 - l)
				}
				add(ix.list(lookup(ix.v4, v4key{a & m, l})))
			}
		}
	}
	if ix.v6.size() > 0 && len(s) == len(addr) {
		if a, ok := parseIPv6(addr); ok {
			for _, l := range ix.v6lens {
				add(ix.list(lookup(ix.v6, v6key{maskedV6(a, int(l)), l})))
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
