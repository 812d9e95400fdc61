// Package access is the access-control engine: the hosts_access(5)
// language of hosts.allow and hosts.deny, and the decision, exactly as
// Debian's tcp_wrappers 7.6.q makes it.
//
// Parse compiles the text of one table into a Table: rules with typed
// patterns, and an index over the rules that depend on the client address
// alone, so that a decision stays fast with 100,000 rules. It never fails:
// a malformed line does what it does in Debian's tcp_wrappers (skipped with
// a warning, or ending the table with an error), and the warning is given
// with file and line when a scan reaches it.
//
// Policy.Decide decides a request. It is pure: host names, ident user
// names, netgroups, accounts and the aclexec and banners options reach the
// outside world only through the Hooks given to NewFacts, and only when a
// rule needs them, in the order Debian's tcp_wrappers asks. The Decision
// says what was decided, which rule decided, which options the caller must
// carry out, and every diagnostic, in order, with the text Debian logs.
//
// What it deliberately does not do: read files (package hostsfile does),
// resolve names (package resolve), log, or run anything.
package access
