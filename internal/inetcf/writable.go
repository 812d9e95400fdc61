package inetcf

import (
	"io/fs"
	"strings"
)

// CheckWorldWritable returns the warnings Debian's checkers log about
// path: "warning: <path>: world writable" if path itself is writable by
// others, then, for an absolute path, the same for each parent directory
// from the nearest up to and including "/". Parents are found by cutting
// the text at its last slash, so "/a//b" yields "/a/" and then "/a", and
// "/a/b/../c" yields "/a/b/..". Nothing is checked (and nil is returned)
// if path cannot be stat'ed; a relative path is only checked itself.
// Sticky directories such as /tmp count as world writable.
func CheckWorldWritable(fsys FS, path string) []string {
	fi, err := fsys.Stat(path)
	if err != nil {
		return nil
	}
	paths := worldWritable(fsys, path, fi)
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = "warning: " + p + ": world writable"
	}
	return out
}

// worldWritable lists the world-writable ones among path (whose stat
// result is fi) and, if path is absolute, its textual parents. A parent
// that cannot be stat'ed ends the walk.
func worldWritable(fsys FS, path string, fi fs.FileInfo) []string {
	var out []string
	if fi.Mode().Perm()&0o002 != 0 {
		out = append(out, path)
	}
	if !strings.HasPrefix(path, "/") {
		return out
	}
	for cur := path; ; {
		parent := cur[:strings.LastIndexByte(cur, '/')]
		if parent == "" {
			parent = "/"
		}
		if parent == cur {
			return out
		}
		pfi, err := fsys.Stat(parent)
		if err != nil {
			return out
		}
		if pfi.Mode().Perm()&0o002 != 0 {
			out = append(out, parent)
		}
		cur = parent
	}
}
