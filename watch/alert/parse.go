package alert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sections are the configuration file sections ParseConfig reads; a
// program that shares the file among packages checks that every section
// has an owner.
var Sections = []string{"alert", "rule", "action"}

// ParseConfig reads the alert part of a tcpdwatch configuration file:
//
//	# a comment (only at the start of a line)
//	[alert]
//	quiet = 10m
//	seen-file = /var/lib/tcpdwatch/seen.json
//
//	[rule ssh-guessing]
//	kind = threshold
//	count = 5
//	within = 1m
//	services = sshd
//	actions = admin
//
//	[action admin]
//	kind = mail
//	server = 127.0.0.1:25
//	from = tcpdwatch@example.org
//	to = root@example.org
//
// A section starts with [kind] or [kind name]; "key = value" lines follow,
// the value being the rest of the line with blanks trimmed. Lists are
// blank-separated words (a word may be written in double quotes, with Go
// escapes). Durations take Go's units plus "d" for days ("7d", "1d12h").
// Sections of other kinds are skipped, for other packages to read. The
// keys are listed in the package documentation.
//
// Every problem is reported as "name:line: message"; all of them are
// returned, joined.
func ParseConfig(src []byte, name string) (Config, error) {
	secs, errs := splitSections(src, name)
	cfg := Config{Pos: Pos{File: name, Line: 1}}
	seenAlert := false
	for _, s := range secs {
		p := &parser{file: name}
		switch s.kind {
		case "alert":
			if s.name != "" {
				p.errorf(s.line, "[alert] takes no name")
			}
			if seenAlert {
				p.errorf(s.line, "second [alert] section")
			}
			seenAlert = true
			cfg.Pos = Pos{File: name, Line: s.line}
			p.alert(&cfg, s)
		case "rule":
			cfg.Rules = append(cfg.Rules, p.rule(s))
		case "action":
			cfg.Actions = append(cfg.Actions, p.action(s))
		default:
			continue
		}
		errs = append(errs, p.errs...)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

type section struct {
	kind, name string
	line       int
	entries    []entry
}

type entry struct {
	key, value string
	line       int
}

// splitSections cuts a file into sections of key = value entries.
func splitSections(src []byte, name string) ([]section, []error) {
	var secs []section
	var errs []error
	for i, l := range strings.Split(string(src), "\n") {
		n := i + 1
		l = strings.TrimSuffix(l, "\r")
		t := strings.TrimSpace(l)
		if t == "" || t[0] == '#' {
			continue
		}
		if bad := strings.IndexFunc(t, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }); bad >= 0 {
			errs = append(errs, fmt.Errorf("%s:%d: control character %q", name, n, t[bad]))
			continue
		}
		if t[0] == '[' {
			if !strings.HasSuffix(t, "]") {
				errs = append(errs, fmt.Errorf("%s:%d: section header without ]", name, n))
				continue
			}
			f := strings.Fields(t[1 : len(t)-1])
			if len(f) == 0 || len(f) > 2 {
				errs = append(errs, fmt.Errorf("%s:%d: want [kind] or [kind name]", name, n))
				continue
			}
			s := section{kind: f[0], line: n}
			if len(f) == 2 {
				s.name = f[1]
			}
			secs = append(secs, s)
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d: want key = value", name, n))
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || strings.ContainsAny(k, " \t") {
			errs = append(errs, fmt.Errorf("%s:%d: bad key %q", name, n, k))
			continue
		}
		if len(secs) == 0 {
			errs = append(errs, fmt.Errorf("%s:%d: %s outside any section", name, n, k))
			continue
		}
		s := &secs[len(secs)-1]
		s.entries = append(s.entries, entry{key: k, value: v, line: n})
	}
	return secs, errs
}

type parser struct {
	file string
	errs []error
	once map[string]int // key → line, for keys given once
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...)))
}

// single reports a key given twice.
func (p *parser) single(e entry) {
	if p.once == nil {
		p.once = map[string]int{}
	}
	if prev, dup := p.once[e.key]; dup {
		p.errorf(e.line, "%s given twice (first on line %d)", e.key, prev)
		return
	}
	p.once[e.key] = e.line
}

func (p *parser) duration(e entry) time.Duration {
	d, err := ParseDuration(e.value)
	if err != nil {
		p.errorf(e.line, "%s: %v", e.key, err)
	}
	return d
}

