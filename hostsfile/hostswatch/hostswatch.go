// Package hostswatch reloads a hostsfile.Engine as soon as the file system
// reports a change to one of its files, instead of at the Engine's next
// check interval. It is a package of its own so that programs that decide
// once and exit (tcpd) do not link, or initialise, the file-system
// notifier.
package hostswatch

import (
	"context"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"tcpwrap/hostsfile"
)

// Watch reloads e's tables whenever one of their files changes (it
// watches the directories holding them, so that files replaced by rename
// are seen too), until ctx is done. It returns the watcher's error, or nil
// when ctx ends.
func Watch(ctx context.Context, e *hostsfile.Engine) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	watched := map[string]bool{}
	watch := func() {
		for _, p := range e.Files() {
			dir := filepath.Dir(p)
			if !watched[dir] {
				if err := w.Add(dir); err == nil {
					watched[dir] = true
				}
			}
		}
	}
	watch()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if !involves(e.Files(), ev.Name) {
				continue
			}
			if e.Stale() {
				e.Reload()
				watch()
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if err != nil && err != fsnotify.ErrEventOverflow {
				return err
			}
			// Events were lost: look at the files ourselves.
			if e.Stale() {
				e.Reload()
			}
		}
	}
}

// involves reports whether name is one of the files.
func involves(files []string, name string) bool {
	for _, p := range files {
		if filepath.Clean(p) == filepath.Clean(name) || sameFile(p, name) {
			return true
		}
	}
	return false
}

func sameFile(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}
