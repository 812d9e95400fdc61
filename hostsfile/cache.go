package hostsfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"tcpwrap/access"
)

// Cache keeps compiled snapshots of large tables in a directory, so that
// programs that start once per connection (tcpd, tcpdmatch) do not compile
// a 100,000-line table at every start. A snapshot is found by a hash of
// the table's path and text, and it records a hash of every /file list it
// was compiled with; it is used only when all of them still match, so an
// edited table or list is never decided by a stale snapshot.
//
// Because a snapshot decides access, the directory and the file must
// belong to the user the program runs as and be writable by nobody else;
// otherwise the cache is not used.
type Cache struct {
	// Dir is the directory; it is created (mode 0700) when missing.
	Dir string
	// MinSize is the smallest table, in bytes, worth a snapshot; zero
	// means DefaultMinSize.
	MinSize int
}

// DefaultMinSize: below this, compiling is as fast as loading.
const DefaultMinSize = 64 << 10

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

var cacheMagic = []byte("tcpwrap-cache-1\n")

// ReadTable is ReadTable with the cache: the same results, taken from a
// snapshot when a current one exists, and stored as one when the table is
// large. A nil Cache just reads the table.
func (c *Cache) ReadTable(path string, fsys access.FileSystem) *access.Table {
	if c == nil {
		return ReadTable(path, fsys)
	}
	data, err := os.ReadFile(path)
	min := c.MinSize
	if min == 0 {
		min = DefaultMinSize
	}
	if err != nil || len(data) < min {
		return ReadTable(path, fsys)
	}
	opts := access.ParseOptions{Files: fsys, Zones: InterfaceExists}
	key := sha256.Sum256(append([]byte(path+"\x00"), data...))
	file := filepath.Join(c.Dir, hex.EncodeToString(key[:16])+".snap")
	if t := c.load(file, path, fsys, opts); t != nil {
		return t
	}
	// Record the exact bytes of every /file list the compiler reads, so
	// that the snapshot's hashes describe what was compiled.
	rec := &recordingFS{FileSystem: fsys, seen: map[string]fileSeen{}}
	opts.Files = rec
	t := access.Parse(data, path, opts)
	c.store(file, t, rec)
	return t
}

type fileSeen struct {
	sum    [32]byte
	exists bool
}

// recordingFS remembers a hash of what each read returned.
type recordingFS struct {
	access.FileSystem
	seen map[string]fileSeen
}

func (r *recordingFS) ReadFile(name string) ([]byte, error) {
	data, err := r.FileSystem.ReadFile(name)
	r.seen[name] = fileSeen{sha256.Sum256(data), err == nil}
	return data, err
}

// ReadPolicy reads both tables through the cache.
func (c *Cache) ReadPolicy(allow, deny string) access.Policy {
	return access.Policy{Allow: c.ReadTable(allow, OS{}), Deny: c.ReadTable(deny, OS{})}
}

// private reports whether fi belongs to this process's user and no one
// else may write it.
func private(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&0o022 == 0
}

func fileHash(fsys access.FileSystem, path string) (sum [32]byte, exists bool) {
	data, err := fsys.ReadFile(path)
	if err != nil {
		return sum, false
	}
	return sha256.Sum256(data), true
}

func (c *Cache) load(file, path string, fsys access.FileSystem, opts access.ParseOptions) *access.Table {
	if di, err := os.Stat(c.Dir); err != nil || !di.IsDir() || !private(di) {
		return nil
	}
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !private(fi) {
		return nil
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil
	}
	rest, ok := bytes.CutPrefix(data, cacheMagic)
	if !ok || len(rest) < 4 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	for range n {
		if len(rest) < 4 {
			return nil
		}
		l := int(binary.LittleEndian.Uint32(rest))
		if len(rest) < 4+l+1+32 {
			return nil
		}
		p := string(rest[4 : 4+l])
		exists := rest[4+l] == 1
		var want [32]byte
		copy(want[:], rest[5+l:5+l+32])
		rest = rest[5+l+32:]
		if sum, ok := fileHash(fsys, p); ok != exists || sum != want {
			return nil
		}
	}
	t, err := access.LoadSnapshot(rest, path, opts)
	if err != nil {
		return nil
	}
	return t
}

func (c *Cache) store(file string, t *access.Table, rec *recordingFS) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return
	}
	if di, err := os.Stat(c.Dir); err != nil || !private(di) {
		return
	}
	b := append([]byte(nil), cacheMagic...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.Files())))
	for _, p := range t.Files() {
		seen, ok := rec.seen[p]
		if !ok {
			// Not read (nesting limit, or no file system): a snapshot
			// could not tell when it goes stale.
			return
		}
		sum, exists := seen.sum, seen.exists
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
		if exists {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = append(b, sum[:]...)
	}
	b = t.AppendSnapshot(b)
	tmp, err := os.CreateTemp(c.Dir, ".snap-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if errors.Join(werr, cerr) != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
	}
}
