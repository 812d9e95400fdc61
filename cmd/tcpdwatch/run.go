package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"tcpwrap/watch/alert"
)

// Exit statuses.
const (
	exitOK      = 0 // done; check: the configuration is valid
	exitFailure = 1 // a file could not be read or written, a server failed, nothing to lift
	exitUsage   = 2 // bad command line or invalid configuration
)

const progName = "tcpdwatch"

// env is the outside world as run sees it; main fills it with the real
// one, tests with their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// signals subscribes to SIGHUP, SIGTERM and SIGINT; stop undoes it.
	signals func() (c <-chan os.Signal, stop func())
	// localAddrs lists the machine's addresses for the ban allowlist
	// (nil: the interfaces').
	localAddrs func() ([]netip.Addr, error)
	// ready, if not nil, is called once "run" follows its inputs.
	ready func()
}

const usageText = `usage: tcpdwatch [-c FILE] COMMAND [ARGS]

commands:
  run                   follow the inputs: alert, ban, expire bans (SIGHUP reloads, SIGTERM stops)
  report [FLAGS] [FILE...]
                        report on the files given, or on the configured inputs
  bans [list]           list the bans in force
  bans lift ADDR|PREFIX end the bans that cover ADDR or lie within PREFIX
  check                 check the configuration file and exit

Every command takes -c FILE (default ` + DefaultConfig + `).
Exit status: 0 done, 1 failure, 2 usage or configuration error.
`

// run is tcpdwatch: args are the command line with the program name.
func run(args []string, e *env) int {
	if e.now == nil {
		e.now = time.Now
	}
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	fs := flag.NewFlagSet(progName, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conf := fs.String("c", "", "configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(e.stdout, usageText)
			return exitOK
		}
		return usage(e, "%v", err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usage(e, "no command")
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "run":
		return cmdRun(cargs, *conf, e)
	case "report":
		return cmdReport(cargs, *conf, e)
	case "bans":
		return cmdBans(cargs, *conf, e)
	case "check":
		return cmdCheck(cargs, *conf, e)
	case "help":
		io.WriteString(e.stdout, usageText)
		return exitOK
	}
	return usage(e, "unknown command %q", cmd)
}

func usage(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", progName, fmt.Sprintf(format, args...))
	io.WriteString(e.stderr, usageText)
	return exitUsage
}

// fail writes one message to stderr and returns status.
func fail(e *env, status int, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", progName, fmt.Sprintf(format, args...))
	return status
}

// failLines writes err one message per line (a configuration's errors
// are one a line) and returns status.
func failLines(e *env, status int, err error) int {
	for _, m := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(e.stderr, "%s: %s\n", progName, m)
	}
	return status
}

// subFlags is the flag set of a command, with -c.
func subFlags(name, conf string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(progName+" "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := fs.String("c", conf, "configuration file")
	return fs, c
}

// parseInterleaved parses args with fs, letting flags and operands come
// in any order ("bans lift ADDR -c FILE"); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return operands, nil
		}
		// fs.Parse stops at the first operand, or after "--".
		if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
			operands = append(operands, args[0])
			args = args[1:]
			continue
		}
		return append(operands, args...), nil
	}
}

// configPath is -c, else $TCPDWATCH_CONFIG, else the default.
func configPath(c string, e *env) (string, bool) {
	if c != "" {
		return c, true
	}
	if p := e.getenv("TCPDWATCH_CONFIG"); p != "" {
		return p, true
	}
	return DefaultConfig, false
}

// loadConfig reads and parses the configuration file.
func loadConfig(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(src, path)
}

