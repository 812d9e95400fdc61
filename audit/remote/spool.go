package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The spool is a directory of append-only segment files and one commit
// file:
//
//	LOCK                   flock(2)ed by the Sender using the directory
//	seg-0000000000000001   records, oldest segment first
//	seg-0000000000000002
//	COMMIT                 where delivery has got to
//
// A record is a 4-byte big-endian length, the CRC-32C of the message and
// the message (an RFC 5424 message without framing). COMMIT holds two
// 32-byte slots, written alternately, each a generation number, a segment
// number and an offset in it, and the CRC-32C of these 24 bytes; the
// valid slot with the higher generation counts, so a torn write of one
// slot leaves the other.
//
// Opening checks every record: a segment ends at its first record that is
// short or fails its CRC (the last segment is truncated there, so a torn
// record left by a crash is ignored and overwritten).
//
// fsync policy: records are written with one write(2) per batch and the
// last segment is fsynced at most once a second (syncInterval), when a
// segment is full, and on close; so a process crash loses nothing that
// write(2) returned, and a power failure loses at most about a second of
// spooled records. COMMIT is written (without fsync) at most every
// commitInterval, when a segment is done and on close; losing an update
// only means that records delivered since are delivered again.
const (
	recordHeader   = 8
	maxRecord      = 16 << 20 // a longer length field is corruption
	commitSlot     = 32
	syncInterval   = time.Second
	commitInterval = 100 * time.Millisecond
	maxSegment     = 4 << 20
	minSegment     = 64 << 10
)

// castagnoli is made on first use: building the table costs every
// program that links this package (tcpd among them, once per connection)
// tens of microseconds at start-up, most of which never write a spool.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// errSpoolBusy is returned when another Sender (in this process or
// another) uses the spool directory.
var errSpoolBusy = errors.New("spool directory in use by another sender")

// spoolPos is a position in the spool: a segment and an offset in it.
type spoolPos struct {
	seq uint64
	off int64
}

type segment struct {
	seq  uint64
	f    *os.File
	size int64 // end of its valid records
}

// spool is safe for concurrent use: Send appends when the memory queue
// overflows while the delivery goroutine reads, settles and commits.
type spool struct {
	mu       sync.Mutex
	dir      string
	max      int64 // bytes of segment files
	segMax   int64
	lock     *os.File
	commitF  *os.File
	segs     []*segment // oldest first; never empty; the last is appended to
	bytes    int64      // total size of the segment files
	read     spoolPos   // next record to hand out
	settled  spoolPos   // after the last record known delivered
	commitAt spoolPos   // what COMMIT says
	gen      uint64
	unread   int // records from read to the end
	pending  int // records from settled to the end
	dirty    bool
	synced   time.Time
	commited time.Time
	corrupt  int    // segments cut short at a damaged record
	scratch  []byte // records being appended
	rbuf     []byte // records being read
}

func segName(seq uint64) string { return fmt.Sprintf("seg-%016x", seq) }

// openSpool opens (creating if needed) the spool in dir and recovers what
// it holds; pending says how many records are left to deliver.
func openSpool(dir string, limit int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sp := &spool{dir: dir, max: limit, segMax: min(max(limit/8, minSegment), maxSegment)}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", dir, errSpoolBusy)
		}
		return nil, err
	}
	sp.lock = lock
	if err := sp.recover(); err != nil {
		sp.closeFiles()
		return nil, err
	}
	return sp, nil
}

