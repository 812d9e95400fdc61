package access

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"strings"
)

// A snapshot is a table compiled once and stored, so that a program that
// makes one decision per run (tcpd, tcpdmatch) need not compile a large
// table at every start: LoadSnapshot rebuilds the rules and the index from
// it, and the rules a decision reaches are compiled when it reaches them.
// A snapshot says nothing about whether it is current: the caller checks
// that against the files (package hostsfile keys snapshots by a hash of
// the table's text and records the hashes of the /file lists).

var snapshotMagic = []byte("tcpwrap-snapshot-1\n")

// ErrBadSnapshot is returned for data that is not a snapshot of this
// version, or is damaged.
var ErrBadSnapshot = errors.New("access: bad table snapshot")

type snapWriter struct{ b []byte }

func (w *snapWriter) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *snapWriter) str(s string) { w.u32(uint32(len(s))); w.b = append(w.b, s...) }
func (w *snapWriter) i32s(v []int32) {
	w.u32(uint32(len(v)))
	for _, x := range v {
		w.u32(uint32(x))
	}
}

// AppendSnapshot appends a snapshot of the table to dst.
func (t *Table) AppendSnapshot(dst []byte) []byte {
	w := &snapWriter{b: append(dst, snapshotMagic...)}
	w.str(t.Name)
	w.str(t.OpenErr)
	w.u32(uint32(len(t.Rules)))
	for _, r := range t.Rules {
		w.u32(uint32(r.Line))
		w.str(r.Text)
		if r.HasOptions {
			w.u32(1)
			w.str(r.Options)
		} else {
			w.u32(0)
		}
	}
	w.u32(uint32(len(t.events)))
	for _, e := range t.events {
		w.u32(uint32(e.pos))
		w.u32(uint32(e.line))
		w.str(e.text)
	}
	if t.trunc != nil {
		w.u32(1)
		w.u32(uint32(t.trunc.pos))
		w.u32(uint32(t.trunc.line))
	} else {
		w.u32(0)
	}
	w.u32(uint32(len(t.files)))
	for _, f := range t.files {
		w.str(f)
	}
	ix := t.index
	w.i32s(ix.generic)
	for _, m := range []keyIndex[string]{ix.exact, ix.prefix, ix.suffix} {
		keys, vals := sortedEntries(m.(mapIndex[string]), strings.Compare)
		w.u32(uint32(len(keys)))
		for i, k := range keys {
			w.str(k)
			w.u32(uint32(vals[i]))
		}
	}
	keys4, vals4 := sortedEntries(ix.v4.(mapIndex[v4key]), cmpV4)
	w.u32(uint32(len(keys4)))
	for i, k := range keys4 {
		w.u32(k.net)
		w.u32(uint32(k.len))
		w.u32(uint32(vals4[i]))
	}
	keys6, vals6 := sortedEntries(ix.v6.(mapIndex[v6key]), cmpV6)
	w.u32(uint32(len(keys6)))
	for i, k := range keys6 {
		a := k.net.As16()
		w.b = append(w.b, a[:]...)
		w.u32(uint32(k.len))
		w.u32(uint32(vals6[i]))
	}
	w.u32(uint32(len(ix.multi)))
	for _, l := range ix.multi {
		w.i32s(l)
	}
	return w.b
}

func sortedEntries[K comparable](m mapIndex[K], c func(a, b K) int) ([]K, []int32) {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, c)
	vals := make([]int32, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	return keys, vals
}

func cmpV4(a, b v4key) int {
	if c := cmp.Compare(a.len, b.len); c != 0 {
		return c
	}
	return cmp.Compare(a.net, b.net)
}

func cmpV6(a, b v6key) int {
	if c := cmp.Compare(a.len, b.len); c != 0 {
		return c
	}
	return a.net.Compare(b.net)
}

type snapReader struct {
	s   string // the whole snapshot: strings read are substrings of it
	off int
	bad bool
}

func (r *snapReader) u32() uint32 {
	if r.off+4 > len(r.s) {
		r.bad = true
		return 0
	}
	v := uint32(r.s[r.off]) | uint32(r.s[r.off+1])<<8 | uint32(r.s[r.off+2])<<16 | uint32(r.s[r.off+3])<<24
	r.off += 4
	return v
}

func (r *snapReader) str() string {
	n := int(r.u32())
	if r.bad || n > len(r.s)-r.off {
		r.bad = true
		return ""
	}
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

// count reads a length and checks that at least min bytes per element
// remain, so damaged data cannot make the loader allocate without bound.
func (r *snapReader) count(min int) int {
	n := int(r.u32())
	if r.bad || n < 0 || n*min > len(r.s)-r.off {
		r.bad = true
		return 0
	}
	return n
}

func (r *snapReader) i32s() []int32 {
	n := r.count(4)
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(r.u32())
	}
	return v
}

