package remote

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func testMsg(i int) []byte {
	// Lengths vary so that records straddle read and segment boundaries.
	return fmt.Appendf(nil, "<13>1 - - app - - - record %d %s", i, make([]byte, i%300))
}

func mustOpen(t *testing.T, dir string, limit int64) *spool {
	t.Helper()
	sp, err := openSpool(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func appendN(t *testing.T, sp *spool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if n, err := sp.append(testMsg(i)); n != 1 || err != nil {
			t.Fatalf("append %d: %d, %v", i, n, err)
		}
	}
}

// readN reads n records and checks they are from, from+1, ...; it
// returns the position after the last.
func readN(t *testing.T, sp *spool, from, n int) spoolPos {
	t.Helper()
	var end spoolPos
	got := 0
	for got < n {
		k, e, err := sp.next(1, func(m []byte) {
			if want := testMsg(from + got); string(m) != string(want) {
				t.Fatalf("record %d: %.40q, want %.40q", from+got, m, want)
			}
			got++
		})
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			t.Fatalf("spool ended after %d of %d records", got, n)
		}
		end = e
	}
	if got != n {
		t.Fatalf("read %d records, want %d", got, n)
	}
	return end
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "seg-*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func TestSpoolRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, 1<<20) // 128 KiB segments
	appendN(t, sp, 0, 2000)
	if n := len(segFiles(t, dir)); n < 3 {
		t.Fatalf("%d segments, want several", n)
	}
	end := readN(t, sp, 0, 1500)
	if unread, pending, _ := sp.counts(); unread != 500 || pending != 2000 {
		t.Fatalf("unread %d pending %d", unread, pending)
	}
	sp.settle(end, 1500)
	if err := sp.maintain(time.Now(), true); err != nil {
		t.Fatal(err)
	}
	segs := segFiles(t, dir)
	if err := sp.close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the spool resumes after the committed record, and the
	// segments before it are gone.
	sp = mustOpen(t, dir, 1<<20)
	if _, pending, _ := sp.counts(); pending != 500 {
		t.Fatalf("pending %d after reopen, want 500", pending)
	}
	if filepath.Base(segs[0]) == segName(1) {
		t.Errorf("delivered segment %s not removed", segs[0])
	}
	end = readN(t, sp, 1500, 500)
	sp.settle(end, 500)
	// Everything delivered: a fresh segment replaces the old ones.
	if err := sp.maintain(time.Now(), true); err != nil {
		t.Fatal(err)
	}
	if segs := segFiles(t, dir); len(segs) != 1 {
		t.Errorf("segments left after delivering everything: %q", segs)
	}
	if _, _, bytes := sp.counts(); bytes != 0 {
		t.Errorf("%d bytes left", bytes)
	}
	sp.close()
}

func TestSpoolRewind(t *testing.T) {
	sp := mustOpen(t, t.TempDir(), 1<<20)
	defer sp.close()
	appendN(t, sp, 0, 100)
	end := readN(t, sp, 0, 30)
	sp.settle(end, 30)
	readN(t, sp, 30, 40)
	sp.rewind()
	readN(t, sp, 30, 70)
}

// TestSpoolCrash closes the files without committing: records read but
// not committed come out again (duplicates, never losses).
func TestSpoolCrash(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, 1<<20)
	appendN(t, sp, 0, 100)
	end := readN(t, sp, 0, 50)
	sp.settle(end, 50)
	if err := sp.maintain(time.Now(), true); err != nil {
		t.Fatal(err)
	}
	end = readN(t, sp, 50, 20)
	sp.settle(end, 20) // settled, but COMMIT not yet written
	sp.closeFiles()

	sp = mustOpen(t, dir, 1<<20)
	defer sp.close()
	if _, pending, _ := sp.counts(); pending != 50 {
		t.Fatalf("pending %d, want 50", pending)
	}
	readN(t, sp, 50, 50)
}

// TestSpoolTornTail appends half a record, as a crash in the middle of a
// write leaves it: it is ignored, cut off, and appends go on after the
// last good record.
func TestSpoolTornTail(t *testing.T) {
	for _, torn := range []struct {
		name string
		data []byte
	}{
		{"short header", []byte{0, 0}},
		{"short body", []byte{0, 0, 0, 100, 1, 2, 3, 4, 'x', 'y'}},
		{"bad crc", append([]byte{0, 0, 0, 3, 1, 2, 3, 4}, "abc"...)},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}},
	} {
		t.Run(torn.name, func(t *testing.T) {
			dir := t.TempDir()
			sp := mustOpen(t, dir, 1<<20)
			appendN(t, sp, 0, 10)
			sp.closeFiles()
			segs := segFiles(t, dir)
			f, err := os.OpenFile(segs[len(segs)-1], os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(torn.data)
			f.Close()

			sp = mustOpen(t, dir, 1<<20)
			defer sp.close()
			if _, pending, _ := sp.counts(); pending != 10 {
				t.Fatalf("pending %d, want 10", pending)
			}
			appendN(t, sp, 10, 12)
			readN(t, sp, 0, 12)
		})
	}
}

// TestSpoolCommitSlot damages the newer COMMIT slot: the older one counts,
// so some records are delivered again rather than lost.
func TestSpoolCommitSlot(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, 1<<20)
	appendN(t, sp, 0, 30)
	for i := range 3 {
		end := readN(t, sp, i*10, 10)
		sp.settle(end, 10)
		if err := sp.writeCommit(end); err != nil {
			t.Fatal(err)
		}
	}
	gen := sp.gen
	sp.closeFiles()
	f, err := os.OpenFile(filepath.Join(dir, "COMMIT"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xde, 0xad}, int64(gen%2)*commitSlot+17)
	f.Close()
	sp = mustOpen(t, dir, 1<<20)
	defer sp.close()
	if _, pending, _ := sp.counts(); pending != 10 {
		t.Fatalf("pending %d, want 10 (the older slot says 20 of 30 delivered)", pending)
	}
	readN(t, sp, 20, 10)
}

// TestSpoolFull checks that the newest records are the ones refused.
func TestSpoolFull(t *testing.T) {
	sp := mustOpen(t, t.TempDir(), 64<<10)
	defer sp.close()
	msgs := make([][]byte, 2000)
	for i := range msgs {
		msgs[i] = testMsg(i)
	}
	n, err := sp.append(msgs...)
	if err != nil || n == 0 || n == len(msgs) {
		t.Fatalf("append: %d, %v", n, err)
	}
	if _, _, bytes := sp.counts(); bytes > 64<<10 {
		t.Errorf("%d bytes in a spool of 64 KiB", bytes)
	}
	readN(t, sp, 0, n)
}

func TestSpoolLocked(t *testing.T) {
	dir := t.TempDir()
	sp := mustOpen(t, dir, 1<<20)
	if _, err := openSpool(dir, 1<<20); !errors.Is(err, errSpoolBusy) {
		t.Errorf("second open: %v, want %v", err, errSpoolBusy)
	}
	sp.close()
	sp = mustOpen(t, dir, 1<<20)
	sp.close()
}
