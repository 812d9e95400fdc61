package alert

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Kind is what a rule looks for.
type Kind uint8

// Rule kinds.
const (
	// Threshold: Count refusals from one source within Window.
	Threshold Kind = iota + 1
	// Trap: any connection, granted or refused, to one of the rule's
	// services (services nobody legitimate uses).
	Trap
	// NewSource: a grant to a service from a source never seen granted
	// that service before.
	NewSource
)

func (k Kind) String() string {
	switch k {
	case Threshold:
		return "threshold"
	case Trap:
		return "trap"
	case NewSource:
		return "new-source"
	}
	return "unknown"
}

// Defaults used when a field is zero.
const (
	DefaultQuiet       = 10 * time.Minute
	DefaultMaxDuration = 24 * time.Hour
	DefaultPrefix4     = 32
	DefaultPrefix6     = 64
	DefaultMaxSources  = 65536
	DefaultMaxSeen     = 100000
	DefaultMaxIncident = 10000
	DefaultQueue       = 100
	DefaultSkew        = 5 * time.Minute
	MaxCount           = 10000 // the largest Threshold count accepted
)

// Pos is where something was written in a configuration file; the zero
// Pos means it did not come from a file.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// prefixed puts "file:line: " in front of msg when p is known.
func (p Pos) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.File != "" {
		return fmt.Errorf("%s: %s", p, msg)
	}
	return errors.New(msg)
}

// Rule is one alert rule.
type Rule struct {
	// Name identifies the rule in notices and incident keys; required and
	// unique.
	Name string
	Kind Kind
	// Services are the daemon names the rule looks at. Empty means every
	// service, except for Trap rules, which must name theirs.
	Services []string
	// Count and Window: Threshold rules fire at the Count-th refusal from
	// one source within Window (both required).
	Count  int
	Window time.Duration
	// Prefix4 and Prefix6 say what "one source" is: the client address
	// masked to this many bits. Zero means DefaultPrefix4 (32, a single
	// IPv4 address) and DefaultPrefix6 (64: the attacker who rotates
	// through the addresses of a /64 is still one source).
	Prefix4, Prefix6 int
	// Learn, for NewSource rules: for this long after the seen set was
	// first created, sources are recorded without alerting, so that a
	// fresh installation does not report every regular client. Zero means
	// no learning period.
	Learn time.Duration
	// Actions names the actions to carry out (Config.Actions or
	// Options.Actions).
	Actions []string
	// Quiet and MaxDuration override the Config's for this rule.
	Quiet, MaxDuration time.Duration
	Pos                Pos
}

// ActionKind is what an action does.
type ActionKind uint8

// Action kinds.
const (
	ActionMail ActionKind = iota + 1
	ActionWebhook
	ActionProgram
)

func (k ActionKind) String() string {
	switch k {
	case ActionMail:
		return "mail"
	case ActionWebhook:
		return "webhook"
	case ActionProgram:
		return "program"
	}
	return "unknown"
}

// ActionConfig describes one named action. Only the part for its Kind is
// used.
type ActionConfig struct {
	Name    string
	Kind    ActionKind
	Mail    MailConfig
	Webhook WebhookConfig
	Program ProgramConfig
	// Queue is how many notices may wait for this action; beyond it new
	// notices are dropped and counted. Zero means DefaultQueue.
	Queue int
	// Workers is how many notices the action handles at once. Zero
	// means 1 (for a program: ProgramConfig.Concurrency).
	Workers int
	Pos     Pos
}

// Config is the alerting configuration.
type Config struct {
	Rules   []Rule
	Actions []ActionConfig
	// Quiet is how long an incident stays open after its last event;
	// zero means DefaultQuiet.
	Quiet time.Duration
	// MaxDuration closes an incident this long after it opened even when
	// events keep coming (a summary goes out, and the next event opens a
	// new incident); zero means DefaultMaxDuration.
	MaxDuration time.Duration
	// MaxAge: events whose time is older than this (as the clock says)
	// never open an incident; they come from a backlog and are only
	// learned from. Zero means no limit.
	MaxAge time.Duration
	// SummaryAlways sends the closing summary even when nothing followed
	// the opening alert; by default such incidents close silently.
	SummaryAlways bool
	// SeenFile keeps the NewSource rules' seen set across restarts
	// (JSON, replaced atomically). Empty: kept in memory only.
	SeenFile string
	// MaxSeen bounds the seen set (least recently seen entries are
	// forgotten first); zero means DefaultMaxSeen.
	MaxSeen int
	// MaxSources bounds the sources a Threshold rule counts at once;
	// zero means DefaultMaxSources.
	MaxSources int
	// MaxIncidents bounds open incidents; when full, the one idle longest
	// is closed to make room. Zero means DefaultMaxIncident.
	MaxIncidents int
	Pos          Pos
}

func (c *Config) quiet(r *Rule) time.Duration {
	switch {
	case r.Quiet > 0:
		return r.Quiet
	case c.Quiet > 0:
		return c.Quiet
	}
	return DefaultQuiet
}

