// Package difftest is a differential test of our tcpdmatch (cmd/tcpdmatch)
// against Debian's /usr/sbin/tcpdmatch.
//
// Debian's tcpdmatch sends its diagnostics to syslog (tcp_wrappers-behaviour.md
// §8.4). Instead of capturing /dev/log in a mount namespace for every run
// (package oracle: exact but slow), the fast path runs Debian's binary with
// an LD_PRELOAD shim (testdata/shim.c, compiled once per test process with
// cc) that replaces syslog, vsyslog, __syslog_chk and __vsyslog_chk by a
// function that formats the message as glibc does (%m included) and writes
// it to stderr as one line. Our tcpdmatch prints the same texts on stderr,
// so the stdout (bytes), stderr (lines) and exit status of the two programs
// can be compared directly. TestShimMatchesNamespace checks the shim against
// package oracle.
//
// Generate produces deterministic random cases (hosts.allow, hosts.deny,
// extra files, directories, symbolic links, file modes and a command line)
// covering the access-control language; a case depends only on (seed,
// index).
//
// When run as root, the test binary re-executes itself once in a private
// mount namespace (unshare --mount) with TestHosts bind-mounted over
// /etc/hosts and TestResolvConf over /etc/resolv.conf, so that host names
// are known and DNS queries fail at once; nothing outside the namespace
// changes. Without that, the differential test still runs (on the machine's
// files) but the stored cases are skipped.
//
// Running:
//
//	go test ./internal/difftest                   # 3000 cases, stops after 20 mismatches
//	go test -short ./internal/difftest            # 300 cases
//	go test ./internal/difftest -run 'TestDifferential$' -difftest.n=20000 -difftest.seed=7
//	go test ./internal/difftest -run 'TestDifferential$' -difftest.seed=1 -difftest.only=123 -v
//	go test ./internal/difftest -run 'TestDifferential$' -difftest.classify -v   # group by symptom
//	go test ./internal/difftest -run 'TestDifferential$' -difftest.keep
//	go test ./internal/difftest -run 'TestRegressions|TestKnownFailures' -v
//
// Mismatches are minimised (table lines, files and words are dropped while
// the programs still disagree in the same way) and reported with the seed,
// the case index, every file Go-quoted, the arguments and unified diffs.
// -difftest.keep writes them to testdata/failures/ as txtar files holding
// the inputs and Debian's output (format: Record). TestKnownFailures reports
// which of those now pass; moved to testdata/cases/, a file becomes a
// permanent regression case that TestRegressions replays against our binary
// alone (no Debian package needed). -difftest.regen rewrites the expected
// output of both directories from Debian's binary, for hand-written cases.
// -difftest.ours=PATH tests a prebuilt binary instead of building
// tcpwrap/cmd/tcpdmatch.
package difftest
