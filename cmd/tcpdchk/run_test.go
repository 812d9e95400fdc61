package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tcpwrap/access"
)

const usage = `usage: tcpdchk [-a] [-d] [-i inet_conf] [-v]
	-a: report rules with implicit "ALLOW" at end
	-d: use allow/deny files in current directory
	-i: location of inetd.conf file
	-v: list all rules
`

// TestExitStatus checks the exit status of each kind of outcome, and the
// command-line parsing (glibc getopt with "adi:lnv").
func TestExitStatus(t *testing.T) {
	tests := []struct {
		name        string
		args        string
		allow, deny string // "-" : no file
		exit        int
		stderr      string // exact, when not ""
		stdout      string // exact, when not ""
	}{
		// Usage errors: Debian's text, status 1.
		{name: "operand", args: "-d extra", exit: 1, stderr: usage},
		{name: "operand first", args: "extra -d", exit: 1, stderr: usage},
		{name: "operand after --", args: "-d -- -v", exit: 1, stderr: usage},
		{name: "lone dash is an operand", args: "-", exit: 1, stderr: usage},
		{name: "unknown option", args: "-v -x", exit: 1, stderr: "tcpdchk: invalid option -- 'x'\n" + usage},
		{name: "unknown option in a group", args: "-dvx", exit: 1, stderr: "tcpdchk: invalid option -- 'x'\n" + usage},
		{name: "long option", args: "--help", exit: 1, stderr: "tcpdchk: invalid option -- '-'\n" + usage},
		{name: "missing -i argument", args: "-d -i", exit: 1, stderr: "tcpdchk: option requires an argument -- 'i'\n" + usage},
		{name: "unopenable -i file", args: "-d -i /nonexistent/inetd.conf", exit: 1, stderr: "open /nonexistent/inetd.conf: No such file or directory\n"},

		// Normal runs.
		{name: "no tables", args: "-d -v -i /dev/null", allow: "-", deny: "-", exit: 0, stderr: "-", stdout: "Using network configuration file: /dev/null\n"},
		{name: "grouped options and attached -i", args: "-dvi/dev/null", allow: "sshd: 10.0.0.1\n", exit: 0},
		{name: "-- ends the options", args: "-d -i /dev/null --", allow: "sshd: 10.0.0.1\n", exit: 0},
		{name: "clean tables", args: "-d -n -i /dev/null", allow: "sshd: 10.0.0.1\n", deny: "ALL: ALL\n", exit: 0, stderr: "-"},
		{name: "warnings only", args: "-d -i /dev/null", allow: "sshd: nosuch.invalid\n", exit: 0, stderr: "warning: hosts.allow, line 1: nosuch.invalid: host not found\n"},
		{name: "implicit allow is a warning", args: "-d -a -n -i /dev/null", allow: "sshd: ALL\n", exit: 0},
		{name: "lint findings are warnings", args: "-d -l -n -i /dev/null", allow: "ALL: ALL\nsshd: 10.0.0.1/8\n", exit: 0},

		// Errors: status 2.
		{name: "option error", args: "-d -n -i /dev/null", allow: "sshd: ALL: bogus\n", exit: 2, stderr: "error: hosts.allow, line 1: bad option name: \"bogus\"\n"},
		{name: "option error in hosts.deny", args: "-d -n -i /dev/null", deny: "ALL: ALL: umask 8\n", exit: 2},
		{name: "missing newline", args: "-d -n -i /dev/null", deny: "ALL: ALL", exit: 2, stderr: "warning: hosts.deny, line 0: missing newline or line too long\n"},
		{name: "over-long line", args: "-d -n -i /dev/null", allow: "sshd: " + strings.Repeat("x", 2041) + "\n", exit: 2},
		{name: "longest line", args: "-d -n -i /dev/null", allow: "sshd: " + strings.Repeat("x", 2040) + "\n", exit: 0},
		{name: "missing separator", args: "-d -n -i /dev/null", allow: "sshd\n", exit: 2, stderr: "warning: hosts.allow, line 1: missing \":\" separator\n"},
		{name: "unopenable table", args: "-d -n -i /dev/null", allow: "@loop", exit: 2, stderr: "warning: cannot open hosts.allow: Too many levels of symbolic links\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := scratch(t)
			for name, data := range map[string]string{"hosts.allow": tt.allow, "hosts.deny": tt.deny} {
				switch data {
				case "-", "":
				case "@loop":
					if err := os.Symlink(name, filepath.Join(dir, name)); err != nil {
						t.Fatal(err)
					}
				default:
					writeFile(t, filepath.Join(dir, name), data)
				}
			}
			hosts := filepath.Join(dir, ".hosts")
			writeFile(t, hosts, "")
			stdout, stderr, exit := runIn(t, dir, strings.Fields(tt.args), testEnv(hosts))
			if exit != tt.exit {
				t.Errorf("exit status %d, want %d (stderr %q)", exit, tt.exit, stderr)
			}
			switch tt.stderr {
			case "":
			case "-":
				if stderr != "" {
					t.Errorf("stderr %q, want none", stderr)
				}
			default:
				if stderr != tt.stderr {
					t.Errorf("stderr:\n%s--- want\n%s", stderr, tt.stderr)
				}
			}
			if tt.stdout != "" && stdout != tt.stdout {
				t.Errorf("stdout:\n%s--- want\n%s", stdout, tt.stdout)
			}
		})
	}
}

