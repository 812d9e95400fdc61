package superserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Accounts finds the users and groups that services run as and that the
// user and group options of hosts_options(5) name. The zero value of
// SystemAccounts is the real one; tests may supply their own.
type Accounts interface {
	// LookupUser returns the user's uid and primary gid.
	LookupUser(name string) (uid, gid int, err error)
	// LookupGroup returns the group's gid.
	LookupGroup(name string) (gid int, err error)
	// Groups returns the groups initgroups(3) would give the user with
	// gid as its group: gid first, then every group that lists the user
	// as a member.
	Groups(name string, gid int) ([]int, error)
}

// SystemAccounts reads /etc/passwd and /etc/group (through os/user and
// directly), and asks the Name Service Switch through getent(1) for names
// the local files do not have (LDAP, sssd and the like), as tcpd does.
type SystemAccounts struct {
	// GroupFile is the group file; "" means /etc/group.
	GroupFile string
	// Getent is getent(1); "" means /usr/bin/getent.
	Getent string
}

func (a SystemAccounts) getent(database, key string) ([]string, bool) {
	// A name from a rule or a file never becomes an option of getent.
	if key == "" || strings.ContainsAny(key, ":\n\x00") || strings.HasPrefix(key, "-") {
		return nil, false
	}
	path := a.Getent
	if path == "" {
		path = "/usr/bin/getent"
	}
	cmd := exec.Command(path, database, key)
	cmd.Env = []string{}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, false
	}
	timer := time.AfterFunc(5*time.Second, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if err != nil {
		return nil, false
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	if line == "" {
		return nil, false
	}
	if database == "initgroups" {
		return strings.Fields(line), true
	}
	return strings.Split(line, ":"), true
}

// LookupUser implements Accounts.
func (a SystemAccounts) LookupUser(name string) (int, int, error) {
	u, err := user.Lookup(name)
	if err == nil {
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("user %q: bad uid or gid", name)
		}
		return uid, gid, nil
	}
	if !errors.As(err, new(user.UnknownUserError)) {
		return 0, 0, err
	}
	if f, ok := a.getent("passwd", name); ok && len(f) >= 4 && f[0] == name {
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 == nil && err2 == nil {
			return uid, gid, nil
		}
	}
	return 0, 0, err
}

// LookupGroup implements Accounts.
func (a SystemAccounts) LookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return strconv.Atoi(g.Gid)
	}
	if !errors.As(err, new(user.UnknownGroupError)) {
		return 0, err
	}
	if f, ok := a.getent("group", name); ok && len(f) >= 3 && f[0] == name {
		if gid, err := strconv.Atoi(f[2]); err == nil {
			return gid, nil
		}
	}
	return 0, err
}

// Groups implements Accounts: the members lists of the group file, or
// getent initgroups for a user the password file does not have.
func (a SystemAccounts) Groups(name string, gid int) ([]int, error) {
	groups := []int{gid}
	if _, err := user.Lookup(name); err != nil {
		// Not a local user: ask NSS for all of them.
		if f, ok := a.getent("initgroups", name); ok && len(f) > 1 && f[0] == name {
			for _, id := range f[1:] {
				if n, err := strconv.Atoi(id); err == nil && !slices.Contains(groups, n) {
					groups = append(groups, n)
				}
			}
		}
		return groups, nil
	}
	path := a.GroupFile
	if path == "" {
		path = "/etc/group"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n, err := strconv.Atoi(fields[2])
		if err != nil || slices.Contains(groups, n) {
			continue
		}
		if slices.Contains(strings.Split(fields[3], ","), name) {
			groups = append(groups, n)
		}
	}
	return groups, sc.Err()
}

// credentials are what a process runs as. The zero value (Set false)
// means: as the super-server itself.
type credentials struct {
	Set    bool
	UID    int
	GID    int
	Groups []int
	// Name is the user (or, for the group option, the group) the
	// credentials were made for, for messages.
	Name string
}

// accessAccounts checks the names of the user and group options as
// tcpd does, for access.Hooks.
type accessAccounts struct{ a Accounts }

type accountError string

func (e accountError) Error() string { return string(e) }

func (x accessAccounts) User(name string) error {
	if _, _, err := x.a.LookupUser(name); err != nil {
		return accountError(`unknown user: "` + name + `"`)
	}
	return nil
}

func (x accessAccounts) Group(name string) error {
	if _, err := x.a.LookupGroup(name); err != nil {
		return accountError(`unknown group: "` + name + `"`)
	}
	return nil
}

// entryCredentials are the credentials of an inetd.conf entry's user
// field, as Debian's openbsd-inetd sets them: the user's uid, the group
// (or the user's primary group) and the supplementary groups initgroups
// gives, root included (observed: a root service of openbsd-inetd gets
// root's groups, not inetd's). A super-server not running as root can
// only run services as itself.
func entryCredentials(acc Accounts, euid int, userName, group string) (credentials, error) {
	uid, gid, err := acc.LookupUser(userName)
	if err != nil {
		return credentials{}, fmt.Errorf("unknown user %q", userName)
	}
	if group != "" {
		if gid, err = acc.LookupGroup(group); err != nil {
			return credentials{}, fmt.Errorf("unknown group %q", group)
		}
	}
	if euid != 0 {
		if uid != euid {
			return credentials{}, fmt.Errorf("user %q: tcpwrapd does not run as root and cannot switch to another user", userName)
		}
		return credentials{}, nil
	}
	groups, err := acc.Groups(userName, gid)
	if err != nil {
		return credentials{}, fmt.Errorf("groups of %q: %v", userName, err)
	}
	return credentials{Set: true, UID: uid, GID: gid, Groups: groups, Name: userName}, nil
}
