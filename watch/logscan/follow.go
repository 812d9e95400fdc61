package logscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"tcpwrap/watch"
)

// DefaultPoll is FollowOptions.Poll's default.
const DefaultPoll = 200 * time.Millisecond

// guardSize is how many bytes before the offset Follow compares on every
// wake-up to notice a file truncated and refilled past the offset
// before it looked.
const guardSize = 256

// FollowOptions configure Follow. The zero value reads the file from its
// beginning (or from a given Position), polls every DefaultPoll besides
// listening to file system notifications, and reports nothing but
// Events.
type FollowOptions struct {
	// Options: the parser configuration, the format, MaxLine and OnSkip.
	// Reference is not used: Follow infers years from the time each
	// line is read.
	Options
	// Poll is how often the file is checked when no notification
	// arrives (0: DefaultPoll). Notifications (fsnotify, on the file's
	// directory) usually wake Follow within milliseconds; polling
	// bounds the delay where they are not delivered.
	Poll time.Duration
	// StartAtEnd, with a zero Position, skips what the file holds when
	// Follow starts and reads only lines written later.
	StartAtEnd bool
	// Checkpoint, if not nil, is called with the Position after every
	// batch of lines, once the Events of all of them have been
	// delivered, and once more when Follow returns. Saving the last
	// Position (together with what the Events changed) and passing it
	// to the next Follow makes a restart report nothing twice and miss
	// nothing.
	Checkpoint func(Position)
	// Notice, if not nil, is told in one line about rotations,
	// truncations and saved positions that no longer match their file.
	Notice func(string)
}

// Follow reads the file at path like "tail -F" until ctx is done, and
// calls fn for every Event of its lines, in order, from Follow's
// goroutine. It returns the counts and ctx's error, or an error reading
// the file.
//
// It starts at pos: a zero Position means the beginning of the file
// (or its end, with StartAtEnd); a saved Position is used only if its
// file is found and still matches it (see Position): the file at path,
// or a copy of it there, or a rotated file in its directory. Otherwise
// Follow says so through Notice and reads the file from the beginning.
//
// Rotation is survived both ways logrotate does it:
//
//   - by rename ("create"): when path names a new file, Follow keeps
//     reading the old one until the new one has data (or the old one is
//     deleted): a syslog daemon that logrotate tells to reopen its files
//     writes its last line to the old file before its first to the new
//     one. It then reads the old file to its end and goes on with the
//     new one from its beginning. A saved Position whose file has been
//     renamed meanwhile (path.1, path-20261127) is found by its device
//     and inode in path's directory, and read to its end first.
//   - by copy and truncation ("copytruncate"): a file that becomes
//     shorter than the offset read, or whose bytes before the offset
//     change, was truncated. What Follow had not read yet is looked for
//     in the copy (a file of the directory whose name starts with
//     path's and whose content matches up to the offset), read from
//     there, and the file is read again from its beginning. Lines
//     written between logrotate's copy and its truncation are in
//     neither file; that loss is logrotate's and is documented there.
//
// A file replaced by a copy of itself (cp and mv; sed -i) is recognised
// by its content and read on from the same offset.
//
// A line is delivered once its newline is written; an incomplete last
// line waits (a rotated file's incomplete last line is delivered when
// Follow moves on).
func Follow(ctx context.Context, path string, pos Position, opts FollowOptions, fn func(watch.Event)) (Stats, error) {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	t := &tail{
		path: path,
		dir:  filepath.Dir(path),
		base: filepath.Base(path),
		opts: opts,
		fn:   fn,
		sp:   newSplitter(opts.MaxLine),
		wake: make(chan struct{}, 1),
	}
	defer t.close()

	if w, err := fsnotify.NewWatcher(); err == nil {
		defer w.Close()
		if w.Add(t.dir) == nil {
			go t.notifications(ctx, w)
		}
	}
	ticker := time.NewTicker(opts.Poll)
	defer ticker.Stop()

	if err := t.start(pos); err != nil {
		return t.stats, err
	}
	for {
		if err := t.step(ctx); err != nil {
			t.checkpoint()
			return t.stats, err
		}
		select {
		case <-ctx.Done():
			t.checkpoint()
			return t.stats, ctx.Err()
		case <-t.wake:
		case <-ticker.C:
		}
	}
}

