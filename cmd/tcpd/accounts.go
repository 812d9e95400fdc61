package main

import (
	"bytes"
	"errors"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"time"
)

// Account lookups. tcpd is built without cgo (CGO_ENABLED=0, see the
// README): a dynamically linked Go binary costs about a millisecond more
// at every start, which inetd pays per connection. Without cgo, os/user
// reads /etc/passwd and /etc/group only; names that live elsewhere (LDAP,
// sssd, systemd-userdb: the Name Service Switch) are then looked up with
// getent(1), which goes through NSS as the C library's getpwnam does.
// That costs an exec, but only for a name the local files do not have.

// getentPath is getent(1); a variable for tests.
var getentPath = "/usr/bin/getent"

// getent runs getent DATABASE KEY and returns its first line split at
// ':' (initgroups answers "name gid gid ..." with spaces instead).
func getent(database, key string) ([]string, bool) {
	if key == "" || strings.ContainsAny(key, ":\n") || strings.HasPrefix(key, "-") {
		return nil, false
	}
	cmd := exec.Command(getentPath, database, key)
	cmd.Env = []string{}
	var out bytes.Buffer
	cmd.Stdout = &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return nil, false
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, false
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		return nil, false
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	if database == "initgroups" {
		return strings.Fields(line), line != ""
	}
	return strings.Split(line, ":"), line != ""
}

// lookupUser finds a user's uid and primary gid.
func lookupUser(name string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err == nil {
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		return uid, gid, errors.Join(err1, err2)
	}
	var unknown user.UnknownUserError
	if !errors.As(err, &unknown) {
		return 0, 0, err
	}
	f, ok := getent("passwd", name)
	if !ok || len(f) < 4 || f[0] != name {
		return 0, 0, err
	}
	uid, err1 := strconv.Atoi(f[2])
	gid, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return 0, 0, unknown
	}
	return uid, gid, nil
}

// lookupGroup finds a group's gid.
func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err == nil {
		return strconv.Atoi(g.Gid)
	}
	var unknown user.UnknownGroupError
	if !errors.As(err, &unknown) {
		return 0, err
	}
	f, ok := getent("group", name)
	if !ok || len(f) < 3 || f[0] != name {
		return 0, err
	}
	gid, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, unknown
	}
	return gid, nil
}

// groupsOf returns the supplementary groups of a user, primary gid
// included, as initgroups(3) would set them: from /etc/group, and through
// NSS (getent initgroups) when the user is not in the local files.
func groupsOf(name string, gid int) []int {
	groups := []int{gid}
	if u, err := user.Lookup(name); err == nil {
		if ids, err := u.GroupIds(); err == nil {
			groups = groups[:0]
			for _, id := range ids {
				if n, err := strconv.Atoi(id); err == nil {
					groups = append(groups, n)
				}
			}
		}
		return groups
	}
	if f, ok := getent("initgroups", name); ok && len(f) > 1 && f[0] == name {
		for _, id := range f[1:] {
			if n, err := strconv.Atoi(id); err == nil && n != gid {
				groups = append(groups, n)
			}
		}
	}
	return groups
}
