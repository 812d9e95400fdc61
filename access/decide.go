package access

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"tcpwrap/options"
)

// Verdict is the outcome of a decision. The zero Verdict is Denied, so a
// Decision that was never filled in grants nothing.
type Verdict uint8

const (
	Denied Verdict = iota
	Granted
)

func (v Verdict) String() string {
	if v == Granted {
		return "granted"
	}
	return "denied"
}

// Reason says what settled a decision.
type Reason uint8

const (
	// ReasonDefault: no rule in either table matched, so access is
	// granted.
	ReasonDefault Reason = iota
	// ReasonAllowTable: a rule of the allow table matched.
	ReasonAllowTable
	// ReasonDenyTable: a rule of the deny table matched.
	ReasonDenyTable
	// ReasonAllowOption and ReasonDenyOption: an allow or deny option of
	// the matched rule settled it.
	ReasonAllowOption
	ReasonDenyOption
	// ReasonOptionError: an option of the matched rule was in error.
	ReasonOptionError
	// ReasonTableError: the deny table could not be read completely, so
	// access is denied.
	ReasonTableError
	// ReasonAborted: an expansion overflowed its buffer; tcp_wrappers
	// exits without a verdict.
	ReasonAborted
)

var reasonNames = [...]string{"default", "allow-table", "deny-table", "allow-option", "deny-option", "option-error", "table-error", "aborted"}

func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Action is one option of the matched rule that a runner must carry out
// (or, in a dry run, report). Options that only shape the decision (allow,
// deny, severity, rfc931) are reported in Decision and not here.
type Action struct {
	Kind options.Keyword
	// Value is the option's value after %-expansion where the option
	// expands it: the command for spawn, twist and aclexec, the directory
	// for banners, the variable's content for setenv.
	Value string
	// Name is the variable for setenv, the user for user.
	Name string
	// Group is the group for group and for user's "name.group".
	Group string
	// Number is the mode for umask, the seconds for linger, the increment
	// for nice.
	Number int
}

// Decision is the result of deciding one request. It is a value: deciding
// runs nothing and writes nothing.
type Decision struct {
	Verdict Verdict
	Reason  Reason
	// Rule is the rule that decided, or nil (default grant, table error).
	Rule *Rule
	// Delegated is true when a twist option was reached: the runner
	// replaces the daemon with the twist command.
	Delegated bool
	// Actions are the matched rule's options to carry out, in order. When
	// a later option was in error, the earlier ones are still listed, as
	// tcp_wrappers has already run them by then.
	Actions []Action
	// Severity is the priority chosen by a severity option, or nil.
	Severity *options.Priority
	// Log holds every diagnostic of the decision in order, including the
	// verbose "matched:" and "option:" records (LevelDebug).
	Log []Message
}

// Policy is a pair of tables. A nil table is a missing file: it matches
// nothing.
type Policy struct {
	Allow, Deny *Table
}

var factsPool = sync.Pool{New: func() any { return new(Facts) }}

// Check decides a request with facts that live only for the decision
// (from a pool, so a decision allocates nothing in the common case). Use
// NewFacts and Decide instead when the facts are needed afterwards, for
// example to log the client as tcpd does.
func (p Policy) Check(req Request, hooks Hooks) Decision {
	f := factsPool.Get().(*Facts)
	f.reset(req, hooks)
	d := p.Decide(f)
	if len(d.Log) > 0 {
		d.Log = slices.Clone(d.Log)
	} else {
		d.Log = nil
	}
	f.reset(Request{}, Hooks{})
	factsPool.Put(f)
	return d
}

type scanResult uint8

const (
	scanNoMatch scanResult = iota
	scanMatch
	scanError
	scanGrant // allow option
	scanDeny  // deny option or option error
	scanAbort // expansion overflow
	// scanDamaged: the table is a snapshot found damaged. scan starts
	// again on its fallback; without one, access is denied, whichever
	// table it is.
	scanDamaged
)

// Decide decides a request. It is safe to call from many goroutines at
// once with different Facts.
func (p Policy) Decide(f *Facts) Decision {
	var d Decision
	res := f.scan(p.Allow, &d)
	switch res {
	case scanMatch:
		d.Verdict, d.Reason = Granted, ReasonAllowTable
	case scanNoMatch, scanError:
		d.Rule = nil
		switch f.scan(p.Deny, &d) {
		case scanNoMatch:
			d.Verdict, d.Reason = Granted, ReasonDefault
			d.Rule = nil
		case scanMatch:
			d.Verdict, d.Reason = Denied, ReasonDenyTable
		case scanError, scanDamaged:
			d.Verdict, d.Reason = Denied, ReasonTableError
			d.Rule = nil
		}
	case scanDamaged:
		// Skipping an allow table could skip a rule whose options deny:
		// a damaged one denies at once.
		d.Verdict, d.Reason = Denied, ReasonTableError
		d.Rule = nil
	}
	d.Log = f.log
	return d
}

