package limits

// index maps sources to entries of a shard: open addressing with linear
// probing and backward-shift deletion, so that the constant turnover of a
// flood leaves no tombstones behind and, once the table has grown to its
// working size, allocates nothing. (A Go map under the same turnover
// slowed down and reallocated from time to time.) The load is kept at
// most one half, so probes stay short.
type index struct {
	slots []slot
	n     int // slots in use
}

// slot is one place in the table: the low 32 bits of the key's hash (its
// home slot is tag & mask) and the entry's index plus one; zero is empty.
type slot struct {
	tag uint32
	ref int32
}

const minIndexSlots = 16

// lookup returns the index of the entry holding k, or -1.
func (x *index) lookup(h uint64, k key, ents []entry) int32 {
	if len(x.slots) == 0 {
		return -1
	}
	mask := uint32(len(x.slots) - 1)
	tag := uint32(h)
	for i := tag & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.ref == 0 {
			return -1
		}
		if s.tag == tag && ents[s.ref-1].key == k {
			return s.ref - 1
		}
	}
}

// insert adds entry e, whose key has hash h and is not in the table.
func (x *index) insert(h uint64, e int32) {
	if 2*(x.n+1) > len(x.slots) {
		x.grow()
	}
	x.put(slot{tag: uint32(h), ref: e + 1})
	x.n++
}

func (x *index) put(s slot) {
	mask := uint32(len(x.slots) - 1)
	i := s.tag & mask
	for x.slots[i].ref != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = s
}

func (x *index) grow() {
	old := x.slots
	x.slots = make([]slot, max(minIndexSlots, 2*len(old)))
	for _, s := range old {
		if s.ref != 0 {
			x.put(s)
		}
	}
}

// remove takes entry e, whose key has hash h, out of the table, and
// moves back the entries after it in its run that may move, so that
// every entry stays reachable from its home slot.
func (x *index) remove(h uint64, e int32) {
	mask := uint32(len(x.slots) - 1)
	i := uint32(h) & mask
	for x.slots[i].ref != e+1 {
		if x.slots[i].ref == 0 {
			panic("limits: removing an entry not in the index")
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		s := x.slots[j]
		if s.ref == 0 {
			break
		}
		// s may fill the hole at i unless its home lies cyclically in
		// (i, j]: then it would sit before its home.
		home := s.tag & mask
		if (j-home)&mask < (j-i)&mask {
			continue
		}
		x.slots[i] = s
		i = j
	}
	x.slots[i] = slot{}
	x.n--
}
