// Package chromiumtest renders pages in Debian's headless Chromium for
// tests that look at what a person would see: a screenshot of a window
// of a given size, or the DOM after the browser parsed the page.
//
// Chromium runs with its profile, home and caches in a directory of the
// test's, with background networking, component updates, sync and QUIC
// off; it loads the page from a file only, so a page with no external
// assets makes no network traffic. Each run is bounded by two minutes.
package chromiumtest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Browser is headless Chromium set up for one test.
type Browser struct {
	Bin           string // the chromium program
	Dir           string // its profile, home and caches
	Width, Height int    // the window, in CSS pixels
}

// ErrMissing is returned by New when chromium is not installed.
var ErrMissing = errors.New("chromium is not installed (apt-get install -y chromium)")

// New finds chromium on PATH and returns a browser whose window is
// width × height and whose files go to dir. The test decides whether
// ErrMissing skips it or only a part of it.
func New(dir string, width, height int) (*Browser, error) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		return nil, ErrMissing
	}
	return &Browser{Bin: bin, Dir: dir, Width: width, Height: height}, nil
}

// Run opens page (an absolute file name) with the extra arguments and
// returns what Chromium wrote to its standard output. A failure, or a
// run longer than two minutes, fails the test with Chromium's standard
// error.
func (b *Browser) Run(t testing.TB, page string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(b.Dir, "profile"),
		"--window-size=" + strconv.Itoa(b.Width) + "," + strconv.Itoa(b.Height),
	}, args...)
	cmd := exec.CommandContext(ctx, b.Bin, append(all, "file://"+page)...)
	cmd.Env = append(os.Environ(), "HOME="+b.Dir, "XDG_CONFIG_HOME="+filepath.Join(b.Dir, "config"), "XDG_CACHE_HOME="+filepath.Join(b.Dir, "cache"))
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %q: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// Screenshot renders page to the PNG file shot and returns its content.
func (b *Browser) Screenshot(t testing.TB, page, shot string) []byte {
	t.Helper()
	b.Run(t, page, "--screenshot="+shot)
	data, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// DOM returns the page's DOM as the browser serialises it after parsing
// (and running any script).
func (b *Browser) DOM(t testing.TB, page string) []byte {
	t.Helper()
	return b.Run(t, page, "--dump-dom")
}