// tail is one Follow.
type tail struct {
	path, dir, base string
	opts            FollowOptions
	fn              func(watch.Event)
	sp              *splitter
	ls              *lineSet

	f     *os.File // nil until the file exists
	id    fileID
	size  int64  // size at the last look
	guard []byte // the bytes before sp.done, as read
	head  []byte // the file's first bytes (up to window), as read
	saved int64  // sp.done at the last checkpoint
	stats Stats
	wake  chan struct{}
}

func (t *tail) notice(format string, args ...any) {
	if t.opts.Notice != nil {
		t.opts.Notice(t.path + ": " + fmt.Sprintf(format, args...))
	}
}

// notifications turns file system events on path and its rotations into
// wake-ups.
func (t *tail) notifications(ctx context.Context, w *fsnotify.Watcher) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if strings.HasPrefix(filepath.Base(ev.Name), t.base) {
				select {
				case t.wake <- struct{}{}:
				default:
				}
			}
		case _, ok := <-w.Errors:
			if !ok {
				return
			}
			// Overflow and the like: the poll ticker still runs.
		}
	}
}

func (t *tail) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// use makes f (at offset off, a line boundary) the file being read.
func (t *tail) use(f *os.File, off int64, midLine bool) error {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	if t.f != f {
		t.close()
	}
	t.f = f
	t.id, _ = idOf(fi)
	t.size = fi.Size()
	if midLine {
		t.sp.resetSkipping(off)
	} else {
		t.sp.reset(off)
	}
	if t.ls != nil {
		t.stats.add(t.ls)
	}
	t.ls = newLineSet(t.opts.Options, f.Name())
	t.ls.counts = off == 0
	t.saved = -1
	if midLine {
		t.saved = off // no Position in the middle of a line
	}
	t.guard = t.readAt(max(0, off-guardSize), off)
	t.head = t.readAt(0, min(off, window))
	return nil
}

// start opens the file at the starting position.
func (t *tail) start(pos Position) error {
	f, err := os.Open(t.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var id fileID
	if f != nil {
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		id, _ = idOf(fi)
		if pos.IsZero() {
			if !t.opts.StartAtEnd {
				return t.use(f, 0, false)
			}
			// Start at the end, but never in the middle of a line.
			end := fi.Size()
			mid := false
			if end > 0 {
				var last [1]byte
				if _, err := f.ReadAt(last[:], end-1); err == nil && last[0] != '\n' {
					mid = true
				}
			}
			return t.use(f, end, mid)
		}
		if pos.matches(f) {
			if id != (fileID{pos.Dev, pos.Ino}) {
				t.notice("replaced by a copy since the position was saved; going on at offset %d", pos.Offset)
			}
			return t.use(f, pos.Offset, false)
		}
	} else if pos.IsZero() {
		return nil // wait for the file
	}
	// The saved position is not the current file's: look for its file
	// among the rotated ones, by identity, then by content.
	if old, name := t.findRotated(pos, id); old != nil {
		t.notice("resuming in %s, rotated since the position was saved", name)
		if f != nil {
			f.Close()
		}
		return t.use(old, pos.Offset, false)
	}
	t.notice("the saved position (offset %d) matches neither this file nor a rotated one; reading from the beginning", pos.Offset)
	if f == nil {
		return nil
	}
	return t.use(f, 0, false)
}

// rotatedName reports whether name can be a rotation of base: base
// followed by '.', '-' or '_' and not compressed.
func (t *tail) rotatedName(name string) bool {
	if len(name) <= len(t.base) || !strings.HasPrefix(name, t.base) {
		return false
	}
	switch name[len(t.base)] {
	case '.', '-', '_':
	default:
		return false
	}
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".Z"} {
		if strings.HasSuffix(name, ext) {
			return false
		}
	}
	return true
}