// scan is tcp_wrappers' table_match over the compiled table. The verdicts
// an option settles at once are written into d.
func (f *Facts) scan(t *Table, d *Decision) scanResult {
	if t == nil {
		return scanNoMatch
	}
	if t.OpenErr != "" {
		f.warn(t.OpenErr)
		return scanError
	}
	// The context is restored when the scan ends normally, and left as it
	// is when an option ends the decision at once (tcp_wrappers jumps out
	// past the restore).
	saved, logged := f.ctx, len(f.log)
	res := f.scanTable(t, d)
	if res == scanDamaged {
		// Nothing the scan did counts: no option has run (a rule is
		// read whole before it is matched). Start again on the table
		// compiled from source, or deny.
		f.log, f.ctx, d.Rule = f.log[:logged], saved, nil
		if fb, ok := t.snap.replacement(); ok {
			return f.scan(fb, d)
		}
		f.warn(t.Name + ": table snapshot is damaged")
		return scanDamaged
	}
	if res <= scanError {
		f.ctx = saved
	}
	return res
}

func (f *Facts) scanTable(t *Table, d *Decision) scanResult {
	ev := 0
	var lists [maxLists][]int32
	var cands [][]int32
	if t.index != nil {
		cands = t.index.candidates(f, lists[:0])
		if t.snap != nil && t.snap.damaged.Load() {
			return scanDamaged
		}
	} else {
		// No index: the reference scan over every rule, used by tests.
		all := make([]int32, t.NumRules())
		for i := range all {
			all[i] = int32(i)
		}
		cands = append(lists[:0], all)
	}
	last := int32(-1)
	for {
		pos := nextCandidate(cands, last)
		if pos < 0 {
			break
		}
		last = pos
		for ev < len(t.events) && t.events[ev].pos <= int(pos) {
			f.event(t, &t.events[ev])
			ev++
		}
		r := t.rule(pos)
		if r == nil {
			return scanDamaged
		}
		f.ctx = ctxAt(t.Name, r.Line)
		if !f.ruleMatches(t.lists(r)) {
			continue
		}
		if f.verbose {
			f.debug("matched:  " + t.Name + " line " + strconv.Itoa(r.Line))
		}
		d.Rule = r
		if !r.HasOptions {
			return scanMatch
		}
		if res := f.runOptions(r, d); res != scanMatch {
			return res
		}
		if f.aclexecFail {
			f.log = append(f.log, Message{LevelInfo, "aclexec returned 1"})
			d.Rule = nil
			return scanNoMatch
		}
		return scanMatch
	}
	for ; ev < len(t.events); ev++ {
		f.event(t, &t.events[ev])
	}
	if t.trunc != nil {
		f.ctx = ctxAt(t.Name, t.trunc.line)
		f.warn(t.trunc.text)
		f.warn("all the subsequent rules will be ignored")
		return scanError
	}
	return scanNoMatch
}

func (f *Facts) event(t *Table, e *event) {
	f.ctx = ctxAt(t.Name, e.line)
	f.warn(e.text)
}

// runOptions processes the matched rule's options left to right, as
// tcp_wrappers' process_options does.
func (f *Facts) runOptions(r *Rule, d *Decision) scanResult {
	fields, endsInColon := options.Split(r.Options)
	if endsInColon {
		f.warn(`rule ends in ":"`)
	}
	for _, fl := range fields {
		if fl.Empty || fl.Name == "" {
			return f.optionError(d, "missing option name")
		}
		kw, flags := options.Lookup(fl.Name)
		switch {
		case kw == options.Bad:
			return f.optionError(d, `bad option name: "`+fl.Name+`"`)
		case flags&options.NeedValue != 0 && !fl.HasValue:
			return f.optionError(d, `option "`+fl.Name+`" requires value`)
		case flags&(options.NeedValue|options.MayValue) == 0 && fl.HasValue:
			return f.optionError(d, `option "`+fl.Name+`" requires no value`)
		case flags&options.Last != 0 && fl.More:
			return f.optionError(d, `option "`+fl.Name+`" must be at end`)
		}
		value := fl.Value
		if fl.HasValue && flags&options.Expand != 0 {
			v, err := f.Expand(value, MaxExpansion)
			if err != nil {
				d.Verdict, d.Reason = Denied, ReasonAborted
				return scanAbort
			}
			value = options.Chop(v)
		}
		if f.verbose {
			f.debug("option:   " + fl.Name + " " + value)
		}
		if res := f.runOption(kw, fl.HasValue, value, d); res != scanMatch {
			return res
		}
	}
	return scanMatch
}

