// Package dryrun works out what the user and group options would do to
// tcpdmatch and tcpdchk. Debian's checkers really switch their own
// credentials on those options (a defect: Debian's initgroups patch
// inverted the dry-run test), so their verdict depends on whether the
// switch succeeds. Accounts gives the same verdict and the same error
// text without switching anything: this process keeps its identity.
package dryrun

import (
	"os"
	"os/user"
	"strconv"
)

// Accounts simulates the credentials of a process that performs the user
// and group options, starting from this process's effective ids. It
// implements access.Accounts. The zero value is root.
type Accounts struct {
	UID, GID int
}

// New starts from the effective user and group ids of this process.
func New() *Accounts { return &Accounts{UID: os.Geteuid(), GID: os.Getegid()} }

type errText string

func (e errText) Error() string { return string(e) }

const eperm = "): Operation not permitted"

// Group is the group option (and the group part of user.group): setgid,
// then dropping the supplementary groups, both of which need root unless
// the group is already the current one (setgroups needs root always).
func (a *Accounts) Group(name string) error {
	g, err := user.LookupGroup(name)
	if err != nil {
		return errText(`unknown group: "` + name + `"`)
	}
	gid, _ := strconv.Atoi(g.Gid)
	if a.UID != 0 && gid != a.GID {
		return errText("setgid(" + name + eperm)
	}
	a.GID = gid
	if a.UID != 0 {
		return errText("setgroups(" + name + eperm)
	}
	return nil
}

// User is the user option: setuid, then setgid to the user's group, then
// initgroups, in that order (so that, run as root, "user nobody" fails at
// setgid: the process is no longer root by then).
func (a *Accounts) User(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return errText(`unknown user: "` + name + `"`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if a.UID != 0 && uid != a.UID {
		return errText("setuid(" + name + eperm)
	}
	a.UID = uid
	if a.UID != 0 && gid != a.GID {
		return errText("setgid(" + name + eperm)
	}
	a.GID = gid
	if a.UID != 0 {
		return errText("initgroups(" + name + eperm)
	}
	return nil
}