func (p *parser) integer(e entry, lo, hi int) int {
	n, err := strconv.Atoi(e.value)
	if err != nil || n < lo || n > hi {
		p.errorf(e.line, "%s: want a number from %d to %d, not %q", e.key, lo, hi, e.value)
		return 0
	}
	return n
}

func (p *parser) words(e entry) []string {
	w, err := SplitWords(e.value)
	if err != nil {
		p.errorf(e.line, "%s: %v", e.key, err)
	}
	return w
}

func (p *parser) word(e entry) string {
	w := p.words(e)
	if len(w) != 1 {
		p.errorf(e.line, "%s: want one value", e.key)
		return ""
	}
	return w[0]
}

func (p *parser) unknown(e entry, where string) {
	p.errorf(e.line, "unknown key %q in %s", e.key, where)
}

func (p *parser) alert(c *Config, s section) {
	for _, e := range s.entries {
		p.single(e)
		switch e.key {
		case "quiet":
			c.Quiet = p.duration(e)
		case "max-duration":
			c.MaxDuration = p.duration(e)
		case "max-age":
			c.MaxAge = p.duration(e)
		case "summary":
			switch e.value {
			case "always":
				c.SummaryAlways = true
			case "followed":
				c.SummaryAlways = false
			default:
				p.errorf(e.line, "summary: want always or followed")
			}
		case "seen-file":
			c.SeenFile = p.word(e)
		case "max-seen":
			c.MaxSeen = p.integer(e, 1, 10_000_000)
		case "max-sources":
			c.MaxSources = p.integer(e, 1, 10_000_000)
		case "max-incidents":
			c.MaxIncidents = p.integer(e, 1, 1_000_000)
		default:
			p.unknown(e, "[alert]")
		}
	}
}

func (p *parser) rule(s section) Rule {
	r := Rule{Name: s.name, Pos: Pos{File: p.file, Line: s.line}}
	if s.name == "" {
		p.errorf(s.line, "[rule] needs a name")
	}
	for _, e := range s.entries {
		if e.key != "services" && e.key != "actions" {
			p.single(e)
		}
		switch e.key {
		case "kind":
			switch e.value {
			case "threshold":
				r.Kind = Threshold
			case "trap":
				r.Kind = Trap
			case "new-source":
				r.Kind = NewSource
			default:
				p.errorf(e.line, "kind: want threshold, trap or new-source, not %q", e.value)
			}
		case "services":
			r.Services = append(r.Services, p.words(e)...)
		case "actions":
			r.Actions = append(r.Actions, p.words(e)...)
		case "count":
			r.Count = p.integer(e, 1, MaxCount)
		case "within":
			r.Window = p.duration(e)
		case "prefix4":
			r.Prefix4 = p.integer(e, 1, 32)
		case "prefix6":
			r.Prefix6 = p.integer(e, 1, 128)
		case "learn":
			r.Learn = p.duration(e)
		case "quiet":
			r.Quiet = p.duration(e)
		case "max-duration":
			r.MaxDuration = p.duration(e)
		default:
			p.unknown(e, "[rule]")
		}
	}
	for _, e := range s.entries {
		switch {
		case (e.key == "count" || e.key == "within") && r.Kind != Threshold && r.Kind != 0:
			p.errorf(e.line, "%s applies to threshold rules only", e.key)
		case e.key == "learn" && r.Kind != NewSource && r.Kind != 0:
			p.errorf(e.line, "learn applies to new-source rules only")
		}
	}
	return r
}

// actionKeys are the keys each action kind takes, besides kind, queue
// and workers.
var actionKeys = map[ActionKind][]string{
	ActionMail:    {"server", "helo", "from", "to", "tls", "ca-file", "server-name", "auth", "username", "password", "password-file", "timeout", "subject-prefix"},
	ActionWebhook: {"url", "header", "timeout", "retries", "backoff"},
	ActionProgram: {"argv", "env", "timeout", "concurrency"},
}