func (c *Config) maxDuration(r *Rule) time.Duration {
	switch {
	case r.MaxDuration > 0:
		return r.MaxDuration
	case c.MaxDuration > 0:
		return c.MaxDuration
	}
	return DefaultMaxDuration
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// validName: rule and action names are short words, so that they are safe
// in a subject, a header or an environment variable.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// Validate checks the configuration on its own. Action names that rules
// refer to are checked by New, which also knows Options.Actions.
func (c *Config) Validate() error {
	if c.Quiet < 0 || c.MaxDuration < 0 || c.MaxAge < 0 {
		return c.Pos.errorf("negative duration")
	}
	names := map[string]bool{}
	for i := range c.Rules {
		r := &c.Rules[i]
		if err := r.validate(); err != nil {
			return err
		}
		if names[r.Name] {
			return r.Pos.errorf("rule %q defined twice", r.Name)
		}
		names[r.Name] = true
	}
	anames := map[string]bool{}
	for i := range c.Actions {
		a := &c.Actions[i]
		if err := a.validate(); err != nil {
			return err
		}
		if anames[a.Name] {
			return a.Pos.errorf("action %q defined twice", a.Name)
		}
		anames[a.Name] = true
	}
	return nil
}

func (r *Rule) validate() error {
	if !validName(r.Name) {
		return r.Pos.errorf("rule name %q: use 1 to 64 letters, digits, '-', '_' or '.'", r.Name)
	}
	for _, s := range r.Services {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return r.Pos.errorf("rule %s: bad service name %q", r.Name, s)
		}
	}
	switch r.Kind {
	case Threshold:
		if r.Count < 1 || r.Count > MaxCount {
			return r.Pos.errorf("rule %s: count must be 1 to %d", r.Name, MaxCount)
		}
		if r.Window <= 0 {
			return r.Pos.errorf("rule %s: a threshold rule needs a window", r.Name)
		}
	case Trap:
		if len(r.Services) == 0 {
			return r.Pos.errorf("rule %s: a trap rule must name its services", r.Name)
		}
	case NewSource:
		if r.Learn < 0 {
			return r.Pos.errorf("rule %s: negative learning period", r.Name)
		}
	default:
		return r.Pos.errorf("rule %s: no kind (threshold, trap or new-source)", r.Name)
	}
	if r.Prefix4 < 0 || r.Prefix4 > 32 {
		return r.Pos.errorf("rule %s: prefix4 must be 0 to 32", r.Name)
	}
	if r.Prefix6 < 0 || r.Prefix6 > 128 {
		return r.Pos.errorf("rule %s: prefix6 must be 0 to 128", r.Name)
	}
	if r.Quiet < 0 || r.MaxDuration < 0 || r.Window < 0 {
		return r.Pos.errorf("rule %s: negative duration", r.Name)
	}
	if len(r.Actions) == 0 {
		return r.Pos.errorf("rule %s: no actions", r.Name)
	}
	return nil
}

func (a *ActionConfig) validate() error {
	if !validName(a.Name) {
		return a.Pos.errorf("action name %q: use 1 to 64 letters, digits, '-', '_' or '.'", a.Name)
	}
	if a.Queue < 0 || a.Workers < 0 {
		return a.Pos.errorf("action %s: negative queue or workers", a.Name)
	}
	var err error
	switch a.Kind {
	case ActionMail:
		err = a.Mail.validate()
	case ActionWebhook:
		err = a.Webhook.validate()
	case ActionProgram:
		err = a.Program.validate()
	default:
		return a.Pos.errorf("action %s: no kind (mail, webhook or program)", a.Name)
	}
	if err != nil {
		return a.Pos.errorf("action %s: %v", a.Name, err)
	}
	return nil
}

// TLSMode says how a mail action uses TLS.
type TLSMode uint8

// TLS modes.
const (
	// TLSOpportunistic (the zero value): STARTTLS when the server offers
	// it, plain text otherwise (then no authentication is attempted).
	TLSOpportunistic TLSMode = iota
	// TLSRequired: STARTTLS must be offered and succeed, or nothing is
	// sent.
	TLSRequired
	// TLSImplicit: TLS from the first byte (SMTPS, port 465).
	TLSImplicit
	// TLSNone: never STARTTLS (loopback relays without TLS).
	TLSNone
)

func (m TLSMode) String() string {
	switch m {
	case TLSOpportunistic:
		return "opportunistic"
	case TLSRequired:
		return "required"
	case TLSImplicit:
		return "implicit"
	case TLSNone:
		return "none"
	}
	return "unknown"
}

// MailConfig is an SMTP action.
type MailConfig struct {
	// Server is host:port of the SMTP server (a port is required).
	Server string
	// Helo is the name given in EHLO; empty means "localhost".
	Helo string
	// From and To are the envelope and header addresses.
	From string
	To   []string
	TLS  TLSMode
	// CAFile names PEM certificates to trust instead of the system's.
	CAFile string
	// ServerName is the name checked in the server's certificate; empty
	// means the host part of Server.
	ServerName string
	// Auth is "", "plain" or "login". Credentials are only ever sent over
	// TLS: without it the delivery fails instead.
	Auth     string
	Username string
	// Password is the password itself; PasswordFile names a file holding
	// it (first line), which keeps it out of the configuration file.
	Password     string
	PasswordFile string
	// Timeout bounds a whole delivery (connect to QUIT); zero means 30s.
	Timeout time.Duration
	// SubjectPrefix starts every subject; empty means "[tcpdwatch]".
	SubjectPrefix string
}