// listedRule is one rule of tcpdchk -v's listing.
type listedRule struct {
	file    string
	line    int
	daemons string
	clients string
}

var ruleHeader = regexp.MustCompile(`^>>> Rule (\S+) line (\d+):$`)

func parseListing(t *testing.T, out string) []listedRule {
	t.Helper()
	var rules []listedRule
	ls := strings.Split(out, "\n")
	for i := 0; i < len(ls); i++ {
		m := ruleHeader.FindStringSubmatch(ls[i])
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if i+2 >= len(ls) || !strings.HasPrefix(ls[i+1], "daemons:  ") || !strings.HasPrefix(ls[i+2], "clients:  ") {
			t.Fatalf("malformed listing after %q", ls[i])
		}
		rules = append(rules, listedRule{
			file:    m[1],
			line:    n,
			daemons: strings.TrimPrefix(ls[i+1], "daemons:  "),
			clients: strings.TrimPrefix(ls[i+2], "clients:  "),
		})
	}
	return rules
}

// TestSharesTheMatchersParser checks that tcpdchk lists exactly the rules
// the matcher compiles, with the same line numbers and the same words,
// because both use access.Parse: the rule files of the tricky cases on
// line reading and splitting.
func TestSharesTheMatchersParser(t *testing.T) {
	tables := map[string]string{
		"A08 continuation":     "ss\\\nhd: 10.0.0.1\n",
		"A09 comment swallow":  "# comment \\\nsshd: ALL\nin.ftpd: ALL\n",
		"A10 line numbers":     "\n\n# c\nsshd: \\\n10.0.0.9 \\\n10.0.0.1\n",
		"A11 indented hash":    "  # sshd: ALL\n",
		"A12 trailing hash":    "sshd: 10.9.9.9 # 10.0.0.1\n",
		"A13 no separator":     "sshd 10.0.0.1\nsshd: 10.0.0.1\n",
		"A14 CRLF":             "sshd: 10.0.0.1\r\nin.ftpd: ALL: spawn x\r\n",
		"A16 empty clients":    "sshd:\n",
		"A18 separators":       "sshd: ,,, ,10.0.0.1,,\n",
		"A19 bare IPv6":        "sshd: 2001:db8::1\n",
		"A20 backslash colon":  "sshd: a\\:b: spawn x\\:y\n",
		"A22 brackets":         "sshd: [::1]: spawn x\n",
		"A23 negative depth":   "sshd: ]x[: y\n",
		"F04 mixed":            "sshd: 10.0.0.1\nsshd: 10.0.0.2: allow\nsshd: host1 multi.example.com: spawn echo %a %h %u %d\nsshd: ALL: twist echo\nALL EXCEPT: ALL EXCEPT\n.bar baz. @ng KNOWN in.ftpd: ALL\nsshd: 192.168.1.0/33 example.com. .1.2 user.@ALL\nsshd: ALL: bogus\n",
		"F06 over-long":        "sshd: " + strings.Repeat("10.0.0.1 ", 300) + "\nsshd: ALL\n",
		"A01 no final newline": "sshd: 10.0.0.1\nsshd: 10.0.0.2",
	}
	for name, text := range tables {
		t.Run(name, func(t *testing.T) {
			dir := scratch(t)
			writeFile(t, filepath.Join(dir, "hosts.allow"), text)
			hosts := filepath.Join(dir, ".hosts")
			writeFile(t, hosts, "")
			stdout, _, _ := runIn(t, dir, []string{"-d", "-v", "-n", "-i", "/dev/null"}, testEnv(hosts))
			listed := parseListing(t, stdout)

			// The matcher's view: tcpd and tcpdmatch read the table like
			// this (without Checker, a bad line ends the table).
			table := access.Parse([]byte(text), "hosts.allow", access.ParseOptions{})
			if _, truncated := table.Truncated(); !truncated && len(listed) != len(table.Rules) {
				t.Fatalf("tcpdchk lists %d rules, the matcher has %d", len(listed), len(table.Rules))
			}
			if len(listed) < len(table.Rules) {
				t.Fatalf("tcpdchk lists %d rules, the matcher has %d", len(listed), len(table.Rules))
			}
			for i, r := range table.Rules {
				want := listedRule{file: "hosts.allow", line: r.Line, daemons: strings.Join(r.Daemons(), " "), clients: strings.Join(r.Clients(), " ")}
				if listed[i] != want {
					t.Errorf("rule %d: tcpdchk lists %+v, the matcher has %+v", i, listed[i], want)
				}
			}
		})
	}
}

