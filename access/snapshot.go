package access

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// A snapshot is a table compiled once and stored, so that a program that
// makes one decision per run (tcpd, tcpdmatch) need not compile a large
// table at every start. It is used in place: LoadSnapshot keeps the bytes
// it is given (package hostsfile maps the file read-only), checks the
// header, decodes the few things every decision needs (the non-indexed
// rules' positions, warnings, /file paths) and nothing else. A decision
// binary-searches the key arrays where they lie and makes Rule values
// only for the rules it reaches.
//
// A snapshot says nothing about whether it is current: the caller checks
// that against the files (package hostsfile records their identities and
// hashes).
//
// Layout (integers little-endian):
//
//	header   magic[16] checksum[4] dataStart[4] total[4] blockShift[4]
//	prelude  name, open error, rule count, section table, truncation,
//	         events, /file paths, generic positions, IPv4 and IPv6 prefix
//	         lengths, block count, one checksum per data block
//	data     rules[20 each] exact,prefix,suffix[24 each] v4[12 each]
//	         v6[24 each] lists-directory[8 each] lists[4 each] blob
//
// Integrity: the header checksum (see Checksum) covers everything from
// dataStart on to the end of the prelude, including the block checksums,
// and is checked at load. The data region is cut into blocks of
// 1<<blockShift bytes, each with its own checksum, checked the first time
// a decision reads anything in the block. Checking the whole file at load
// would cost more than everything else a decision does (CRC-32C ran at
// about 5 GB/s here: 1.2 ms for 6 MB); the
// block scheme is as safe for every decision, because what a decision
// concludes depends only on the bytes it reads: a binary search's outcome
// is a function of the records it probes, and every probed record, key
// string and rule it reads is checked first. A block that fails marks the
// snapshot damaged; the decision is then made again on the fallback table
// (compiled from source), or, without one, denies access with a warning
// (see SnapshotOptions).
//
// Damage is what the checks detect: a snapshot crafted to have valid
// checksums but wrong contents is outside their reach, which is why package
// hostsfile uses only snapshots owned by the process's user in a directory
// only that user can write. Even then, every read is bounds-checked and
// every position validated, so such data cannot make a decision panic or
// loop.

const (
	// snapMagic names the format and the meaning of its index keys: v4
	// since mask lengths are read as glibc's atoi reads them (a v3
	// snapshot holds no key for "10.0.0.0/4294967304", which is /8).
	snapMagic     = "tcpwrap-snap-v4\n"
	snapHeaderLen = 32
	// snapBlockShift: 1 KiB blocks. A decision in a 100,000-rule
	// DenyHosts table reads about 15 blocks (0.2 µs each to check: the
	// binary search's probes, the rule and its text); the block checksums of
	// its 6 MB snapshot take 24 KB, checked at load in about 5 µs. (2 KiB
	// and 4 KiB blocks measured the same within the noise.)
	snapBlockShift = 10
	ruleRecLen     = 20
	strRecLen      = 24
	strInline      = 16 // key strings up to this long are stored in their record
	v4RecLen       = 12
	v6RecLen       = 24
	dirRecLen      = 8
)

// ErrBadSnapshot is returned for data that is not a snapshot of this
// version, is damaged, or was made for another table name.
var ErrBadSnapshot = errors.New("access: bad table snapshot")

// SnapshotOptions are settings for LoadSnapshot.
type SnapshotOptions struct {
	// ParseOptions are used to compile the rules (and read their /file
	// lists) as decisions reach them.
	ParseOptions
	// Fallback, when not nil, returns the table compiled from its source
	// (nil if the file is now missing). It is called at most once, the
	// first time a decision finds a damaged block, and that decision and
	// every later one is made on its result. It must not return a
	// snapshot table. When Fallback is nil, a decision that finds damage
	// warns and denies access (ReasonTableError), whichever table it is.
	Fallback func() *Table
	// Release, when not nil, is called by the table's Close, once: the
	// data is no longer read after it (package hostsfile unmaps it).
	Release func()
}

