package dryrun

import "testing"

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
