package alert

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"tcpwrap/access"
)

// programAction runs a program for each notice: directly with its argv,
// never through a shell, in its own process group, under a timeout and a
// concurrency limit.
type programAction struct {
	cfg ProgramConfig
	sem chan struct{}
}

func newProgram(c ProgramConfig) *programAction {
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 2
	}
	return &programAction{cfg: c, sem: make(chan struct{}, c.Concurrency)}
}

// placeholders are the names that {name} in an argv element stands for.
var placeholders = []string{
	"kind", "incident", "rule", "rule_kind", "source", "addr", "service", "services",
	"name", "user", "host", "verdict", "count", "followed", "first", "last", "closed",
}

func checkPlaceholders(arg string) error {
	_, err := expandArg(arg, func(string) string { return "" })
	return err
}

// expandArg replaces {name} placeholders in arg by their values; "{{"
// and "}}" stand for literal braces.
func expandArg(arg string, value func(string) string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		switch {
		case c == '{' && i+1 < len(arg) && arg[i+1] == '{':
			b.WriteByte('{')
			i++
		case c == '}' && i+1 < len(arg) && arg[i+1] == '}':
			b.WriteByte('}')
			i++
		case c == '{':
			j := strings.IndexByte(arg[i:], '}')
			if j < 0 {
				return "", fmt.Errorf("argv %q: unclosed {", arg)
			}
			name := arg[i+1 : i+j]
			found := false
			for _, p := range placeholders {
				if p == name {
					found = true
				}
			}
			if !found {
				return "", fmt.Errorf("argv %q: unknown placeholder {%s}", arg, name)
			}
			b.WriteString(value(name))
			i += j
		case c == '}':
			return "", fmt.Errorf("argv %q: lone }", arg)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// SanitizeArg makes a value from a log safe to hand to a program as an
// argv element or environment variable: every byte other than letters,
// digits and "!@%-_=+:,./" becomes '_' (as tcp_wrappers' %-expansions),
// a leading '-' becomes '_' so that it cannot be taken for an option,
// and the result is at most 256 bytes.
func SanitizeArg(s string) string {
	if len(s) > 256 {
		s = s[:256]
	}
	s = access.Sanitize(s)
	if strings.HasPrefix(s, "-") {
		s = "_" + s[1:]
	}
	return s
}

// fields are the notice's values by placeholder name, sanitised.
func (n *Notice) fields() map[string]string {
	ev := &n.Event
	addr := ""
	if ev.Addr.IsValid() {
		addr = ev.Addr.String()
	}
	services := make([]string, len(n.Services))
	for i, s := range n.Services {
		services[i] = SanitizeArg(s)
	}
	f := map[string]string{
		"kind":      n.Kind.String(),
		"incident":  SanitizeArg(n.Incident),
		"rule":      SanitizeArg(n.Rule),
		"rule_kind": n.RuleKind.String(),
		"source":    SanitizeArg(n.Source),
		"addr":      addr,
		"service":   SanitizeArg(ev.Daemon),
		"services":  strings.Join(services, ","),
		"name":      SanitizeArg(ev.Name),
		"user":      SanitizeArg(ev.User),
		"host":      SanitizeArg(ev.Host),
		"verdict":   ev.Verdict.String(),
		"count":     strconv.Itoa(n.Count),
		"followed":  strconv.Itoa(n.Followed),
		"first":     timeArg(n.First),
		"last":      timeArg(n.Last),
		"closed":    n.Closed,
	}
	return f
}

func timeArg(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Env is the environment a program action gets: PATH, the extra
// entries, and TCPDWATCH_KIND, TCPDWATCH_RULE, TCPDWATCH_SOURCE, ... (one
// per placeholder, upper-cased), sanitised.
func (n *Notice) env(extra []string) []string {
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	env = append(env, extra...)
	f := n.fields()
	for _, p := range placeholders {
		env = append(env, "TCPDWATCH_"+strings.ToUpper(p)+"="+f[p])
	}
	return env
}

// Argv is the argv a program action runs for the notice.
func (p *programAction) argv(n *Notice) ([]string, error) {
	f := n.fields()
	argv := make([]string, len(p.cfg.Argv))
	for i, a := range p.cfg.Argv {
		x, err := expandArg(a, func(name string) string { return f[name] })
		if err != nil {
			return nil, err
		}
		argv[i] = x
	}
	return argv, nil
}

// limitBuffer keeps the first bytes written to it.
type limitBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *limitBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 1024 - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (p *programAction) Do(ctx context.Context, n Notice) error {
	argv, err := p.argv(&n)
	if err != nil {
		return err
	}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.sem }()

	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = n.env(p.cfg.Env)
	cmd.Dir = "/"
	var out limitBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		// Whatever the program left behind in its group goes too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err == nil {
		return nil
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("killed after %s: %w", p.cfg.Timeout, err)
	}
	out.mu.Lock()
	first, _, _ := strings.Cut(string(out.buf), "\n")
	out.mu.Unlock()
	if first != "" {
		return fmt.Errorf("%s: %w: %s", argv[0], err, Clean(first))
	}
	return fmt.Errorf("%s: %w", argv[0], err)
}