// cmdCheck: tcpdwatch check [-c FILE].
func cmdCheck(args []string, conf string, e *env) int {
	fs, c := subFlags("check", conf)
	ops, err := parseInterleaved(fs, args)
	if err != nil {
		return usage(e, "check: %v", err)
	}
	if len(ops) > 0 {
		return usage(e, "check: unexpected argument %q", ops[0])
	}
	path, _ := configPath(*c, e)
	cfg, err := loadConfig(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fail(e, exitUsage, "%v", err)
		}
		return failLines(e, exitUsage, err)
	}
	// Build every action once: this checks what only building does (a
	// mail server address, a password file, a CA file).
	bad := false
	for _, ac := range cfg.Alert.Actions {
		if _, err := newAction(ac); err != nil {
			fmt.Fprintf(e.stderr, "%s: %s: action %s: %v\n", progName, ac.Pos, ac.Name, err)
			bad = true
		}
	}
	if bad {
		return exitUsage
	}
	for _, ac := range cfg.Alert.Actions {
		if ac.Kind != alert.ActionProgram || len(ac.Program.Argv) == 0 {
			continue
		}
		if fi, err := os.Stat(ac.Program.Argv[0]); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			fmt.Fprintf(e.stderr, "%s: warning: %s: action %s: %s is not an executable file\n", progName, ac.Pos, ac.Name, ac.Program.Argv[0])
		}
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(e.stderr, "%s: warning: %s\n", progName, w)
	}
	if cfg.HasBan {
		if w := denyIncludes(cfg.Ban.File, e); w != "" {
			fmt.Fprintf(e.stderr, "%s: warning: %s\n", progName, w)
		}
	}
	files, recv := 0, 0
	for _, in := range cfg.Inputs {
		if in.IsFile() {
			files++
		} else {
			recv++
		}
	}
	banText := "no bans"
	if cfg.HasBan {
		banText = "bans in " + cfg.Ban.File
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d file input(s), %d receiver(s), %d rule(s), %d action(s), %s, state in %s\n",
		path, files, recv, len(cfg.Alert.Rules), len(cfg.Alert.Actions), banText, cfg.StateDir)
	return exitOK
}

// denyIncludes returns a warning when hosts.deny does not name the ban
// file (as a word of a rule), so that the bans would have no effect.
func denyIncludes(banFile string, e *env) string {
	deny := e.getenv("TCPWRAP_HOSTS_DENY")
	if deny == "" {
		deny = "/etc/hosts.deny"
	}
	data, err := os.ReadFile(deny)
	if err != nil {
		return fmt.Sprintf("cannot read %s (%v): the bans work only if it has the line \"ALL: %s\"", deny, err, banFile)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		for _, w := range strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == ':' }) {
			if w == banFile {
				return ""
			}
		}
	}
	return fmt.Sprintf("%s does not name %s: the bans have no effect until it has the line \"ALL: %s\"", deny, banFile, banFile)
}

// newLogger is the daemon's logger: one line per message on w, "tcpdwatch:"
// first, then the level when it is not INFO, the message and its
// attributes as key=value with values quoted when they need it (strings
// from logs are escaped, so a log line of ours can never be two).
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(&lineHandler{w: w, mu: &sync.Mutex{}})
}

type lineHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	attrs  []slog.Attr
	groups string
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(progName + ": ")
	if r.Level != slog.LevelInfo {
		b.WriteString(strings.ToLower(r.Level.String()) + ": ")
	}
	// Package messages already start with "tcpdwatch: ".
	b.WriteString(quoteIfNeeded(strings.TrimPrefix(r.Message, progName+": "), false))
	write := func(a slog.Attr) {
		a.Value = a.Value.Resolve()
		if a.Equal(slog.Attr{}) {
			return
		}
		b.WriteString(" " + h.groups + a.Key + "=" + quoteIfNeeded(a.Value.String(), true))
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(func(a slog.Attr) bool { write(a); return true })
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.groups += name + "."
	return &h2
}

// quoteIfNeeded escapes s so that it is printable ASCII on one line:
// values with blanks, quotes, '=' or anything else are Go-quoted; the
// message is quoted only when it holds something unprintable.
func quoteIfNeeded(s string, value bool) string {
	need := s == "" && value
	for i := 0; i < len(s) && !need; i++ {
		c := s[i]
		switch {
		case c < 0x20 || c >= 0x7f || c == '\\':
			need = true
		case value && (c == ' ' || c == '"' || c == '='):
			need = true
		}
	}
	if !need {
		return s
	}
	return strconv.QuoteToASCII(s)
}