// TestBannerOrder checks that a banner, written straight to standard
// output as Debian's tcpdchk writes it, comes before the buffered listing
// when standard output is not a terminal, and in order when it is.
func TestBannerOrder(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		t.Run(fmt.Sprint("terminal=", terminal), func(t *testing.T) {
			dir := scratch(t)
			writeFile(t, filepath.Join(dir, "b", "daemon_name"), "hi %d\n")
			writeFile(t, filepath.Join(dir, "hosts.allow"), "sshd: ALL\nsshd: ALL: banners "+filepath.Join(dir, "b")+"\n")
			hosts := filepath.Join(dir, ".hosts")
			writeFile(t, hosts, "")
			e := testEnv(hosts)
			e.terminal = terminal
			stdout, _, _ := runIn(t, dir, []string{"-d", "-v", "-n", "-i", "/dev/null"}, e)
			listing := "Using network configuration file: /dev/null\n\n>>> Rule hosts.allow line 1:\ndaemons:  sshd\nclients:  ALL\naccess:   granted\n\n>>> Rule hosts.allow line 2:\ndaemons:  sshd\nclients:  ALL\n"
			want := "hi daemon_name\r\n" + listing + "access:   granted\n"
			if terminal {
				want = listing + "hi daemon_name\r\naccess:   granted\n"
			}
			if stdout != want {
				t.Errorf("stdout:\n%q\nwant\n%q", stdout, want)
			}
		})
	}
}

// An empty -i argument names a file that does not open, as in Debian;
// it is not the default inetd.conf.
func TestEmptyInetConfName(t *testing.T) {
	dir := scratch(t)
	hosts := filepath.Join(dir, ".hosts")
	writeFile(t, hosts, "")
	_, stderr, exit := runIn(t, dir, []string{"-d", "-i", ""}, testEnv(hosts))
	if exit != 1 || stderr != "open : No such file or directory\n" {
		t.Errorf("exit %d, stderr %q; want 1 and Debian's \"open : No such file or directory\"", exit, stderr)
	}
}
