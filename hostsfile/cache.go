package hostsfile

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"hash/crc64"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"tcpwrap/access"
	"tcpwrap/internal/rawfile"
)

// Cache keeps compiled snapshots of large tables in a directory, so that
// programs that start once per connection (tcpd, tcpdmatch) neither
// compile a 100,000-line table nor even read it at every start.
//
// There is one snapshot file per table path (and user). It records the
// identity (device, inode, size, modification and change times) and a
// content sum (length, CRC-64, CRC-32C: see contentSum) of the table and
// of every /file list it was compiled with, missing files included. A
// snapshot is used as it is when every identity still matches and every
// file's times are older, by at least Settle, than
// the moment the snapshot was made: a file changed after that moment has
// a newer change time, so its identity no longer matches. A file changed
// less than Settle before (possibly within the file system's timestamp
// granularity of the making) is checked by content, as is every file
// when identities differ; when the contents still match, the snapshot is
// used and rewritten with the new identities. Otherwise the table is
// compiled and the snapshot replaced (a new file renamed into place, so a
// reader sees the old one or the new one whole). An edited table or list
// is never decided by a stale snapshot.
//
// The snapshot is mapped into memory read-only and used in place (see
// access.LoadSnapshot); a decision checks the blocks of it that it reads,
// and if one is damaged, the snapshot file is removed and the table is
// compiled from source for that decision.
//
// Because a snapshot decides access, the directory and the file must
// belong to the user the program runs as and be writable by nobody else;
// otherwise the cache is not used. The cache writes snapshot files only
// by renaming new files into place, never in place: a process that has
// one mapped keeps its own copy of the pages it reads.
type Cache struct {
	// Dir is the directory; it is created (mode 0700) when missing.
	Dir string
	// MinSize is the smallest table, in bytes, worth a snapshot; zero
	// means DefaultMinSize.
	MinSize int
	// Settle is how much older than a snapshot a file's modification and
	// change times must be for its identity alone to be trusted; zero
	// means DefaultSettle. Raise it for a network file system whose
	// server clock may run behind this machine's.
	Settle time.Duration

	now func() time.Time // for tests; nil means time.Now
}

// DefaultMinSize: below this, compiling is as fast as loading. Measured
// per tcpd start (bench/tcpd-startcost, 2 cores): a 100-line (1.5 KB) hosts.deny
// cost 2.10 ms from its snapshot and 2.31 ms compiled, 1,000 lines 2.1-2.2
// against 2.4-2.7 ms, 4,000 lines 2.1-2.5 against 3.8-4.0 ms; a table of
// comments only is as cheap either way.
const DefaultMinSize = 1 << 10

// DefaultSettle covers the coarsest timestamps of common file systems
// (whole seconds) and the kernel's coarse clock behind them.
const DefaultSettle = 2 * time.Second

// DefaultCache returns the cache named by $TCPWRAP_CACHE ("off" disables
// it), else /var/cache/tcpwrap for root and the user's cache directory
// (~/.cache/tcpwrap) for others. It returns nil when there is none.
func DefaultCache() *Cache {
	switch dir := os.Getenv("TCPWRAP_CACHE"); dir {
	case "off":
		return nil
	case "":
	default:
		return &Cache{Dir: dir}
	}
	if os.Geteuid() == 0 {
		return &Cache{Dir: "/var/cache/tcpwrap"}
	}
	if d, err := os.UserCacheDir(); err == nil {
		return &Cache{Dir: filepath.Join(d, "tcpwrap")}
	}
	return nil
}

// Outcome tells where Lookup found a table.
type Outcome uint8

const (
	// Uncached: read and compiled without the cache (a missing, small or
	// unreadable table, or a nil Cache).
	Uncached Outcome = iota
	// Trusted: a snapshot whose files' identities all still matched.
	Trusted
	// Verified: a snapshot whose files' identities matched but were too
	// recent to trust alone, used after their contents matched.
	Verified
	// Reused: a snapshot whose files' identities changed but whose
	// contents did not; it was used and rewritten.
	Reused
	// Compiled: compiled from the text, and stored as a new snapshot.
	Compiled
)

