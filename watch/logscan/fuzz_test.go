package logscan_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"tcpwrap/watch"
	"tcpwrap/watch/logscan"
	"tcpwrap/watch/logscan/parse"
)

// chunkReader returns its data in reads of the given sizes, in turn.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.sizes) > 0 {
		n = int(r.sizes[r.i%len(r.sizes)]) + 1
		r.i++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func scanAll(t *testing.T, r io.Reader, maxLine int) ([]string, logscan.Stats) {
	var out []string
	o := logscan.Options{Parse: parse.Config{Location: time.UTC}, Reference: ref, MaxLine: maxLine}
	st, err := logscan.Scan(r, o, func(ev watch.Event) {
		out = append(out, fmt.Sprintf("%s %s %s %s %v", ev.Source, ev.Verdict, ev.Daemon, ev.Addr, ev.Time))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// FuzzScan: however the input is cut into reads, Scan finds the same
// lines and Events, and its counts add up.
func FuzzScan(f *testing.F) {
	f.Add([]byte("Nov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)\nxx\n"), []byte{0, 5, 200}, uint8(0))
	f.Add([]byte(strings.Repeat("y", 300)+"\nNov 27 05:48:56 gate in.fingerd[1]: refused connect from 127.0.0.2 (127.0.0.2)"), []byte{63}, uint8(2))
	f.Add([]byte(`{"time":"2026-11-27T04:05:07Z","verdict":"denied","daemon":"in.fake","client":{"addr":"127.0.0.2"}}`+"\n\n"), []byte{1}, uint8(1))
	f.Fuzz(func(t *testing.T, data, sizes []byte, maxLine uint8) {
		max := int(maxLine) * 8
		whole, st1 := scanAll(t, bytes.NewReader(data), max)
		cut, st2 := scanAll(t, &chunkReader{data: data, sizes: sizes}, max)
		if fmt.Sprint(whole) != fmt.Sprint(cut) || st1 != st2 {
			t.Fatalf("whole: %v %+v\ncut:   %v %+v", whole, st1, cut, st2)
		}
		if st1.Bytes != int64(len(data)) || st1.Events != int64(len(whole)) || st1.Events+st1.Malformed+st1.TooLong > st1.Lines {
			t.Fatalf("stats %+v for %d bytes, %d events", st1, len(data), len(whole))
		}
	})
}

// FuzzFramer: any byte stream reads as frames without panics, none
// longer than the limit; a stream framed from messages reads back as
// those messages.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("5 hello3 abc<13>x\n"), "a\x00b", "c d")
	f.Add([]byte("99999999999 x"), "", "0 leading")
	f.Fuzz(func(t *testing.T, stream []byte, m1, m2 string) {
		const max = 64
		fr := logscan.NewFramer(bytes.NewReader(stream), max)
		for i := 0; i < 10000; i++ {
			msg, tooLong, err := fr.Next()
			if !tooLong && len(msg) > max+1 {
				t.Fatalf("frame of %d bytes", len(msg))
			}
			if err != nil {
				break
			}
		}
		// Framed by octet counting, both come back exactly (a count is
		// at least 1: RFC 6587's MSG-LEN starts with a non-zero digit).
		if m1 == "" || m2 == "" {
			return
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "%d %s%d %s", len(m1), m1, len(m2), m2)
		fr = logscan.NewFramer(&b, max)
		for _, want := range []string{m1, m2} {
			msg, tooLong, err := fr.Next()
			if len(want) > max {
				if !tooLong {
					t.Fatalf("%d-byte message not too long", len(want))
				}
				continue
			}
			if string(msg) != want || tooLong || (err != nil && err != io.EOF) {
				t.Fatalf("got %q %v %v, want %q", msg, tooLong, err, want)
			}
		}
	})
}

// FuzzPosition: what UnmarshalText accepts, MarshalText writes back the
// same.
func FuzzPosition(f *testing.F) {
	f.Add("2049 131075 8192 " + strings.Repeat("ab", 32))
	f.Add("1 2 3 4")
	f.Fuzz(func(t *testing.T, s string) {
		var p logscan.Position
		if p.UnmarshalText([]byte(s)) != nil {
			return
		}
		var q logscan.Position
		if err := q.UnmarshalText([]byte(p.String())); err != nil || q != p {
			t.Fatalf("%q: read back %v as %v, %v", s, p, q, err)
		}
	})
}
