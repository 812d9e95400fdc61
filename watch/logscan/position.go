package logscan

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// window is how many bytes at the start of a file, and before a
// position, a Position's checksum covers.
const window = 4096

// Position is how far Follow has read a file: the file's identity
// (device and inode), the offset after the last line read (always at
// the start of a line), and a SHA-256 checksum of the file's first
// bytes and of the bytes right before the offset (up to 4 KiB each).
// The checksum tells a file that was truncated, replaced or rewritten
// in place (a new file that reuses the inode number) from the one read:
// a Position that no longer matches its file is not trusted.
//
// The zero Position means "nothing read yet". Positions are saved with
// MarshalText and restored with UnmarshalText.
type Position struct {
	Dev    uint64
	Ino    uint64
	Offset int64
	Sum    [sha256.Size]byte
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p == Position{} }

// String is the text form, as MarshalText writes it.
func (p Position) String() string {
	b, _ := p.MarshalText()
	return string(b)
}

// MarshalText writes "DEV INO OFFSET SUM" (decimal numbers, SUM in
// hexadecimal).
func (p Position) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%d %d %d %s", p.Dev, p.Ino, p.Offset, hex.EncodeToString(p.Sum[:])), nil
}

// UnmarshalText reads what MarshalText writes.
func (p *Position) UnmarshalText(b []byte) error {
	f := strings.Fields(string(b))
	if len(f) != 4 {
		return fmt.Errorf("position %q: want 4 fields (dev inode offset sum), have %d", b, len(f))
	}
	dev, err1 := strconv.ParseUint(f[0], 10, 64)
	ino, err2 := strconv.ParseUint(f[1], 10, 64)
	off, err3 := strconv.ParseInt(f[2], 10, 64)
	sum, err4 := hex.DecodeString(f[3])
	switch {
	case err1 != nil:
		return fmt.Errorf("position: device %q: %v", f[0], err1)
	case err2 != nil:
		return fmt.Errorf("position: inode %q: %v", f[1], err2)
	case err3 != nil || off < 0:
		return fmt.Errorf("position: offset %q is not a non-negative number", f[2])
	case err4 != nil || len(sum) != sha256.Size:
		return fmt.Errorf("position: checksum %q is not %d hexadecimal bytes", f[3], sha256.Size)
	}
	*p = Position{Dev: dev, Ino: ino, Offset: off}
	copy(p.Sum[:], sum)
	return nil
}

// fileID is a file's identity.
type fileID struct{ dev, ino uint64 }

func idOf(fi os.FileInfo) (fileID, uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 1
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, uint64(st.Nlink)
}

// checksum computes a Position's checksum of f at offset off: SHA-256 of
// the offset, the first min(off, window) bytes and the window bytes
// before off.
func checksum(f io.ReaderAt, off int64) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(off))
	h.Write(n[:])
	buf := make([]byte, window)
	head := buf[:min(off, window)]
	if _, err := f.ReadAt(head, 0); err != nil {
		return sum, err
	}
	h.Write(head)
	start := max(0, off-window)
	tail := buf[:off-start]
	if _, err := f.ReadAt(tail, start); err != nil {
		return sum, err
	}
	h.Write(tail)
	h.Sum(sum[:0])
	return sum, nil
}

// matches reports whether the open file f is the one p was taken of, as
// far as its content goes: it is at least p.Offset long and has the
// same checksum there.
func (p Position) matches(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() < p.Offset {
		return false
	}
	sum, err := checksum(f, p.Offset)
	return err == nil && sum == p.Sum
}