// LoadSnapshot rebuilds a table from AppendSnapshot's output. name must be
// the name the table was compiled under; opts are used to compile rules
// (and read their /file lists) as decisions reach them. Damaged data gives
// ErrBadSnapshot, never a table.
func LoadSnapshot(data []byte, name string, opts ParseOptions) (*Table, error) {
	if !bytes.HasPrefix(data, snapshotMagic) {
		return nil, ErrBadSnapshot
	}
	r := &snapReader{s: string(data), off: len(snapshotMagic)}
	t := &Table{Name: r.str(), OpenErr: r.str()}
	if t.Name != name {
		return nil, ErrBadSnapshot
	}
	n := r.count(16)
	slab := make([]Rule, n)
	t.Rules = make([]*Rule, n)
	for i := range slab {
		rule := &slab[i]
		rule.File, rule.pos = name, int32(i)
		rule.Line = int(r.u32())
		rule.Text = r.str()
		if r.u32() == 1 {
			rule.HasOptions, rule.Options = true, r.str()
		}
		t.Rules[i] = rule
	}
	ne := r.count(12)
	for range ne {
		t.events = append(t.events, event{pos: int(r.u32()), line: int(r.u32()), text: r.str()})
	}
	if r.u32() == 1 {
		t.trunc = &event{pos: int(r.u32()), line: int(r.u32()), text: msgMissingNewline}
	}
	nf := r.count(4)
	for range nf {
		t.files = append(t.files, r.str())
	}
	ix := &index{generic: r.i32s(), positions: make([]int32, n)}
	for i := range ix.positions {
		ix.positions[i] = int32(i)
	}
	var strIdx [3]*sortedIndex[string]
	for j := range strIdx {
		m := r.count(8)
		s := &sortedIndex[string]{keys: make([]string, m), vals: make([]int32, m), cmp: strings.Compare}
		for i := range m {
			s.keys[i] = r.str()
			s.vals[i] = int32(r.u32())
		}
		strIdx[j] = s
	}
	ix.exact, ix.prefix, ix.suffix = strIdx[0], strIdx[1], strIdx[2]
	m4 := r.count(12)
	s4 := &sortedIndex[v4key]{keys: make([]v4key, m4), vals: make([]int32, m4), cmp: cmpV4}
	lens4 := map[uint8]bool{}
	for i := range m4 {
		s4.keys[i] = v4key{net: r.u32(), len: uint8(r.u32())}
		s4.vals[i] = int32(r.u32())
		lens4[s4.keys[i].len] = true
	}
	m6 := r.count(24)
	s6 := &sortedIndex[v6key]{keys: make([]v6key, m6), vals: make([]int32, m6), cmp: cmpV6}
	lens6 := map[uint8]bool{}
	for i := range m6 {
		if r.off+16 > len(r.s) {
			r.bad = true
			break
		}
		var a [16]byte
		copy(a[:], r.s[r.off:r.off+16])
		r.off += 16
		s6.keys[i] = v6key{net: netip.AddrFrom16(a), len: uint8(r.u32())}
		s6.vals[i] = int32(r.u32())
		lens6[s6.keys[i].len] = true
	}
	ix.v4, ix.v6 = s4, s6
	for l := range lens4 {
		ix.v4lens = append(ix.v4lens, l)
	}
	for l := range lens6 {
		ix.v6lens = append(ix.v6lens, l)
	}
	slices.Sort(ix.v4lens)
	slices.Sort(ix.v6lens)
	nm := r.count(4)
	for range nm {
		ix.multi = append(ix.multi, r.i32s())
	}
	if r.bad || r.off != len(r.s) || !ix.valid(n) {
		return nil, ErrBadSnapshot
	}
	t.index = ix
	t.lazy = &lazyCompiler{c: &compiler{fsys: opts.Files, zones: opts.Zones}}
	return t, nil
}

// valid checks that every position the index names is a rule, and that
// lists are sorted, so a damaged snapshot cannot make a scan go wrong.
func (ix *index) valid(n int) bool {
	okList := func(l []int32) bool {
		for i, p := range l {
			if p < 0 || int(p) >= n || (i > 0 && l[i-1] >= p) {
				return false
			}
		}
		return true
	}
	if !okList(ix.generic) {
		return false
	}
	for _, l := range ix.multi {
		if !okList(l) {
			return false
		}
	}
	okVal := func(v int32) bool {
		if v >= 0 {
			return int(v) < n
		}
		return int(-v-1) < len(ix.multi)
	}
	for _, s := range []*sortedIndex[string]{ix.exact.(*sortedIndex[string]), ix.prefix.(*sortedIndex[string]), ix.suffix.(*sortedIndex[string])} {
		if !slices.IsSortedFunc(s.keys, s.cmp) || !allVals(s.vals, okVal) {
			return false
		}
	}
	s4, s6 := ix.v4.(*sortedIndex[v4key]), ix.v6.(*sortedIndex[v6key])
	return slices.IsSortedFunc(s4.keys, s4.cmp) && allVals(s4.vals, okVal) &&
		slices.IsSortedFunc(s6.keys, s6.cmp) && allVals(s6.vals, okVal)
}

func allVals(v []int32, ok func(int32) bool) bool {
	for _, x := range v {
		if !ok(x) {
			return false
		}
	}
	return true
}