// findRotated looks in the directory for the file pos was taken of:
// first by device and inode, then (for a copy) by content. skip is the
// current file's identity.
func (t *tail) findRotated(pos Position, skip fileID) (*os.File, string) {
	ents, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, ""
	}
	want := fileID{pos.Dev, pos.Ino}
	var byContent []string
	for _, e := range ents {
		if !e.Type().IsRegular() || !t.rotatedName(e.Name()) {
			continue
		}
		name := filepath.Join(t.dir, e.Name())
		fi, err := e.Info()
		if err != nil {
			continue
		}
		id, _ := idOf(fi)
		if id == skip || fi.Size() < pos.Offset {
			continue
		}
		if id != want {
			byContent = append(byContent, name)
			continue
		}
		if f, err := os.Open(name); err == nil {
			if pos.matches(f) {
				return f, name
			}
			f.Close()
		}
	}
	for _, name := range byContent {
		if f, err := os.Open(name); err == nil {
			if pos.matches(f) {
				return f, name
			}
			f.Close()
		}
	}
	return nil, ""
}

// step reads what is new and handles truncation and rotation.
func (t *tail) step(ctx context.Context) error {
	if t.f == nil {
		f, err := os.Open(t.path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := t.use(f, 0, false); err != nil {
			return err
		}
		t.checkpoint()
	}
	// Look for a copytruncate before reading on as well as after: a
	// writer quick enough to fill the truncated file past the offset
	// between two steps would otherwise be read from the middle of its
	// new content, and the guard, taken again after that read, would
	// hide the truncation for good.
	if err := t.checkTruncated(ctx); err != nil {
		return err
	}
	if err := t.drain(ctx); err != nil {
		return err
	}
	if err := t.checkTruncated(ctx); err != nil {
		return err
	}
	return t.checkRotated(ctx)
}

// drain reads the file to its current end.
func (t *tail) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		t.ls.parser.SetReference(time.Now())
		n, err := t.sp.fill(t.f)
		t.stats.Bytes += int64(n)
		t.sp.lines(t.line, t.ls.tooLong)
		if n > 0 {
			t.checkpoint()
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if n == 0 || errors.Is(err, io.EOF) {
			return nil
		}
	}
	return nil
}

func (t *tail) line(line []byte, off int64) { t.ls.line(line, off, t.fn) }

// flush delivers the incomplete last line of a file Follow leaves.
func (t *tail) flush() {
	if rest, off, ok := t.sp.rest(); ok {
		t.line(rest, off)
	}
}

// checkpoint reports the position if it moved, and remembers the bytes
// before it.
func (t *tail) checkpoint() {
	if t.ls != nil {
		t.stats.add(t.ls)
	}
	if t.f == nil {
		return
	}
	off := t.sp.done
	if off == t.saved {
		return
	}
	t.guard = t.readAt(max(0, off-guardSize), off)
	if len(t.head) < window && off > int64(len(t.head)) {
		t.head = t.readAt(0, min(off, window))
	}
	t.saved = off
	if t.opts.Checkpoint == nil {
		return
	}
	sum, err := checksum(t.f, off)
	if err != nil {
		return // truncated under us: the next step sees it
	}
	t.opts.Checkpoint(Position{Dev: t.id.dev, Ino: t.id.ino, Offset: off, Sum: sum})
}

// readAt returns the file's bytes from start to end (nil if they
// cannot all be read).
func (t *tail) readAt(start, end int64) []byte {
	b := make([]byte, end-start)
	if _, err := t.f.ReadAt(b, start); err != nil {
		return nil
	}
	return b
}