func (sp *spool) recover() error {
	var err error
	if sp.commitF, err = os.OpenFile(filepath.Join(sp.dir, "COMMIT"), os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return err
	}
	commit, haveCommit := sp.readCommit()

	ents, err := os.ReadDir(sp.dir)
	if err != nil {
		return err
	}
	var seqs []uint64
	for _, e := range ents {
		if s, ok := strings.CutPrefix(e.Name(), "seg-"); ok {
			if n, err := strconv.ParseUint(s, 16, 64); err == nil && len(s) == 16 {
				seqs = append(seqs, n)
			}
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })

	for i, seq := range seqs {
		name := filepath.Join(sp.dir, segName(seq))
		if haveCommit && seq < commit.seq {
			// Delivered: the crash came between COMMIT and removal.
			if err := os.Remove(name); err != nil {
				return err
			}
			continue
		}
		f, err := os.OpenFile(name, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		seg := &segment{seq: seq, f: f}
		sp.segs = append(sp.segs, seg)
		from := int64(0)
		if haveCommit && seq == commit.seq {
			from = commit.off
		}
		valid, n, err := scanSegment(f, from)
		if err != nil {
			return err
		}
		seg.size = valid
		sp.pending += n
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if valid < fi.Size() {
			if i == len(seqs)-1 {
				// A torn last record: cut it off so appends follow
				// the last good one.
				if err := f.Truncate(valid); err != nil {
					return err
				}
			} else {
				sp.corrupt++
			}
		}
		sp.bytes += valid
	}
	if len(sp.segs) == 0 {
		next := uint64(1)
		if haveCommit {
			next = commit.seq + 1
		}
		if err := sp.addSegment(next); err != nil {
			return err
		}
	}
	first := sp.segs[0]
	sp.settled = spoolPos{first.seq, 0}
	if haveCommit && commit.seq == first.seq {
		sp.settled.off = min(commit.off, first.size)
	}
	sp.read, sp.commitAt = sp.settled, sp.settled
	sp.unread = sp.pending
	sp.gen = 0
	if haveCommit {
		sp.gen = commit.gen
	}
	sp.synced, sp.commited = time.Now(), time.Now()
	return nil
}

type commitRecord struct {
	gen uint64
	spoolPos
}

func (sp *spool) readCommit() (commitRecord, bool) {
	var buf [2 * commitSlot]byte
	n, _ := sp.commitF.ReadAt(buf[:], 0)
	var best commitRecord
	ok := false
	for i := 0; i+commitSlot <= n; i += commitSlot {
		s := buf[i : i+commitSlot]
		if crc32.Checksum(s[:24], castagnoli()) != binary.BigEndian.Uint32(s[24:28]) {
			continue
		}
		c := commitRecord{binary.BigEndian.Uint64(s[0:8]), spoolPos{binary.BigEndian.Uint64(s[8:16]), int64(binary.BigEndian.Uint64(s[16:24]))}}
		if c.gen == 0 || c.off < 0 {
			continue
		}
		if !ok || c.gen > best.gen {
			best, ok = c, true
		}
	}
	return best, ok
}

// scanSegment checks the records of f and returns the end of the last
// valid one and how many valid records start at or after from.
func scanSegment(f *os.File, from int64) (valid int64, n int, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, err
	}
	size := fi.Size()
	buf := make([]byte, 1<<20)
	var off int64
	for off+recordHeader <= size {
		var h [recordHeader]byte
		if _, err := f.ReadAt(h[:], off); err != nil {
			return off, n, nil
		}
		l := int64(binary.BigEndian.Uint32(h[0:4]))
		if l > maxRecord || off+recordHeader+l > size {
			break
		}
		if int64(len(buf)) < l {
			buf = make([]byte, l)
		}
		if _, err := f.ReadAt(buf[:l], off+recordHeader); err != nil {
			break
		}
		if crc32.Checksum(buf[:l], castagnoli()) != binary.BigEndian.Uint32(h[4:8]) {
			break
		}
		if off >= from {
			n++
		}
		off += recordHeader + l
	}
	return off, n, nil
}