func (p *parser) action(s section) ActionConfig {
	a := ActionConfig{Name: s.name, Pos: Pos{File: p.file, Line: s.line}}
	if s.name == "" {
		p.errorf(s.line, "[action] needs a name")
	}
	for _, e := range s.entries {
		if e.key == "kind" {
			switch e.value {
			case "mail":
				a.Kind = ActionMail
			case "webhook":
				a.Kind = ActionWebhook
			case "program":
				a.Kind = ActionProgram
			default:
				p.errorf(e.line, "kind: want mail, webhook or program, not %q", e.value)
			}
		}
	}
	if a.Kind == 0 {
		p.errorf(s.line, "action %s: no kind (mail, webhook or program)", s.name)
		return a
	}
	for _, e := range s.entries {
		switch e.key {
		case "kind":
			p.single(e)
			continue
		case "queue":
			p.single(e)
			a.Queue = p.integer(e, 1, 1_000_000)
			continue
		case "workers":
			p.single(e)
			a.Workers = p.integer(e, 1, 64)
			continue
		}
		known := false
		for _, k := range actionKeys[a.Kind] {
			known = known || k == e.key
		}
		if !known {
			p.errorf(e.line, "unknown key %q for a %s action", e.key, a.Kind)
			continue
		}
		if e.key != "to" && e.key != "header" && e.key != "env" {
			p.single(e)
		}
		switch a.Kind {
		case ActionMail:
			p.mailKey(&a.Mail, e)
		case ActionWebhook:
			p.webhookKey(&a.Webhook, e)
		case ActionProgram:
			p.programKey(&a.Program, e)
		}
	}
	return a
}

func (p *parser) mailKey(m *MailConfig, e entry) {
	switch e.key {
	case "server":
		m.Server = p.word(e)
	case "helo":
		m.Helo = p.word(e)
	case "from":
		m.From = p.word(e)
	case "to":
		m.To = append(m.To, p.words(e)...)
	case "tls":
		switch e.value {
		case "opportunistic":
			m.TLS = TLSOpportunistic
		case "required":
			m.TLS = TLSRequired
		case "implicit":
			m.TLS = TLSImplicit
		case "none":
			m.TLS = TLSNone
		default:
			p.errorf(e.line, "tls: want opportunistic, required, implicit or none")
		}
	case "ca-file":
		m.CAFile = p.word(e)
	case "server-name":
		m.ServerName = p.word(e)
	case "auth":
		m.Auth = strings.ToLower(e.value)
	case "username":
		m.Username = e.value
	case "password":
		m.Password = e.value
	case "password-file":
		m.PasswordFile = p.word(e)
	case "timeout":
		m.Timeout = p.duration(e)
	case "subject-prefix":
		m.SubjectPrefix = e.value
	}
}

func (p *parser) webhookKey(w *WebhookConfig, e entry) {
	switch e.key {
	case "url":
		w.URL = p.word(e)
	case "header":
		k, v, ok := strings.Cut(e.value, ":")
		if !ok {
			p.errorf(e.line, "header: want Name: value")
			return
		}
		if w.Headers == nil {
			w.Headers = map[string]string{}
		}
		w.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	case "timeout":
		w.Timeout = p.duration(e)
	case "retries":
		w.Retries = p.integer(e, 0, 20)
		if w.Retries == 0 {
			w.Retries = -1
		}
	case "backoff":
		w.Backoff = p.duration(e)
	}
}

func (p *parser) programKey(g *ProgramConfig, e entry) {
	switch e.key {
	case "argv":
		g.Argv = p.words(e)
	case "env":
		g.Env = append(g.Env, e.value)
	case "timeout":
		g.Timeout = p.duration(e)
	case "concurrency":
		g.Concurrency = p.integer(e, 1, 64)
	}
}

// ParseDuration reads a duration in Go's syntax ("90s", "1h30m") or in
// days ("7d", "1d12h"). Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("bad duration %q", orig)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q", orig)
	}
	if d < 0 || days+d < days {
		return 0, fmt.Errorf("bad duration %q", orig)
	}
	return days + d, nil
}

// SplitWords splits a list into blank-separated words; a word in double
// quotes may hold blanks and Go escapes ("a b", "\"").
func SplitWords(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '"' {
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '"' {
					break
				}
			}
			if j >= len(s) {
				return nil, errors.New("unclosed quote")
			}
			w, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad quoted word %s", s[i:j+1])
			}
			if j+1 < len(s) && s[j+1] != ' ' && s[j+1] != '\t' {
				return nil, fmt.Errorf("text right after quoted word %s", s[i:j+1])
			}
			out = append(out, w)
			i = j + 1
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			if s[j] == '"' {
				return nil, errors.New("quote inside a word")
			}
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out, nil
}