// checkTruncated notices copytruncate: the file is shorter than what was
// read, or the bytes before the offset changed.
func (t *tail) checkTruncated(ctx context.Context) error {
	fi, err := t.f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	changed := size != t.size
	t.size = size
	off := t.sp.done
	switch {
	case size < off:
	case changed && off > 0:
		g := make([]byte, len(t.guard))
		if _, err := t.f.ReadAt(g, off-int64(len(g))); err == nil && bytes.Equal(g, t.guard) {
			return nil
		}
	default:
		return nil
	}
	t.notice("truncated or rewritten (size %d, %d bytes read); reading it again from the beginning", size, off)
	// What was not read yet may be in the copy.
	if copyFile, name := t.findCopy(off); copyFile != nil {
		t.notice("reading the rest of the truncated file from its copy %s", name)
		cur := t.f
		t.f = nil // keep it open while the copy is read
		if err := t.use(copyFile, off, false); err == nil {
			t.drain(ctx)
			t.flush()
			t.checkpoint()
			t.close()
		}
		t.f = cur
	}
	return t.use(t.f, 0, false)
}

// findCopy looks for the copy logrotate made before truncating: a
// rotated name whose content matches the current position.
func (t *tail) findCopy(off int64) (*os.File, string) {
	if t.saved != off || off == 0 {
		return nil, ""
	}
	ents, err := os.ReadDir(t.dir)
	if err != nil {
		return nil, ""
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !t.rotatedName(e.Name()) {
			continue
		}
		name := filepath.Join(t.dir, e.Name())
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		if t.holdsWhatWasRead(f, off) {
			return f, name
		}
		f.Close()
	}
	return nil, ""
}

// holdsWhatWasRead reports whether f, another file than the one being
// read, is at least off long and has the bytes read at the start of the
// file being read and right before off: it is a copy of it.
func (t *tail) holdsWhatWasRead(f *os.File, off int64) bool {
	fi, err := f.Stat()
	if err != nil || fi.Size() < off || t.saved != off || off == 0 {
		return false
	}
	if id, _ := idOf(fi); id == t.id {
		return false
	}
	g := make([]byte, len(t.guard))
	h := make([]byte, len(t.head))
	if _, err := f.ReadAt(g, off-int64(len(g))); err != nil || !bytes.Equal(g, t.guard) {
		return false
	}
	_, err = f.ReadAt(h, 0)
	return err == nil && bytes.Equal(h, t.head)
}

// checkRotated notices that path names another file now, and moves on
// to it once the old one is finished.
func (t *tail) checkRotated(ctx context.Context) error {
	fi, err := os.Stat(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // renamed or removed; its successor is not there yet
		}
		return err
	}
	id, _ := idOf(fi)
	if id == t.id {
		return nil
	}
	cur, err := t.f.Stat()
	if err != nil {
		return err
	}
	_, nlink := idOf(cur)
	if fi.Size() == 0 && nlink > 0 {
		return nil // the new file is empty: the writer may not have moved yet
	}
	// The writer has moved on: finish the old file, then take the new.
	if err := t.drain(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	t.checkpoint()
	f, err := os.Open(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	// A file replaced by a copy of itself (cp and mv, sed -i) goes on
	// where the old one was read to, an incomplete last line included.
	off := int64(0)
	if t.holdsWhatWasRead(f, t.sp.done) {
		off = t.sp.done
		t.notice("replaced by a copy; going on at offset %d of the new file", off)
	} else {
		t.flush()
		t.checkpoint()
		t.notice("rotated; reading the new file")
	}
	if err := t.use(f, off, false); err != nil {
		return err
	}
	t.checkpoint()
	return nil
}

// add folds a finished lineSet's counts in.
func (s *Stats) add(ls *lineSet) {
	s.Lines += ls.stats.Lines
	s.Events += ls.stats.Events
	s.Ambiguous += ls.stats.Ambiguous
	s.Malformed += ls.stats.Malformed
	s.TooLong += ls.stats.TooLong
	ls.stats = Stats{}
}