var outcomeNames = [...]string{"uncached", "trusted", "verified", "reused", "compiled"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// ReadTable is ReadTable with the cache: the same results, taken from a
// snapshot when a current one exists, and stored as one when the table is
// large. A nil Cache just reads the table.
func (c *Cache) ReadTable(path string, fsys access.FileSystem) *access.Table {
	t, _ := c.Lookup(path, fsys)
	return t
}

// ReadPolicy reads both tables through the cache.
func (c *Cache) ReadPolicy(allow, deny string) access.Policy {
	return access.Policy{Allow: c.ReadTable(allow, OS{}), Deny: c.ReadTable(deny, OS{})}
}

// Lookup is ReadTable, and tells where the table came from. A table from
// a snapshot keeps the snapshot file mapped until its Close is called.
func (c *Cache) Lookup(path string, fsys access.FileSystem) (*access.Table, Outcome) {
	if c == nil {
		return ReadTable(path, fsys), Uncached
	}
	made := c.clock()
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < int64(c.minSize()) {
		return ReadTable(path, fsys), Uncached
	}
	file := c.snapshotPath(path)
	if t, how := c.load(file, path, identityOf(fi), fsys, made); t != nil {
		return t, how
	}
	return c.compile(file, path, fsys, made)
}

func (c *Cache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *Cache) minSize() int {
	if c.MinSize == 0 {
		return DefaultMinSize
	}
	return c.MinSize
}

func (c *Cache) settle() time.Duration {
	if c.Settle == 0 {
		return DefaultSettle
	}
	return c.Settle
}

// snapshotPath names a table's snapshot by a hash of the user and path.
func (c *Cache) snapshotPath(path string) string {
	h := fnv.New128a()
	h.Write([]byte(strconv.Itoa(os.Geteuid()) + "\x00" + path))
	return filepath.Join(c.Dir, hex.EncodeToString(h.Sum(nil))+".snap")
}

// identity is what stat tells about a file: an error number, or the
// file's identity and times.
type identity struct {
	errno          uint32 // nonzero: stat failed with this (ENOENT: missing)
	dev, ino       uint64
	size           int64
	mtime, ctime   int64 // nanoseconds since the epoch
	noStat, exists bool  // noStat: the file system gives no identity
}

func identityOf(fi fs.FileInfo) identity {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return identity{noStat: true, exists: true}
	}
	return identity{
		dev: uint64(st.Dev), ino: st.Ino, size: st.Size, exists: true,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}
}

func statIdentity(fsys access.FileSystem, path string) identity {
	fi, err := fsys.Stat(path)
	if err == nil {
		return identityOf(fi)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return identity{errno: uint32(errno)}
	}
	return identity{noStat: true}
}

// settled reports whether an identity alone can vouch for the file's
// content, in a snapshot made at made (unix nanoseconds).
func (id identity) settled(made int64, settle time.Duration) bool {
	if id.noStat {
		return false
	}
	if !id.exists {
		return true
	}
	limit := made - int64(settle)
	return id.mtime < limit && id.ctime < limit
}

// fileRecord is one file a snapshot depends on: the table first, then
// its /file lists.
type fileRecord struct {
	path   string
	id     identity
	readOK bool
	sum    [32]byte
}

// cacheMagic starts a snapshot file: a header (identities and hashes,
// with its access.Checksum), then the table's access snapshot.
const cacheMagic = "tcpwrap-cache-4\n"

func appendHeader(b []byte, made int64, recs []fileRecord) []byte {
	start := len(b)
	b = append(b, cacheMagic...)
	b = append(b, make([]byte, 8)...) // checksum and length, below
	b = binary.LittleEndian.AppendUint64(b, uint64(made))
	b = binary.LittleEndian.AppendUint32(b, uint32(os.Geteuid()))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(recs)))
	for _, r := range recs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r.path)))
		b = append(b, r.path...)
		b = binary.LittleEndian.AppendUint32(b, r.id.errno)
		var flags byte
		for i, f := range []bool{r.id.noStat, r.id.exists, r.readOK} {
			if f {
				flags |= 1 << i
			}
		}
		b = append(b, flags)
		for _, v := range []uint64{r.id.dev, r.id.ino, uint64(r.id.size), uint64(r.id.mtime), uint64(r.id.ctime)} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		b = append(b, r.sum[:]...)
	}
	h := b[start:]
	binary.LittleEndian.PutUint32(h[20:], uint32(len(h)))
	binary.LittleEndian.PutUint32(h[16:], access.Checksum(h[20:]))
	return b
}

// recFixed is the size of a record after its path: errno, flags, five
// numbers, the hash.
const recFixed = 4 + 1 + 5*8 + 32