// RunOptions processes a rule's options as if the rule had just matched
// (tcpdchk's dry run), with table context for the messages. The Decision
// tells what they settled: Reason is ReasonAllowOption, ReasonDenyOption,
// ReasonOptionError or ReasonAborted, or ReasonDefault when they settled
// nothing.
func (r *Rule) RunOptions(f *Facts) Decision {
	var d Decision
	from := len(f.log)
	f.ctx = ctxAt(r.File, r.Line)
	if r.HasOptions {
		f.runOptions(r, &d)
	}
	f.ctx = warnCtx{}
	d.Rule = r
	d.Log = f.log[from:]
	return d
}

func (f *Facts) optionError(d *Decision, text string) scanResult {
	f.fail(text)
	d.Verdict, d.Reason = Denied, ReasonOptionError
	return scanDeny
}

func (f *Facts) runOption(kw options.Keyword, has bool, v string, d *Decision) scanResult {
	add := func(a Action) {
		a.Kind = kw
		d.Actions = append(d.Actions, a)
	}
	switch kw {
	case options.Allow:
		d.Verdict, d.Reason = Granted, ReasonAllowOption
		return scanGrant
	case options.Deny:
		d.Verdict, d.Reason = Denied, ReasonDenyOption
		return scanDeny
	case options.User:
		name, group, hasGroup := options.SplitUser(v)
		if ug, ok := f.hooks.Accounts.(UserGroupAccounts); ok && hasGroup {
			if err := ug.UserGroup(name, group); err != nil {
				return f.optionError(d, err.Error())
			}
			add(Action{Name: name, Group: group})
			break
		}
		if hasGroup {
			if err := f.checkGroup(group); err != nil {
				return f.optionError(d, err.Error())
			}
		}
		if err := f.checkUser(name); err != nil {
			return f.optionError(d, err.Error())
		}
		add(Action{Name: name, Group: group})
	case options.Group:
		if err := f.checkGroup(v); err != nil {
			return f.optionError(d, err.Error())
		}
		add(Action{Group: v})
	case options.Umask:
		m, ok := options.ParseUmask(v)
		if !ok {
			return f.optionError(d, `bad umask value: "`+v+`"`)
		}
		add(Action{Number: int(m)})
	case options.Linger:
		n, ok := options.ParseLinger(v)
		if !ok {
			return f.optionError(d, `bad linger value: "`+v+`"`)
		}
		add(Action{Number: n})
	case options.Nice:
		n := options.DefaultNice
		if has {
			var ok bool
			if n, ok = options.ParseNice(v); !ok {
				return f.optionError(d, `bad nice value: "`+v+`"`)
			}
		}
		add(Action{Number: n})
	case options.Rfc931:
		if has {
			n, ok := options.ParseTimeout(v)
			if !ok {
				return f.optionError(d, `bad rfc931 timeout: "`+v+`"`)
			}
			f.identTimeout = secondsDuration(n)
		}
		f.User()
	case options.Severity:
		p, bad, ok := options.ParseSeverity(v)
		if !ok {
			return f.optionError(d, `bad syslog facility or severity: "`+bad+`"`)
		}
		d.Severity = &p
	case options.Setenv:
		name, val := options.SplitSetenv(v)
		if strings.Contains(name, "=") {
			// setenv(3) refuses such a name; tcp_wrappers reports every
			// setenv failure this way.
			return f.optionError(d, "memory allocation failure")
		}
		add(Action{Name: name, Value: val})
	case options.Twist:
		d.Delegated = true
		add(Action{Value: v})
	case options.AclExec:
		add(Action{Value: v})
		if f.hooks.AclExec != nil {
			ok, warnings := f.hooks.AclExec(v)
			for _, w := range warnings {
				f.warn(w)
			}
			f.aclexecFail = !ok
		}
	case options.Banners:
		add(Action{Value: v})
		if f.hooks.BannerFS != nil && f.hooks.BannerOut != nil {
			if err := f.writeBanner(f.hooks.BannerFS, v, f.hooks.BannerOut); err == ErrExpansionTooLong {
				d.Verdict, d.Reason = Denied, ReasonAborted
				return scanAbort
			}
		}
	default: // spawn, keepalive
		add(Action{Value: v})
	}
	return scanMatch
}

func (f *Facts) checkUser(name string) error {
	if f.hooks.Accounts == nil {
		return nil
	}
	return f.hooks.Accounts.User(name)
}

func (f *Facts) checkGroup(name string) error {
	if f.hooks.Accounts == nil {
		return nil
	}
	return f.hooks.Accounts.Group(name)
}
