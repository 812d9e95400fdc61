package dryrun

import (
	"slices"
	"testing"
)

// The outcomes Debian's tcpdmatch gives when run as root (tricky cases
// E05, E06 and a case found by internal/difftest).
func TestAsRoot(t *testing.T) {
	steps := []struct {
		name      string
		ops       func(a *Accounts) error
		want      string
		uid, gids int
	}{
		{"user nobody fails at setgid", func(a *Accounts) error { return a.User("nobody") }, "setgid(nobody): Operation not permitted", 65534, 0},
		{"user root.root succeeds", func(a *Accounts) error {
			if err := a.Group("root"); err != nil {
				return err
			}
			return a.User("root")
		}, "", 0, 0},
		{"group nogroup then user nobody fails at initgroups", func(a *Accounts) error {
			if err := a.Group("nogroup"); err != nil {
				return err
			}
			return a.User("nobody")
		}, "initgroups(nobody): Operation not permitted", 65534, 65534},
		{"unknown user", func(a *Accounts) error { return a.User("no-such-user-here") }, `unknown user: "no-such-user-here"`, 0, 0},
		{"unknown group", func(a *Accounts) error { return a.Group("no-such-group-here") }, `unknown group: "no-such-group-here"`, 0, 0},
	}
	for _, s := range steps {
		a := &Accounts{}
		err := s.ops(a)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != s.want || a.UID != s.uid || a.GID != s.gids {
			t.Errorf("%s: %q uid=%d gid=%d, want %q uid=%d gid=%d", s.name, got, a.UID, a.GID, s.want, s.uid, s.gids)
		}
	}
}

// The user option with a group part does the group part and then only
// setuid (no setgid to the user's group, no initgroups), as Debian's
// tcpdmatch does (seen with strace, run as root and as nobody).
func TestUserGroup(t *testing.T) {
	root := Accounts{Groups: []int{0, 4}}
	nobody := Accounts{UID: 65534, GID: 65534}
	cases := []struct {
		start       Accounts
		user, group string
		want        string
		uid, gid    int
		groups      []int
	}{
		{root, "nobody", "nogroup", "", 65534, 65534, nil},
		{root, "daemon", "root", "", 1, 0, nil},
		{root, "no-such-user-here", "nogroup", `unknown user: "no-such-user-here"`, 0, 65534, nil},
		{root, "nobody", "no-such-group-here", `unknown group: "no-such-group-here"`, 0, 0, []int{0, 4}},
		{nobody, "nobody", "nogroup", "setgroups(nogroup): Operation not permitted", 65534, 65534, nil},
		{nobody, "nobody", "root", "setgid(root): Operation not permitted", 65534, 65534, nil},
	}
	for _, c := range cases {
		a := c.start
		err := a.UserGroup(c.user, c.group)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want || a.UID != c.uid || a.GID != c.gid || !slices.Equal(a.Groups, c.groups) {
			t.Errorf("uid %d, %s.%s: %q uid=%d gid=%d groups=%v, want %q uid=%d gid=%d groups=%v",
				c.start.UID, c.user, c.group, got, a.UID, a.GID, a.Groups, c.want, c.uid, c.gid, c.groups)
		}
	}
}
