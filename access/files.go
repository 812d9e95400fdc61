package access

import (
	"io/fs"
	"path"
	"strings"
)

// FileSystem reads the files that /file patterns and the banners option
// name, by their paths as written: absolute, or relative to the working
// directory. The real one is in package hostsfile; tests use FromFS.
type FileSystem interface {
	ReadFile(name string) ([]byte, error)
	Stat(name string) (fs.FileInfo, error)
}

// FromFS adapts an fs.FS that stands for the root directory: a path loses
// its leading '/' (and relative paths are taken from the root too).
func FromFS(fsys fs.FS) FileSystem { return rootFS{fsys} }

type rootFS struct{ fsys fs.FS }

func (r rootFS) name(p string) (string, error) {
	rel := strings.TrimPrefix(path.Clean(p), "/")
	if rel == "" {
		rel = "."
	}
	if !fs.ValidPath(rel) {
		return "", fs.ErrNotExist
	}
	return rel, nil
}

func (r rootFS) ReadFile(p string) ([]byte, error) {
	n, err := r.name(p)
	if err != nil {
		return nil, err
	}
	return fs.ReadFile(r.fsys, n)
}

func (r rootFS) Stat(p string) (fs.FileInfo, error) {
	n, err := r.name(p)
	if err != nil {
		return nil, err
	}
	return fs.Stat(r.fsys, n)
}
