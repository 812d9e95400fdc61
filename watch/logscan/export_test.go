package logscan

import "io"

// NewFramer and Next expose the RFC 6587 frame reader to the tests.
func NewFramer(r io.Reader, max int) interface {
	Next() (msg []byte, tooLong bool, err error)
} {
	return frameReader{newFramer(r, max)}
}

type frameReader struct{ f *framer }

func (r frameReader) Next() ([]byte, bool, error) { return r.f.next() }