// parseHeader reads appendHeader's output; ok is false for anything
// else.
func parseHeader(b []byte) (made int64, recs []fileRecord, body []byte, ok bool) {
	if len(b) < 40 || string(b[:16]) != cacheMagic {
		return 0, nil, nil, false
	}
	end := int(binary.LittleEndian.Uint32(b[20:]))
	if end < 40 || end > len(b) || access.Checksum(b[20:end]) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, nil, nil, false
	}
	h := b[24:end]
	made = int64(binary.LittleEndian.Uint64(h))
	euid := binary.LittleEndian.Uint32(h[8:])
	n := int(binary.LittleEndian.Uint32(h[12:]))
	h = h[16:]
	if euid != uint32(os.Geteuid()) || n < 1 || n > len(h)/(4+recFixed) {
		return 0, nil, nil, false
	}
	recs = make([]fileRecord, n)
	for i := range recs {
		if len(h) < 4 {
			return 0, nil, nil, false
		}
		l := int(binary.LittleEndian.Uint32(h))
		if l < 0 || l > len(h)-4-recFixed {
			return 0, nil, nil, false
		}
		r := &recs[i]
		r.path = string(h[4 : 4+l])
		h = h[4+l:]
		r.id.errno = binary.LittleEndian.Uint32(h)
		flags := h[4]
		r.id.noStat, r.id.exists, r.readOK = flags&1 != 0, flags&2 != 0, flags&4 != 0
		v := func(i int) uint64 { return binary.LittleEndian.Uint64(h[5+8*i:]) }
		r.id.dev, r.id.ino, r.id.size, r.id.mtime, r.id.ctime = v(0), v(1), int64(v(2)), int64(v(3)), int64(v(4))
		copy(r.sum[:], h[45:77])
		h = h[77:]
	}
	if len(h) != 0 {
		return 0, nil, nil, false
	}
	return made, recs, b[end:], true
}

// private reports whether fi belongs to this process's user and no one
// else may write it.
func private(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&0o022 == 0
}

// mapFile maps a private snapshot file read-only.
func (c *Cache) mapFile(file string) ([]byte, identity, bool) {
	if di, err := os.Stat(c.Dir); err != nil || !di.IsDir() || !private(di) {
		return nil, identity{}, false
	}
	fd, fi, err := rawfile.Open(file, syscall.O_NOFOLLOW)
	if err != nil {
		return nil, identity{}, false
	}
	defer syscall.Close(fd)
	if !fi.Mode().IsRegular() || !private(fi) || fi.Size() < 40 || fi.Size() > 1<<31 {
		return nil, identity{}, false
	}
	data, err := syscall.Mmap(fd, 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, identity{}, false
	}
	return data, identityOf(fi), true
}

// load returns the table from the path's snapshot when it is current;
// nil when there is none, or it is not current.
func (c *Cache) load(file, path string, table identity, fsys access.FileSystem, now time.Time) (*access.Table, Outcome) {
	data, snapID, ok := c.mapFile(file)
	if !ok {
		return nil, 0
	}
	keep := false
	defer func() {
		if !keep {
			syscall.Munmap(data)
		}
	}()
	made, recs, body, ok := parseHeader(data)
	if !ok || recs[0].path != path || (fsys == nil && len(recs) > 1) {
		return nil, 0
	}
	settle := c.settle()
	cur := make([]identity, len(recs))
	same, settled := true, true
	for i, r := range recs {
		if i == 0 {
			cur[i] = table
		} else {
			cur[i] = statIdentity(fsys, r.path)
		}
		same = same && cur[i] == r.id
		settled = settled && r.id.settled(made, settle)
	}
	how, rewrite := Trusted, false
	if !same || !settled {
		// Check by content the files whose identity cannot vouch for it.
		for i, r := range recs {
			if same && r.id.settled(made, settle) {
				continue
			}
			readOK, sum := c.content(fsys, r.path, i == 0)
			if readOK != r.readOK || sum != r.sum {
				return nil, 0
			}
		}
		how, rewrite = Verified, true
		if !same {
			how = Reused
		} else {
			// Rewritten only once it can be trusted without this.
			for _, id := range cur {
				rewrite = rewrite && id.settled(now.UnixNano(), settle)
			}
		}
	}
	opts := access.SnapshotOptions{
		ParseOptions: access.ParseOptions{Files: fsys, Zones: InterfaceExists},
		Fallback: func() *access.Table {
			c.discard(file, snapID)
			t, _ := c.compile(file, path, fsys, c.clock())
			return t
		},
		Release: func() { syscall.Munmap(data) },
	}
	t, err := opts.Load(body, path)
	if err != nil {
		return nil, 0
	}
	if rewrite {
		// The same compiled table, with the identities seen now (taken
		// before the contents were read).
		for i := range recs {
			recs[i].id = cur[i]
		}
		c.store(file, appendHeader(nil, now.UnixNano(), recs), body)
	}
	keep = true
	return t, how
}

// content reads a file as the compiler would and hashes it.
func (c *Cache) content(fsys access.FileSystem, path string, table bool) (bool, [32]byte) {
	var data []byte
	var err error
	if table {
		data, err = rawfile.ReadFile(path)
	} else {
		data, err = fsys.ReadFile(path)
	}
	return readSum(data, err)
}