func (sp *spool) addSegment(seq uint64) error {
	f, err := os.OpenFile(filepath.Join(sp.dir, segName(seq)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	sp.segs = append(sp.segs, &segment{seq: seq, f: f})
	// Make the new name durable, so that records fsynced into it are
	// found after a power failure.
	if d, err := os.Open(sp.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (sp *spool) tail() *segment { return sp.segs[len(sp.segs)-1] }

// append writes msgs (each a message without framing) at the end of the
// spool, in order. When the spool would grow beyond its maximum, the
// newest records are the ones refused: append returns how many it wrote.
func (sp *spool) append(msgs ...[]byte) (int, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	buf := sp.scratch[:0]
	written := 0
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		t := sp.tail()
		if _, err := t.f.WriteAt(buf, t.size); err != nil {
			return err
		}
		t.size += int64(len(buf))
		sp.bytes += int64(len(buf))
		sp.dirty = true
		buf = buf[:0]
		return nil
	}
	for _, m := range msgs {
		l := int64(recordHeader + len(m))
		if sp.bytes+int64(len(buf))+l > sp.max || len(m) > maxRecord {
			break
		}
		if t := sp.tail(); t.size > 0 && t.size+int64(len(buf))+l > sp.segMax {
			if err := flush(); err != nil {
				return written, err
			}
			// Make the full segment durable before starting the next.
			if err := t.f.Sync(); err != nil {
				return written, err
			}
			if err := sp.addSegment(t.seq + 1); err != nil {
				return written, err
			}
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(m)))
		buf = binary.BigEndian.AppendUint32(buf, crc32.Checksum(m, castagnoli()))
		buf = append(buf, m...)
		written++
	}
	err := flush()
	if cap(buf) <= 1<<20 {
		sp.scratch = buf[:0]
	}
	if err != nil {
		// The records of the failed write are not counted; a later write
		// overwrites whatever part of it reached the file.
		return 0, err
	}
	sp.unread += written
	sp.pending += written
	return written, nil
}

// next hands out records from the read position, at least one if there
// is any and then as many as fit in about limit bytes, calling fn with each
// message (valid only during the call). It returns how many and the
// position after the last.
func (sp *spool) next(limit int, fn func(msg []byte)) (int, spoolPos, error) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	n := 0
	for n == 0 {
		i := sp.segIndex(sp.read.seq)
		if i < 0 {
			return 0, sp.read, fmt.Errorf("spool: segment %d is gone", sp.read.seq)
		}
		seg := sp.segs[i]
		if sp.read.off >= seg.size {
			if i == len(sp.segs)-1 {
				return 0, sp.read, nil
			}
			sp.read = spoolPos{sp.segs[i+1].seq, 0}
			continue
		}
		want := min(int64(limit), seg.size-sp.read.off)
		if want < recordHeader {
			want = recordHeader
		}
		if int64(cap(sp.rbuf)) < want {
			sp.rbuf = make([]byte, want)
		}
		buf := sp.rbuf[:want]
		if _, err := seg.f.ReadAt(buf, sp.read.off); err != nil {
			return 0, sp.read, fmt.Errorf("spool: %v", err)
		}
		for len(buf) >= recordHeader {
			l := int(binary.BigEndian.Uint32(buf[0:4]))
			if recordHeader+l > len(buf) {
				if n > 0 {
					break
				}
				// One record longer than max: read it whole.
				big := make([]byte, recordHeader+l)
				if _, err := seg.f.ReadAt(big, sp.read.off); err != nil {
					return 0, sp.read, fmt.Errorf("spool: %v", err)
				}
				buf = big
				continue
			}
			fn(buf[recordHeader : recordHeader+l])
			n++
			sp.read.off += int64(recordHeader + l)
			buf = buf[recordHeader+l:]
		}
	}
	sp.unread -= n
	return n, sp.read, nil
}

func (sp *spool) segIndex(seq uint64) int {
	for i, s := range sp.segs {
		if s.seq == seq {
			return i
		}
	}
	return -1
}

// settle records that the n records up to end are delivered.
func (sp *spool) settle(end spoolPos, n int) {
	sp.mu.Lock()
	sp.settled = end
	sp.pending -= n
	sp.mu.Unlock()
}

// rewind makes the records handed out but not settled come out of next
// again.
func (sp *spool) rewind() {
	sp.mu.Lock()
	sp.read = sp.settled
	sp.unread = sp.pending
	sp.mu.Unlock()
}

// counts returns the records not yet handed out and not yet settled.
func (sp *spool) counts() (unread, pending int, bytes int64) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return sp.unread, sp.pending, sp.bytes
}

// maintain writes COMMIT when it is due (or force), removes segments that
// are wholly delivered and fsyncs the last segment when it is due.
func (sp *spool) maintain(now time.Time, force bool) error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var err error
	if sp.pending == 0 && sp.tail().size > 0 && sp.read == sp.settled {
		// Everything delivered: start an empty segment so that the
		// old ones can go.
		if err = sp.addSegment(sp.tail().seq + 1); err != nil {
			return err
		}
		sp.settled = spoolPos{sp.tail().seq, 0}
		sp.read = sp.settled
	}
	if sp.settled != sp.commitAt && (force || now.Sub(sp.commited) >= commitInterval || sp.settled.seq != sp.commitAt.seq) {
		if err = sp.writeCommit(sp.settled); err != nil {
			return err
		}
		sp.commited = now
		for len(sp.segs) > 1 && sp.segs[0].seq < sp.settled.seq {
			s := sp.segs[0]
			s.f.Close()
			if err := os.Remove(filepath.Join(sp.dir, segName(s.seq))); err != nil {
				return err
			}
			sp.bytes -= s.size
			sp.segs = sp.segs[1:]
		}
	}
	if sp.dirty && (force || now.Sub(sp.synced) >= syncInterval) {
		if err = sp.tail().f.Sync(); err != nil {
			return err
		}
		sp.dirty = false
		sp.synced = now
	}
	return nil
}

func (sp *spool) writeCommit(p spoolPos) error {
	sp.gen++
	var s [commitSlot]byte
	binary.BigEndian.PutUint64(s[0:8], sp.gen)
	binary.BigEndian.PutUint64(s[8:16], p.seq)
	binary.BigEndian.PutUint64(s[16:24], uint64(p.off))
	binary.BigEndian.PutUint32(s[24:28], crc32.Checksum(s[:24], castagnoli()))
	if _, err := sp.commitF.WriteAt(s[:], int64(sp.gen%2)*commitSlot); err != nil {
		return err
	}
	sp.commitAt = p
	return nil
}

// close commits, fsyncs and releases the directory.
func (sp *spool) close() error {
	err := sp.maintain(time.Now(), true)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.closeFiles()
	return err
}

// closeFiles closes everything without writing, as a crash would leave
// the directory.
func (sp *spool) closeFiles() {
	for _, s := range sp.segs {
		s.f.Close()
	}
	sp.segs = nil
	if sp.commitF != nil {
		sp.commitF.Close()
	}
	if sp.lock != nil {
		sp.lock.Close() // releases the flock
	}
}
