package atomicfile_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tcpwrap/internal/atomicfile"
)

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name  string
		old   string // "" means no file before
		data  string
		perm  os.FileMode
		umask bool
	}{
		{name: "new file", data: "one\n", perm: 0o600},
		{name: "replace", old: "old content that is longer\n", data: "new\n", perm: 0o600},
		{name: "world readable", old: "x", data: "10.0.0.1\n", perm: 0o644},
		{name: "empty", old: "x", data: "", perm: 0o640},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "state")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.WriteFile(path, []byte(tc.data), tc.perm); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.data {
				t.Errorf("content = %q, want %q", got, tc.data)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.perm)
			}
			assertOnly(t, dir, "state")
		})
	}
}

// A failed rename (the target is a non-empty directory) leaves the
// target alone and no temporary file behind.
func TestWriteFileFailureCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("data"), 0o600); err == nil {
		t.Fatal("WriteFile over a non-empty directory: no error")
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		t.Fatalf("target changed: %v %v", fi, err)
	}
	assertOnly(t, dir, "target")
}

func TestWriteFileMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := atomicfile.WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatal("WriteFile in a missing directory: no error")
	}
}

func TestMoveAside(t *testing.T) {
	now := time.Date(2024, 3, 9, 14, 5, 6, 0, time.FixedZone("X", 3600))
	const stamp = ".damaged-20240309T130506Z"
	tests := []struct {
		name    string
		taken   []string // suffixes after path that already exist
		want    string   // suffix after path of the new name
		wantErr bool
	}{
		{name: "free", want: stamp},
		{name: "first taken", taken: []string{stamp}, want: stamp + ".1"},
		{name: "two taken", taken: []string{stamp, stamp + ".1"}, want: stamp + ".2"},
		{name: "gap", taken: []string{stamp, stamp + ".2"}, want: stamp + ".1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bans.json")
			write(t, path, "damaged")
			for _, s := range tc.taken {
				write(t, path+s, "earlier "+s)
			}
			aside, err := atomicfile.MoveAside(path, now)
			if err != nil {
				t.Fatalf("MoveAside: %v", err)
			}
			if aside != path+tc.want {
				t.Errorf("aside = %q, want %q", aside, path+tc.want)
			}
			if got, _ := os.ReadFile(aside); string(got) != "damaged" {
				t.Errorf("%s holds %q", aside, got)
			}
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("%s still there: %v", path, err)
			}
			for _, s := range tc.taken {
				if got, _ := os.ReadFile(path + s); string(got) != "earlier "+s {
					t.Errorf("%s overwritten: %q", path+s, got)
				}
			}
		})
	}
}

func TestMoveAsideNoFreeName(t *testing.T) {
	now := time.Unix(0, 0)
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	write(t, path, "damaged")
	base := path + ".damaged-19700101T000000Z"
	write(t, base, "")
	for i := 1; i < 100; i++ {
		write(t, base+"."+strconv.Itoa(i), "")
	}
	if aside, err := atomicfile.MoveAside(path, now); err == nil {
		t.Fatalf("MoveAside = %q, want an error", aside)
	}
	if got, _ := os.ReadFile(path); string(got) != "damaged" {
		t.Errorf("file changed: %q", got)
	}
}

func TestMoveAsideMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone")
	if aside, err := atomicfile.MoveAside(path, time.Now()); err == nil {
		t.Fatalf("MoveAside of a missing file = %q, want an error", aside)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}