// readSum is what a snapshot records of a read: its bytes' hash, or, for
// a failed read, a hash of the error, which decides what the compiler
// made of it (nothing for a missing file, an error for an unreadable
// one).
func readSum(data []byte, err error) (bool, [32]byte) {
	if err != nil {
		return false, contentSum([]byte("\x00error\x00" + err.Error()))
	}
	return true, contentSum(data)
}

// discard removes a damaged snapshot file, unless it has been replaced.
func (c *Cache) discard(file string, id identity) {
	if fi, err := os.Lstat(file); err == nil && identityOf(fi).ino == id.ino && identityOf(fi).dev == id.dev {
		os.Remove(file)
	}
}

// compile reads and compiles the table, recording the identity and hash
// of everything it reads, and stores the snapshot.
func (c *Cache) compile(file, path string, fsys access.FileSystem, made time.Time) (*access.Table, Outcome) {
	data, fi, err := rawfile.ReadFileInfo(path, 0)
	if err != nil || !fi.Mode().IsRegular() {
		return ReadTable(path, fsys), Uncached
	}
	rec := &recordingFS{FileSystem: fsys, seen: map[string]fileRecord{}}
	opts := access.ParseOptions{Files: rec, Zones: InterfaceExists}
	if fsys == nil {
		opts.Files = nil // /file lists match nothing, and are not read
	}
	t := access.Parse(data, path, opts)
	recs := []fileRecord{{path: path, id: identityOf(fi), readOK: true, sum: contentSum(data)}}
	for _, p := range t.Files() {
		r, ok := rec.seen[p]
		if !ok || rec.unstable[p] {
			// Not read (nesting limit, or no file system), or read
			// twice with different results: a snapshot could not tell
			// when it goes stale.
			return t, Compiled
		}
		recs = append(recs, r)
	}
	c.store(file, appendHeader(nil, made.UnixNano(), recs), t.AppendSnapshot(nil))
	return t, Compiled
}

// recordingFS remembers the identity and a hash of what each read
// returned. The two halves of a large table are compiled at the same
// time, so it is safe for concurrent use.
type recordingFS struct {
	access.FileSystem
	mu       sync.Mutex
	seen     map[string]fileRecord
	unstable map[string]bool
}

func (r *recordingFS) ReadFile(name string) ([]byte, error) {
	// The identity is taken first: a change after it is seen as a
	// changed identity next time.
	id := statIdentity(r.FileSystem, name)
	data, err := r.FileSystem.ReadFile(name)
	fr := fileRecord{path: name, id: id}
	fr.readOK, fr.sum = readSum(data, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.seen[name]; ok {
		if old.sum != fr.sum || old.readOK != fr.readOK {
			if r.unstable == nil {
				r.unstable = map[string]bool{}
			}
			r.unstable[name] = true
		}
		return data, err
	}
	r.seen[name] = fr
	return data, err
}

// store writes a snapshot file: a new file renamed over the old one.
func (c *Cache) store(file string, header, body []byte) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	if di, err := os.Stat(c.Dir); err != nil || !private(di) {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".snap-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(header)
	if werr == nil {
		_, werr = tmp.Write(body)
	}
	cerr := tmp.Close()
	if errors.Join(werr, cerr) != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
		return
	}
	// New files left by writers that died before renaming them.
	old, _ := filepath.Glob(filepath.Join(c.Dir, ".snap-*"))
	for _, p := range old {
		if fi, err := os.Lstat(p); err == nil && time.Since(fi.ModTime()) > staleTemp {
			os.Remove(p)
		}
	}
}

// staleTemp is the age from which a new snapshot file that was never
// renamed into place is taken as left behind.
const staleTemp = 10 * time.Minute

// contentSum is what a snapshot records of a file's bytes, to tell
// whether they changed: their length, CRC-64 (ECMA) and CRC-32C. It
// detects changes, it does not resist forgery, and needs not: whoever can
// write a table or the private snapshot directory decides access anyway.
// (A cryptographic hash would link crypto/sha256 and the FIPS module into
// tcpd, which starts once per connection: a measured 8 page faults and
// 220 KB more per start.)
func contentSum(b []byte) (sum [32]byte) {
	binary.LittleEndian.PutUint64(sum[0:], uint64(len(b)))
	binary.LittleEndian.PutUint64(sum[8:], crc64.Checksum(b, crc64Table()))
	binary.LittleEndian.PutUint32(sum[16:], crc32.Checksum(b, crc32cTable()))
	return sum
}

var (
	crc64Table  = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(crc64.ECMA) })
	crc32cTable = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })
)
