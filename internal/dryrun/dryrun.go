// Package dryrun works out what the user and group options would do to
// tcpdmatch and tcpdchk. Debian's checkers really switch their own
// credentials on those options (a defect: Debian's initgroups patch
// inverted the dry-run test), so their verdict depends on whether the
// switch succeeds, and what they can read afterwards depends on who they
// have become. Accounts gives the same verdict and the same error text,
// and Files the same access to files, without switching anything: this
// process keeps its identity.
package dryrun

import (
	"os"
	"os/user"
	"slices"
	"strconv"
)

// Accounts simulates the credentials of a process that performs the user
// and group options, starting from this process's effective ids. It
// implements access.Accounts. The zero value is root without
// supplementary groups.
type Accounts struct {
	UID, GID int
	// Groups are the supplementary group ids.
	Groups []int
}

// New starts from the effective user and group ids and the supplementary
// groups of this process.
func New() *Accounts {
	groups, _ := os.Getgroups()
	return &Accounts{UID: os.Geteuid(), GID: os.Getegid(), Groups: groups}
}

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
	a.Groups = nil
	return nil
}

// User is the user option without a group part: setuid, then setgid to
// the user's group, then initgroups, in that order (so that, run as root,
// "user nobody" fails at setgid: the process is no longer root by then).
func (a *Accounts) User(name string) error {
	u, uid, err := lookupUser(name)
	if err != nil {
		return err
	}
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
	// Only root gets here, whose reading does not depend on its groups;
	// they matter again if a later option changes the uid but fails
	// before it changes the groups.
	a.Groups = []int{gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if id, err := strconv.Atoi(s); err == nil && !slices.Contains(a.Groups, id) {
				a.Groups = append(a.Groups, id)
			}
		}
	}
	return nil
}

// UserGroup is the user option with a group part (user.group). Debian's
// tcpd then does the group part as the group option does and afterwards
// only setuid: neither the user's own group nor initgroups. So, run as
// root, "user nobody.nogroup" succeeds where "group nogroup: user nobody"
// fails at initgroups, and "user daemon.root" leaves the process with
// daemon's uid and root's gid.
func (a *Accounts) UserGroup(name, group string) error {
	if err := a.Group(group); err != nil {
		return err
	}
	_, uid, err := lookupUser(name)
	if err != nil {
		return err
	}
	if a.UID != 0 && uid != a.UID {
		return errText("setuid(" + name + eperm)
	}
	a.UID = uid
	return nil
}

func lookupUser(name string) (*user.User, int, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, 0, errText(`unknown user: "` + name + `"`)
	}
	uid, _ := strconv.Atoi(u.Uid)
	return u, uid, nil
}

func (a *Accounts) inGroup(gid int) bool {
	return gid == a.GID || slices.Contains(a.Groups, gid)
}
