package access

import (
	"io"
	"strings"
)

// bannerLine is how much of a banner file tcp_wrappers reads at a time.
const bannerLine = 8190

// writeBanner copies the banner file dir/daemon to out as tcp_wrappers'
// banners option does: leading NUL bytes are copied as they are; then each
// line (at most 8190 bytes at a time) whose newline lies outside square
// brackets gets CR LF in place of it, is %-expanded and written. A NUL
// byte inside a line ends that line's text. A missing file is silent; a
// missing directory is a warning.
func (f *Facts) writeBanner(fsys FileSystem, dir string, out io.Writer) error {
	data, err := fsys.ReadFile(dir + "/" + f.Daemon())
	if err != nil {
		if _, serr := fsys.Stat(dir); serr != nil {
			f.warn(dir + ": " + Strerror(serr))
		}
		return nil
	}
	i := 0
	for i < len(data) && data[i] == 0 {
		if _, err := out.Write([]byte{0}); err != nil {
			return err
		}
		i++
	}
	r := &lineReader{src: string(data), off: i}
	for {
		chunk, ok := r.fgets(bannerLine + 1)
		if !ok {
			return nil
		}
		line := chunk
		if k := strings.IndexByte(line, 0); k >= 0 {
			line = line[:k]
		}
		if before, _, found := splitAt(line, '\n'); found {
			line = before + "\r\n"
		}
		text, err := f.Expand(line, MaxBannerExpansion)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(out, text); err != nil {
			return err
		}
	}
}
