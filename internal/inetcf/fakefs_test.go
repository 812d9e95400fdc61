package inetcf_test

import (
	"io"
	"io/fs"
	"path"
	"strings"
	"syscall"
	"time"
)

// fakeFS is an in-memory tree that resolves paths the way the kernel does
// for the cases the tests need: "//" and "." are ignored, ".." goes up,
// a non-directory in the middle or before a trailing slash is ENOTDIR, a
// missing component is ENOENT, and a node may be set to fail with any
// errno (ELOOP for a symlink loop, EACCES for a private directory).
// Relative paths are relative to cwd.
type fakeFS struct {
	cwd   string
	nodes map[string]fakeNode
}

type fakeNode struct {
	dir  bool
	mode uint32 // octal, with 04000/02000/01000 for set-uid/set-gid/sticky
	data string
	err  syscall.Errno
}

func dir(mode uint32) fakeNode                { return fakeNode{dir: true, mode: mode} }
func file(mode uint32) fakeNode               { return fakeNode{mode: mode} }
func fileData(mode uint32, d string) fakeNode { return fakeNode{mode: mode, data: d} }
func fail(e syscall.Errno) fakeNode           { return fakeNode{err: e} }
func newFakeFS(cwd string) *fakeFS {
	return &fakeFS{cwd: cwd, nodes: map[string]fakeNode{"/": dir(0o755)}}
}

// set adds a node, creating missing parents as 0755 directories.
func (f *fakeFS) set(p string, n fakeNode) {
	p = path.Clean(p)
	for d := path.Dir(p); ; d = path.Dir(d) {
		if _, ok := f.nodes[d]; !ok {
			f.nodes[d] = dir(0o755)
		}
		if d == "/" {
			break
		}
	}
	f.nodes[p] = n
}

func (f *fakeFS) resolve(op, name string) (fakeNode, error) {
	perr := func(e syscall.Errno) error { return &fs.PathError{Op: op, Path: name, Err: e} }
	if name == "" {
		return fakeNode{}, perr(syscall.ENOENT)
	}
	p := name
	if !strings.HasPrefix(p, "/") {
		p = f.cwd + "/" + p
	}
	var stack []string
	cur := f.nodes["/"]
	for _, c := range strings.Split(p, "/") {
		if c == "" {
			continue
		}
		if !cur.dir {
			return fakeNode{}, perr(syscall.ENOTDIR)
		}
		switch c {
		case ".":
			continue
		case "..":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			stack = append(stack, c)
		}
		n, ok := f.nodes["/"+strings.Join(stack, "/")]
		if !ok {
			return fakeNode{}, perr(syscall.ENOENT)
		}
		if n.err != 0 {
			return fakeNode{}, perr(n.err)
		}
		cur = n
	}
	if strings.HasSuffix(p, "/") && !cur.dir {
		return fakeNode{}, perr(syscall.ENOTDIR)
	}
	return cur, nil
}

func (f *fakeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return fakeInfo{name: path.Base(name), n: n}, nil
}

func (f *fakeFS) Open(name string) (io.ReadCloser, error) {
	n, err := f.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if n.dir {
		return io.NopCloser(errReader{syscall.EISDIR}), nil
	}
	return io.NopCloser(strings.NewReader(n.data)), nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type fakeInfo struct {
	name string
	n    fakeNode
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return int64(len(i.n.data)) }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.n.dir }
func (i fakeInfo) Sys() any           { return nil }
func (i fakeInfo) Mode() fs.FileMode {
	m := fs.FileMode(i.n.mode & 0o777)
	if i.n.dir {
		m |= fs.ModeDir
	}
	if i.n.mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if i.n.mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if i.n.mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
