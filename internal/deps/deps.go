//go:build tools

// Package deps pins the modules that the project's packages import, so that
// concurrent work does not race on go.mod.
package deps

import (
	_ "github.com/fsnotify/fsnotify"
	_ "github.com/miekg/dns"
	_ "golang.org/x/sys/unix"
)
