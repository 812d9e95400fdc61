package alert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"tcpwrap/internal/conffile"
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
	secs, errs := conffile.Split(src, name)
	cfg := Config{Pos: Pos{File: name, Line: 1}}
	seenAlert := false
	for _, s := range secs {
		p := &parser{file: name}
		switch s.Kind {
		case "alert":
			if s.Name != "" {
				p.errorf(s.Line, "[alert] takes no name")
			}
			if seenAlert {
				p.errorf(s.Line, "second [alert] section")
			}
			seenAlert = true
			cfg.Pos = Pos{File: name, Line: s.Line}
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

type parser struct {
	file string
	errs []error
	once map[string]int // key → line, for keys given once
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...)))
}

// single reports a key given twice.
func (p *parser) single(e conffile.Entry) {
	if p.once == nil {
		p.once = map[string]int{}
	}
	if prev, dup := p.once[e.Key]; dup {
		p.errorf(e.Line, "%s given twice (first on line %d)", e.Key, prev)
		return
	}
	p.once[e.Key] = e.Line
}

func (p *parser) duration(e conffile.Entry) time.Duration {
	d, err := ParseDuration(e.Value)
	if err != nil {
		p.errorf(e.Line, "%s: %v", e.Key, err)
	}
	return d
}

func (p *parser) integer(e conffile.Entry, lo, hi int) int {
	n, err := strconv.Atoi(e.Value)
	if err != nil || n < lo || n > hi {
		p.errorf(e.Line, "%s: want a number from %d to %d, not %q", e.Key, lo, hi, e.Value)
		return 0
	}
	return n
}

func (p *parser) words(e conffile.Entry) []string {
	w, err := SplitWords(e.Value)
	if err != nil {
		p.errorf(e.Line, "%s: %v", e.Key, err)
	}
	return w
}

func (p *parser) word(e conffile.Entry) string {
	w := p.words(e)
	if len(w) != 1 {
		p.errorf(e.Line, "%s: want one value", e.Key)
		return ""
	}
	return w[0]
}

func (p *parser) unknown(e conffile.Entry, where string) {
	p.errorf(e.Line, "unknown key %q in %s", e.Key, where)
}

func (p *parser) alert(c *Config, s conffile.Section) {
	for _, e := range s.Entries {
		p.single(e)
		switch e.Key {
		case "quiet":
			c.Quiet = p.duration(e)
		case "max-duration":
			c.MaxDuration = p.duration(e)
		case "max-age":
			c.MaxAge = p.duration(e)
		case "summary":
			switch e.Value {
			case "always":
				c.SummaryAlways = true
			case "followed":
				c.SummaryAlways = false
			default:
				p.errorf(e.Line, "summary: want always or followed")
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

func (p *parser) rule(s conffile.Section) Rule {
	r := Rule{Name: s.Name, Pos: Pos{File: p.file, Line: s.Line}}
	if s.Name == "" {
		p.errorf(s.Line, "[rule] needs a name")
	}
	for _, e := range s.Entries {
		if e.Key != "services" && e.Key != "actions" {
			p.single(e)
		}
		switch e.Key {
		case "kind":
			switch e.Value {
			case "threshold":
				r.Kind = Threshold
			case "trap":
				r.Kind = Trap
			case "new-source":
				r.Kind = NewSource
			default:
				p.errorf(e.Line, "kind: want threshold, trap or new-source, not %q", e.Value)
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
	for _, e := range s.Entries {
		switch {
		case (e.Key == "count" || e.Key == "within") && r.Kind != Threshold && r.Kind != 0:
			p.errorf(e.Line, "%s applies to threshold rules only", e.Key)
		case e.Key == "learn" && r.Kind != NewSource && r.Kind != 0:
			p.errorf(e.Line, "learn applies to new-source rules only")
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

func (p *parser) action(s conffile.Section) ActionConfig {
	a := ActionConfig{Name: s.Name, Pos: Pos{File: p.file, Line: s.Line}}
	if s.Name == "" {
		p.errorf(s.Line, "[action] needs a name")
	}
	for _, e := range s.Entries {
		if e.Key == "kind" {
			switch e.Value {
			case "mail":
				a.Kind = ActionMail
			case "webhook":
				a.Kind = ActionWebhook
			case "program":
				a.Kind = ActionProgram
			default:
				p.errorf(e.Line, "kind: want mail, webhook or program, not %q", e.Value)
			}
		}
	}
	if a.Kind == 0 {
		p.errorf(s.Line, "action %s: no kind (mail, webhook or program)", s.Name)
		return a
	}
	for _, e := range s.Entries {
		switch e.Key {
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
			known = known || k == e.Key
		}
		if !known {
			p.errorf(e.Line, "unknown key %q for a %s action", e.Key, a.Kind)
			continue
		}
		if e.Key != "to" && e.Key != "header" && e.Key != "env" {
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

func (p *parser) mailKey(m *MailConfig, e conffile.Entry) {
	switch e.Key {
	case "server":
		m.Server = p.word(e)
	case "helo":
		m.Helo = p.word(e)
	case "from":
		m.From = p.word(e)
	case "to":
		m.To = append(m.To, p.words(e)...)
	case "tls":
		switch e.Value {
		case "opportunistic":
			m.TLS = TLSOpportunistic
		case "required":
			m.TLS = TLSRequired
		case "implicit":
			m.TLS = TLSImplicit
		case "none":
			m.TLS = TLSNone
		default:
			p.errorf(e.Line, "tls: want opportunistic, required, implicit or none")
		}
	case "ca-file":
		m.CAFile = p.word(e)
	case "server-name":
		m.ServerName = p.word(e)
	case "auth":
		m.Auth = strings.ToLower(e.Value)
	case "username":
		m.Username = e.Value
	case "password":
		m.Password = e.Value
	case "password-file":
		m.PasswordFile = p.word(e)
	case "timeout":
		m.Timeout = p.duration(e)
	case "subject-prefix":
		m.SubjectPrefix = e.Value
	}
}

func (p *parser) webhookKey(w *WebhookConfig, e conffile.Entry) {
	switch e.Key {
	case "url":
		w.URL = p.word(e)
	case "header":
		k, v, ok := strings.Cut(e.Value, ":")
		if !ok {
			p.errorf(e.Line, "header: want Name: value")
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

func (p *parser) programKey(g *ProgramConfig, e conffile.Entry) {
	switch e.Key {
	case "argv":
		g.Argv = p.words(e)
	case "env":
		g.Env = append(g.Env, e.Value)
	case "timeout":
		g.Timeout = p.duration(e)
	case "concurrency":
		g.Concurrency = p.integer(e, 1, 64)
	}
}

// ParseDuration reads a duration in Go's syntax ("90s", "1h30m") or in
// days ("7d", "1d12h"). Negative durations are refused.
func ParseDuration(s string) (time.Duration, error) {
	return conffile.ParseDuration(s)
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
