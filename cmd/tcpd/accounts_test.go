package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeGetent installs a getent(1) that knows one NSS-only user and group,
// as an LDAP directory would, and records that it was asked.
func fakeGetent(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "asked")
	script := `#!/bin/sh
echo "$1 $2" >>` + log + `
case "$1:$2" in
passwd:ldapuser) echo 'ldapuser:*:20001:20002:LDAP user:/home/ldapuser:/bin/sh' ;;
group:ldapgroup) echo 'ldapgroup:*:20003:ldapuser' ;;
initgroups:ldapuser) echo 'ldapuser              20002 20003 20004' ;;
*) exit 2 ;;
esac
`
	p := filepath.Join(dir, "getent")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := getentPath
	getentPath = p
	t.Cleanup(func() { getentPath = old })
	return log
}

func TestAccountsThroughNSS(t *testing.T) {
	asked := fakeGetent(t)
	uid, gid, err := lookupUser("ldapuser")
	if err != nil || uid != 20001 || gid != 20002 {
		t.Fatalf("lookupUser(ldapuser) = %d, %d, %v; want 20001, 20002 from getent", uid, gid, err)
	}
	if g, err := lookupGroup("ldapgroup"); err != nil || g != 20003 {
		t.Fatalf("lookupGroup(ldapgroup) = %d, %v; want 20003", g, err)
	}
	if got := groupsOf("ldapuser", 20002); !slices.Equal(got, []int{20002, 20003, 20004}) {
		t.Fatalf("groupsOf(ldapuser) = %v; want [20002 20003 20004]", got)
	}
	if _, _, err := lookupUser("nosuchuser"); err == nil {
		t.Fatal("lookupUser(nosuchuser) succeeded")
	}
	if _, err := lookupGroup("nosuchgroup"); err == nil {
		t.Fatal("lookupGroup(nosuchgroup) succeeded")
	}
	// A name from a rule never becomes an option of getent.
	if _, _, err := lookupUser("--help"); err == nil {
		t.Fatal("lookupUser(--help) succeeded")
	}
	// Local names are answered from /etc/passwd without asking NSS.
	os.Remove(asked)
	if uid, _, err := lookupUser("root"); err != nil || uid != 0 {
		t.Fatalf("lookupUser(root) = %d, %v", uid, err)
	}
	if _, err := os.Stat(asked); err == nil {
		b, _ := os.ReadFile(asked)
		t.Fatalf("getent asked for a local user: %q", b)
	}
	if (accounts{}).User("ldapuser") != nil || (accounts{}).Group("ldapgroup") != nil {
		t.Fatal("accounts does not accept NSS names")
	}
	if (accounts{}).User("nosuchuser") == nil {
		t.Fatal("accounts accepts an unknown user")
	}
}