// snapshot is a table's in-place data.
type snapshot struct {
	raw     []byte // the whole snapshot, as given to LoadSnapshot
	data    []byte // its data region
	crcs    []byte // one checksum per block of data
	shift   uint
	checked []atomic.Uint32 // one bit per block: its checksum was found right
	damaged atomic.Bool
	n       int // rules
	name    string

	rules, exact, prefix, suffix, v4, v6, dir, lists, blob section

	mu   sync.Mutex
	made map[int32]*Rule // the rules materialised so far

	fallback func() *Table
	once     sync.Once
	fb       *Table

	release     func()
	releaseOnce sync.Once
}

// section is a part of the data region: n records (bytes for the blob,
// positions for the lists) from byte offset off.
type section struct{ off, n int }

var sectionRecLen = [...]int{ruleRecLen, strRecLen, strRecLen, strRecLen, v4RecLen, v6RecLen, dirRecLen, 4, 1}

func (s *snapshot) sections() [9]*section {
	return [9]*section{&s.rules, &s.exact, &s.prefix, &s.suffix, &s.v4, &s.v6, &s.dir, &s.lists, &s.blob}
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

// span returns data[off:off+n] once it is known to lie in the data region
// and every block it touches is intact. Otherwise it marks the snapshot
// damaged and returns false.
func (s *snapshot) span(off, n int) ([]byte, bool) {
	if off < 0 || n < 0 || off > len(s.data) || n > len(s.data)-off {
		s.damaged.Store(true)
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	for b := off >> s.shift; b <= (off+n-1)>>s.shift; b++ {
		w, bit := &s.checked[b>>5], uint32(1)<<(b&31)
		if w.Load()&bit != 0 {
			continue
		}
		lo := b << s.shift
		hi := min(lo+1<<s.shift, len(s.data))
		if Checksum(s.data[lo:hi]) != le32(s.crcs[4*b:]) {
			s.damaged.Store(true)
			return nil, false
		}
		w.Or(bit)
	}
	return s.data[off : off+n], true
}

// record returns record i of a section.
func (s *snapshot) record(sec section, recLen, i int) ([]byte, bool) {
	if i < 0 || i >= sec.n {
		s.damaged.Store(true)
		return nil, false
	}
	return s.span(sec.off+i*recLen, recLen)
}

// blobBytes returns n bytes of the blob from off.
func (s *snapshot) blobBytes(off, n uint32) ([]byte, bool) {
	if uint64(off)+uint64(n) > uint64(s.blob.n) {
		s.damaged.Store(true)
		return nil, false
	}
	return s.span(s.blob.off+int(off), int(n))
}

// strKey returns the key of a string record.
func (s *snapshot) strKey(rec []byte) ([]byte, bool) {
	n := le32(rec[4:])
	if n <= strInline {
		return rec[8 : 8+n], true
	}
	return s.blobBytes(le32(rec[8:]), n)
}

// rule returns the rule at pos, materialising it on first use; nil when
// the snapshot is damaged there.
func (s *snapshot) rule(pos int32) *Rule {
	if pos < 0 || int(pos) >= s.n {
		s.damaged.Store(true)
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.made[pos]; r != nil {
		return r
	}
	rec, ok := s.record(s.rules, ruleRecLen, int(pos))
	if !ok {
		return nil
	}
	text, ok := s.blobBytes(le32(rec[4:]), le32(rec[8:]))
	if !ok {
		return nil
	}
	line := le32(rec)
	r := &Rule{File: s.name, Text: string(text), Line: int(line &^ (1 << 31)), pos: pos}
	if line&(1<<31) != 0 {
		opt, ok := s.blobBytes(le32(rec[12:]), le32(rec[16:]))
		if !ok {
			return nil
		}
		r.HasOptions, r.Options = true, string(opt)
	}
	if s.made == nil {
		s.made = map[int32]*Rule{}
	}
	s.made[pos] = r
	return r
}

// list returns the positions a key's value stands for (see index), nil
// when the snapshot is damaged there.
func (s *snapshot) list(v int32) []int32 {
	if v >= 0 {
		if int(v) >= s.n {
			s.damaged.Store(true)
			return nil
		}
		return []int32{v}
	}
	rec, ok := s.record(s.dir, dirRecLen, -int(v)-1)
	if !ok {
		return nil
	}
	off, n := le32(rec), le32(rec[4:])
	if uint64(off)+uint64(n) > uint64(s.lists.n) {
		s.damaged.Store(true)
		return nil
	}
	b, ok := s.span(s.lists.off+4*int(off), 4*int(n))
	if !ok {
		return nil
	}
	l := make([]int32, n)
	for i := range l {
		p := le32(b[4*i:])
		if p >= uint32(s.n) || (i > 0 && int32(p) <= l[i-1]) {
			s.damaged.Store(true)
			return nil
		}
		l[i] = int32(p)
	}
	return l
}

// replacement returns the table a damaged snapshot's decisions are made
// on, and false when there is none.
func (s *snapshot) replacement() (*Table, bool) {
	if s.fallback == nil {
		return nil, false
	}
	s.once.Do(func() { s.fb = s.fallback() })
	if s.fb != nil && s.fb.snap != nil {
		return nil, false // a snapshot again: not a way out
	}
	return s.fb, true
}

// compareKey compares a key as stored with a string, without allocating.
func compareKey(b []byte, k string) int {
	switch {
	case string(b) == k:
		return 0
	case string(b) < k:
		return -1
	}
	return 1
}

// search binary-searches the sorted records of sec (recLen bytes each)
// for the one that compare (record against key; ok false when the
// record is damaged) finds equal, and returns the value stored at offset
// valueAt in it.
func (s *snapshot) search(sec section, recLen, valueAt int, compare func(rec []byte) (int, bool)) (int32, bool) {
	lo, hi := 0, sec.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		rec, ok := s.record(sec, recLen, m)
		if !ok {
			return 0, false
		}
		c, ok := compare(rec)
		switch {
		case !ok:
			return 0, false
		case c < 0:
			lo = m + 1
		case c > 0:
			hi = m
		default:
			return int32(le32(rec[valueAt:])), true
		}
	}
	return 0, false
}

// snapStrIndex is a string key array in place, sorted bytewise.
type snapStrIndex struct {
	s   *snapshot
	sec section
}

func (x *snapStrIndex) size() int { return x.sec.n }

func (x *snapStrIndex) get(k string) (int32, bool) {
	return x.s.search(x.sec, strRecLen, 0, func(rec []byte) (int, bool) {
		key, ok := x.s.strKey(rec)
		return compareKey(key, k), ok
	})
}

// snapV4Index is the net/mask key array in place, sorted as cmpV4 sorts.
type snapV4Index struct {
	s   *snapshot
	sec section
}

func (x *snapV4Index) size() int { return x.sec.n }

func (x *snapV4Index) get(k v4key) (int32, bool) {
	return x.s.search(x.sec, v4RecLen, 8, func(rec []byte) (int, bool) {
		if c := cmp.Compare(le32(rec[4:]), uint32(k.len)); c != 0 {
			return c, true
		}
		return cmp.Compare(le32(rec), k.net), true
	})
}

// snapV6Index is the [net]/len key array in place, sorted by length, then
// address bytes.
type snapV6Index struct {
	s   *snapshot
	sec section
}

func (x *snapV6Index) size() int { return x.sec.n }

func (x *snapV6Index) get(k v6key) (int32, bool) {
	a := k.net.As16()
	return x.s.search(x.sec, v6RecLen, 20, func(rec []byte) (int, bool) {
		if c := cmp.Compare(le32(rec[16:]), uint32(k.len)); c != 0 {
			return c, true
		}
		return compareKey(rec[:16], string(a[:])), true
	})
}

type snapWriter struct{ b []byte }

func (w *snapWriter) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *snapWriter) str(s string) { w.u32(uint32(len(s))); w.b = append(w.b, s...) }
func (w *snapWriter) i32s(v []int32) {
	w.u32(uint32(len(v)))
	for _, x := range v {
		w.u32(uint32(x))
	}
}

// AppendSnapshot appends a snapshot of the table to dst. A table loaded
// from a snapshot appends the bytes it was loaded from.
func (t *Table) AppendSnapshot(dst []byte) []byte {
	if t.snap != nil {
		return append(dst, t.snap.raw...)
	}
	ix := t.index
	if ix == nil {
		// No index (WithoutIndex): every rule is generic.
		ik := &indexKeys{generic: make([]int32, len(t.Rules))}
		for i := range ik.generic {
			ik.generic[i] = int32(i)
		}
		ix = buildIndex(len(t.Rules), ik)
	}
	var blob []byte
	addBlob := func(s string) uint32 {
		off := uint32(len(blob))
		blob = append(blob, s...)
		return off
	}
	// The rules: text (with its newline) in the blob; the options, which
	// are the end of that, where they lie in it.
	rules := make([]byte, 0, len(t.Rules)*ruleRecLen)
	textAt := make([]uint32, len(t.Rules))
	for i, r := range t.Rules {
		off := addBlob(r.Text)
		blob = append(blob, '\n')
		textAt[i] = off
		line := uint32(r.Line) &^ (1 << 31)
		var optOff, optLen uint32
		if r.HasOptions {
			line |= 1 << 31
			full := blob[off:]
			optLen = uint32(len(r.Options))
			if len(r.Options) <= len(full) && string(full[len(full)-len(r.Options):]) == r.Options {
				optOff = uint32(len(blob)) - optLen
			} else {
				optOff = addBlob(r.Options)
			}
		}
		for _, v := range []uint32{line, off, uint32(len(r.Text)), optOff, optLen} {
			rules = binary.LittleEndian.AppendUint32(rules, v)
		}
	}
	firstRule := func(v int32) int32 {
		if v >= 0 {
			return v
		}
		return ix.multi[-v-1][0]
	}
	var strSecs [3][]byte
	for j, m := range []keyIndex[string]{ix.exact, ix.prefix, ix.suffix} {
		keys, vals := sortedEntries(m.(mapIndex[string]), strings.Compare)
		b := make([]byte, 0, len(keys)*strRecLen)
		for i, k := range keys {
			b = binary.LittleEndian.AppendUint32(b, uint32(vals[i]))
			b = binary.LittleEndian.AppendUint32(b, uint32(len(k)))
			var inline [strInline]byte
			if len(k) <= strInline {
				copy(inline[:], k)
			} else {
				// Most keys are words of their rule's text.
				p := firstRule(vals[i])
				var off uint32
				if at := strings.Index(t.Rules[p].Text, k); at >= 0 {
					off = textAt[p] + uint32(at)
				} else {
					off = addBlob(k)
				}
				binary.LittleEndian.PutUint32(inline[:], off)
			}
			b = append(b, inline[:]...)
		}
		strSecs[j] = b
	}
	keys4, vals4 := sortedEntries(ix.v4.(mapIndex[v4key]), cmpV4)
	v4 := make([]byte, 0, len(keys4)*v4RecLen)
	for i, k := range keys4 {
		for _, v := range []uint32{k.net, uint32(k.len), uint32(vals4[i])} {
			v4 = binary.LittleEndian.AppendUint32(v4, v)
		}
	}
	keys6, vals6 := sortedEntries(ix.v6.(mapIndex[v6key]), cmpV6Bytes)
	v6 := make([]byte, 0, len(keys6)*v6RecLen)
	for i, k := range keys6 {
		a := k.net.As16()
		v6 = append(v6, a[:]...)
		v6 = binary.LittleEndian.AppendUint32(v6, uint32(k.len))
		v6 = binary.LittleEndian.AppendUint32(v6, uint32(vals6[i]))
	}
	var dir, lists []byte
	nlist := 0
	for _, l := range ix.multi {
		dir = binary.LittleEndian.AppendUint32(dir, uint32(nlist))
		dir = binary.LittleEndian.AppendUint32(dir, uint32(len(l)))
		for _, p := range l {
			lists = binary.LittleEndian.AppendUint32(lists, uint32(p))
		}
		nlist += len(l)
	}

	// The data region and the section table.
	parts := [9][]byte{rules, strSecs[0], strSecs[1], strSecs[2], v4, v6, dir, lists, blob}
	var data []byte
	var secs [9]section
	for i, p := range parts {
		secs[i] = section{off: len(data), n: len(p) / sectionRecLen[i]}
		data = append(data, p...)
	}

	w := &snapWriter{}
	w.str(t.Name)
	w.str(t.OpenErr)
	w.u32(uint32(len(t.Rules)))
	for _, s := range secs {
		w.u32(uint32(s.off))
		w.u32(uint32(s.n))
	}
	if t.trunc != nil {
		w.u32(1)
		w.u32(uint32(t.trunc.pos))
		w.u32(uint32(t.trunc.line))
		w.str(t.trunc.text)
	} else {
		w.u32(0)
	}
	w.u32(uint32(len(t.events)))
	for _, e := range t.events {
		w.u32(uint32(e.pos))
		w.u32(uint32(e.line))
		w.str(e.text)
	}
	w.u32(uint32(len(t.files)))
	for _, f := range t.files {
		w.str(f)
	}
	w.i32s(ix.generic)
	for _, lens := range [][]uint8{ix.v4lens, ix.v6lens} {
		w.u32(uint32(len(lens)))
		w.b = append(w.b, lens...)
	}
	bs := 1 << snapBlockShift
	nblocks := (len(data) + bs - 1) / bs
	w.u32(uint32(nblocks))
	for b := range nblocks {
		w.u32(Checksum(data[b*bs : min((b+1)*bs, len(data))]))
	}

	start := len(dst)
	dst = append(dst, snapMagic...)
	dst = append(dst, make([]byte, snapHeaderLen-len(snapMagic))...)
	dst = append(dst, w.b...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[20:], uint32(len(h)))
	binary.LittleEndian.PutUint32(h[24:], uint32(len(h)+len(data)))
	binary.LittleEndian.PutUint32(h[28:], snapBlockShift)
	binary.LittleEndian.PutUint32(h[16:], Checksum(h[20:]))
	return append(dst, data...)
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

// cmpV6Bytes orders IPv6 keys as snapV6Index searches them: by length,
// then by the 16 address bytes.
func cmpV6Bytes(a, b v6key) int {
	if c := cmp.Compare(a.len, b.len); c != 0 {
		return c
	}
	x, y := a.net.As16(), b.net.As16()
	return strings.Compare(string(x[:]), string(y[:]))
}

// snapReader reads the prelude, which the header checksum has been checked
// over; strings are copied out of it.
type snapReader struct {
	b   []byte
	off int
	bad bool
}

func (r *snapReader) u32() uint32 {
	if r.off+4 > len(r.b) {
		r.bad = true
		return 0
	}
	v := le32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *snapReader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b)-r.off {
		r.bad = true
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

func (r *snapReader) str() string { return string(r.bytes(int(r.u32()))) }

// count reads a length and checks that at least min bytes per element
// remain, so damaged data cannot make the loader allocate without bound.
func (r *snapReader) count(min int) int {
	n := int(r.u32())
	if r.bad || n*min > len(r.b)-r.off {
		r.bad = true
		return 0
	}
	return n
}

// LoadSnapshot makes a table of AppendSnapshot's output, in place: the
// table keeps data (which must not change afterwards, and must stay
// readable as long as the table or anything holding it is in use) and
// reads it as decisions need it. Rules, texts and warnings it hands out
// are copies, so a Decision outlives data. name must be the name the table
// was compiled under. Data that is not a snapshot, or whose header or
// structure is damaged, gives ErrBadSnapshot; damage further in is found
// by the decision that reads it (see SnapshotOptions.Fallback).
//
// A table from a snapshot has no Rules field: use NumRules, AllRules and
// Items.
//
// LoadSnapshot has no fallback: a decision that finds damage denies
// access. SnapshotOptions.Load can give one.
func LoadSnapshot(data []byte, name string, opts ParseOptions) (*Table, error) {
	return SnapshotOptions{ParseOptions: opts}.Load(data, name)
}

// Load is LoadSnapshot with these options.
func (opts SnapshotOptions) Load(data []byte, name string) (*Table, error) {
	if len(data) < snapHeaderLen || string(data[:len(snapMagic)]) != snapMagic {
		return nil, ErrBadSnapshot
	}
	start, total, shift := le32(data[20:]), le32(data[24:]), le32(data[28:])
	if uint64(total) != uint64(len(data)) || start < snapHeaderLen || start > total || shift < 6 || shift > 20 {
		return nil, ErrBadSnapshot
	}
	if Checksum(data[20:start]) != le32(data[16:]) {
		return nil, ErrBadSnapshot
	}
	s := &snapshot{raw: data, data: data[start:], shift: uint(shift), fallback: opts.Fallback, release: opts.Release}
	r := &snapReader{b: data[:start], off: snapHeaderLen}
	t := &Table{Name: r.str(), OpenErr: r.str(), snap: s}
	if r.bad || t.Name != name {
		return nil, ErrBadSnapshot
	}
	s.name = t.Name
	s.n = int(r.u32())
	for i, sec := range s.sections() {
		sec.off, sec.n = int(r.u32()), int(r.u32())
		if uint64(sec.off)+uint64(sec.n)*uint64(sectionRecLen[i]) > uint64(len(s.data)) {
			return nil, ErrBadSnapshot
		}
	}
	if s.rules.n != s.n {
		return nil, ErrBadSnapshot
	}
	if r.u32() == 1 {
		t.trunc = &event{pos: int(r.u32()), line: int(r.u32()), text: r.str()}
		if t.trunc.pos > s.n {
			return nil, ErrBadSnapshot
		}
	}
	ne := r.count(12)
	t.events = make([]event, ne)
	for i := range t.events {
		e := event{pos: int(r.u32()), line: int(r.u32()), text: r.str()}
		if e.pos > s.n || (i > 0 && e.pos < t.events[i-1].pos) {
			return nil, ErrBadSnapshot
		}
		t.events[i] = e
	}
	nf := r.count(4)
	for range nf {
		t.files = append(t.files, r.str())
	}
	ix := &index{snap: s}
	ng := r.count(4)
	ix.generic = make([]int32, ng)
	for i := range ix.generic {
		p := r.u32()
		if p >= uint32(s.n) || (i > 0 && int32(p) <= ix.generic[i-1]) {
			return nil, ErrBadSnapshot
		}
		ix.generic[i] = int32(p)
	}
	for j, top := range []uint8{32, 128} {
		lens := r.bytes(r.count(1))
		for i, l := range lens {
			if l > top || (i > 0 && l <= lens[i-1]) {
				return nil, ErrBadSnapshot
			}
		}
		if j == 0 {
			ix.v4lens = slices.Clone(lens)
		} else {
			ix.v6lens = slices.Clone(lens)
		}
	}
	nblocks := int(r.u32())
	if nblocks != (len(s.data)+1<<shift-1)>>shift {
		return nil, ErrBadSnapshot
	}
	s.crcs = r.bytes(4 * nblocks)
	if r.bad || r.off != len(r.b) {
		return nil, ErrBadSnapshot
	}
	s.checked = make([]atomic.Uint32, (nblocks+31)/32)
	ix.exact = &snapStrIndex{s, s.exact}
	ix.prefix = &snapStrIndex{s, s.prefix}
	ix.suffix = &snapStrIndex{s, s.suffix}
	ix.v4 = &snapV4Index{s, s.v4}
	ix.v6 = &snapV6Index{s, s.v6}
	t.index = ix
	// A decision compiles one rule or a few: no slabs to carve them from.
	t.lazy = &lazyCompiler{c: &compiler{fsys: opts.Files, zones: opts.Zones, exactSlabs: true}}
	return t, nil
}

// Verify reads every block of a table loaded from a snapshot and reports
// whether all are intact (true for a table compiled from source). A
// decision checks only the blocks it reads; Verify is for tools and tests
// that want to know about the rest.
func (t *Table) Verify() bool {
	s := t.snap
	if s == nil {
		return true
	}
	_, ok := s.span(0, len(s.data))
	return ok
}

// Close ends the use of a table loaded from a snapshot: it calls the
// Release function it was loaded with, after which the table must not be
// used. Rules and decisions already handed out stay valid (they hold
// copies). Close does nothing for a table compiled from source, nor when
// called again. A program that makes one decision and exits need not call
// it.
func (t *Table) Close() {
	if t == nil {
		return
	}
	if s := t.snap; s != nil && s.release != nil {
		s.releaseOnce.Do(s.release)
	}
}
