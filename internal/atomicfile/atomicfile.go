// Package atomicfile replaces files so that a reader, or the next start
// after a crash, sees either the old content or the new one whole, and
// sets damaged files aside without overwriting anything.
//
// It serves the state files of tcpdwatch and of the watch packages (read
// positions, seen alerts, bans) and the deny list that tcpd reads through
// a /file pattern.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteFile replaces path with data. A temporary file is created in the
// same directory (so that the rename cannot cross file systems), written,
// given mode perm, synced and renamed over path; then the directory is
// synced so that the rename itself survives a crash. On any error before
// the rename the temporary file is removed and path is left as it was.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// MoveAside renames a damaged file to PATH.damaged-TIME, TIME being now
// in UTC to the second, and returns the new name. When that name is
// taken it tries PATH.damaged-TIME.1, .2 and so on up to .99, so that it
// does not replace a file it finds there.
func MoveAside(path string, now time.Time) (string, error) {
	base := path + ".damaged-" + now.UTC().Format("20060102T150405Z")
	for i := 0; i < 100; i++ {
		aside := base
		if i > 0 {
			aside = fmt.Sprintf("%s.%d", base, i)
		}
		if _, err := os.Lstat(aside); err == nil {
			continue
		}
		if err := os.Rename(path, aside); err != nil {
			return "", err
		}
		return aside, nil
	}
	return "", errors.New("no free name to keep the damaged file")
}