func (m *MailConfig) validate() error {
	if m.Server == "" {
		return errors.New("mail needs a server (host:port)")
	}
	if _, port, err := splitHostPort(m.Server); err != nil || port == "" {
		return fmt.Errorf("server %q: want host:port", m.Server)
	}
	if err := checkAddress(m.From); err != nil {
		return fmt.Errorf("from: %v", err)
	}
	if len(m.To) == 0 {
		return errors.New("mail needs at least one recipient (to)")
	}
	for _, t := range m.To {
		if err := checkAddress(t); err != nil {
			return fmt.Errorf("to: %v", err)
		}
	}
	if m.Helo != "" && !validHost(m.Helo) {
		return fmt.Errorf("helo %q: not a host name", m.Helo)
	}
	if m.TLS > TLSNone {
		return errors.New("unknown TLS mode")
	}
	switch strings.ToLower(m.Auth) {
	case "":
		if m.Username != "" {
			return errors.New("username without auth (plain or login)")
		}
	case "plain", "login":
		if m.TLS == TLSNone {
			return errors.New("auth needs TLS: credentials are never sent in clear text")
		}
		if m.Username == "" {
			return errors.New("auth needs a username")
		}
		if m.Password != "" && m.PasswordFile != "" {
			return errors.New("give password or password-file, not both")
		}
	default:
		return fmt.Errorf("auth %q: want plain or login", m.Auth)
	}
	if m.Timeout < 0 {
		return errors.New("negative timeout")
	}
	if strings.ContainsAny(m.SubjectPrefix, "\r\n") {
		return errors.New("subject prefix with a line break")
	}
	return nil
}

// checkAddress accepts a bare RFC 5322 address (local@domain), with no
// display name, comment or line break.
func checkAddress(s string) error {
	if s == "" {
		return errors.New("empty address")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return fmt.Errorf("%q: %v", s, err)
	}
	if a.Name != "" || a.Address != s || strings.ContainsAny(s, "\r\n<>\" ") {
		return fmt.Errorf("%q: give the bare address (user@domain)", s)
	}
	return nil
}

// validHost reports whether s is a plausible host name or address
// literal for EHLO and Message-ID.
func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '[' || c == ']' || c == ':') {
			return false
		}
	}
	return true
}

// WebhookConfig is an HTTP webhook action: each notice is POSTed as JSON.
type WebhookConfig struct {
	URL string // http or https
	// Headers are added to each request (e.g. "Authorization: Bearer x").
	Headers map[string]string
	// Timeout bounds one attempt; zero means 10s.
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated (network
	// error, 5xx or 429); zero means 3, negative means none.
	Retries int
	// Backoff is the wait before the first retry, doubled each time;
	// zero means 1s.
	Backoff time.Duration
}

func (w *WebhookConfig) validate() error {
	u, err := url.Parse(w.URL)
	if err != nil {
		return fmt.Errorf("url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("url %q: want http:// or https://", w.URL)
	}
	for k, v := range w.Headers {
		if k == "" || strings.ContainsAny(k, ": \t\r\n") || strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("bad header %q", k)
		}
	}
	if w.Timeout < 0 || w.Backoff < 0 {
		return errors.New("negative duration")
	}
	return nil
}

// ProgramConfig is a program action. The program is run directly with
// Argv, never through a shell. Notice fields reach it in environment
// variables (TCPDWATCH_*, see the package documentation) and in Argv
// elements that contain placeholders such as {source}; both are
// sanitised first.
type ProgramConfig struct {
	// Argv[0] is the program's absolute path.
	Argv []string
	// Env adds NAME=value entries to the program's environment, which
	// otherwise holds only PATH and the TCPDWATCH_* variables.
	Env []string
	// Timeout: the program's whole process group is killed after it;
	// zero means 30s.
	Timeout time.Duration
	// Concurrency is how many copies may run at once; zero means 2.
	Concurrency int
}

func (p *ProgramConfig) validate() error {
	if len(p.Argv) == 0 || !strings.HasPrefix(p.Argv[0], "/") {
		return errors.New("program needs an absolute path")
	}
	for _, a := range p.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return errors.New("NUL byte in argv")
		}
		if err := checkPlaceholders(a); err != nil {
			return err
		}
	}
	for _, e := range p.Env {
		k, _, ok := strings.Cut(e, "=")
		if !ok || k == "" || strings.ContainsAny(e, "\x00") || strings.HasPrefix(k, "TCPDWATCH_") {
			return fmt.Errorf("env %q: want NAME=value (not TCPDWATCH_*)", e)
		}
	}
	if p.Timeout < 0 || p.Concurrency < 0 {
		return errors.New("negative timeout or concurrency")
	}
	return nil
}
