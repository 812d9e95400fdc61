package rawfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("ALL: 10.0.0.1\n"), 100000)
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", []byte("sshd: 127.0.0.2\n")},
		{"big", big},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(p)
			if !bytes.Equal(got, want) {
				t.Fatalf("got %d bytes, os.ReadFile %d", len(got), len(want))
			}
		})
	}
}

// Files whose size stat does not tell (/proc) are read to the end.
func TestReadFileUnknownSize(t *testing.T) {
	got, err := ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip(err)
	}
	if len(got) == 0 || !bytes.Contains(got, []byte("\n")) {
		t.Fatalf("read %q", got)
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing"))
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" {
		t.Fatalf("missing file: %v", err)
	}
	_, err = ReadFile(dir)
	if !errors.Is(err, syscall.EISDIR) || !errors.As(err, &pe) || pe.Op != "read" {
		t.Fatalf("directory: %v", err)
	}
	_, oserr := os.ReadFile(dir)
	if err.Error() != oserr.Error() {
		t.Fatalf("directory: %q, os.ReadFile says %q", err, oserr)
	}
}

// Open's FileInfo says what os.Stat says.
func TestOpenFileInfo(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("x\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o4640|os.ModeSetuid)
	for _, name := range []string{p, dir, "/dev/null"} {
		fd, fi, err := Open(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Close(fd)
		want, _ := os.Stat(name)
		if fi.Name() != want.Name() || fi.Size() != want.Size() || fi.Mode() != want.Mode() ||
			!fi.ModTime().Equal(want.ModTime()) || fi.IsDir() != want.IsDir() ||
			fi.Sys().(*syscall.Stat_t).Ino != want.Sys().(*syscall.Stat_t).Ino {
			t.Errorf("%s: Open says %v %d %v %v, os.Stat %v %d %v %v", name,
				fi.Name(), fi.Size(), fi.Mode(), fi.ModTime(), want.Name(), want.Size(), want.Mode(), want.ModTime())
		}
	}
	l := filepath.Join(dir, "link")
	os.Symlink(p, l)
	if _, _, err := ReadFileInfo(l, syscall.O_NOFOLLOW); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("O_NOFOLLOW on a symlink: %v", err)
	}
}
