package report

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// WriteJSON writes the report as one indented JSON object followed by a
// newline. The field names are listed in the package documentation. The
// strings hold the data as logged, but the output is pure ASCII: every
// other character, and < > &, is a \u escape.
func (r *Report) WriteJSON(w io.Writer) error {
	v := *r
	// Empty lists are [] rather than null, so that consumers need not
	// tell the two apart.
	if v.Services == nil {
		v.Services = []ServiceStat{}
	}
	if v.Sources == nil {
		v.Sources = []SourceStat{}
	}
	if v.NewSources == nil {
		v.NewSources = []NewSource{}
	}
	if v.Rules == nil {
		v.Rules = []RuleStat{}
	}
	if v.Timeline == nil {
		v.Timeline = []Hour{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&v); err != nil {
		return err
	}
	_, err := w.Write(asciiJSON(buf.Bytes()))
	return err
}

// asciiJSON rewrites every non-ASCII character of a JSON text as a \u
// escape (two, for characters beyond the BMP). Outside strings JSON is
// ASCII, so every such character is inside a string, where the escape
// means the same. encoding/json has already replaced invalid UTF-8.
func asciiJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, i, len(b)+len(b)/4)
	copy(out, b[:i])
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			out = appendU(out, r1)
			out = appendU(out, r2)
		} else {
			out = appendU(out, r)
		}
	}
	return out
}

func appendU(b []byte, r rune) []byte {
	b = append(b, `\u`...)
	h := strconv.FormatUint(uint64(r), 16)
	for range 4 - len(h) {
		b = append(b, '0')
	}
	return append(b, h...)
}
