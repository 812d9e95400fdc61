package logscan

import (
	"context"
	"io"
	"path/filepath"

	"tcpwrap/watch"
)

// NewFramer and Next expose the RFC 6587 frame reader to the tests.
func NewFramer(r io.Reader, max int) interface {
	Next() (msg []byte, tooLong bool, err error)
} {
	return frameReader{newFramer(r, max)}
}

type frameReader struct{ f *framer }

func (r frameReader) Next() ([]byte, bool, error) { return r.f.next() }

// NewStepper exposes one Follow's steps to the tests, so that they can
// change the file between two steps deterministically.
func NewStepper(path string, fn func(watch.Event), notice func(string)) (step func() error, closeFn func()) {
	t := &tail{
		path: path, dir: filepath.Dir(path), base: filepath.Base(path),
		opts: FollowOptions{Notice: notice}, fn: fn,
		sp: newSplitter(0), wake: make(chan struct{}, 1),
	}
	if err := t.start(Position{}); err != nil {
		panic(err)
	}
	return func() error { return t.step(context.Background()) }, t.close
}
