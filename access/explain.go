package access

import (
	"strconv"
	"strings"
)

// Explain describes a decision already made with f: for every rule the
// scan looked at before the deciding one, why it did not match, then what
// decided. It re-evaluates the rules with the facts f has already learned;
// diagnostics this causes are discarded.
func (p Policy) Explain(f *Facts, d Decision) []string {
	saved, savedCtx := len(f.log), f.ctx
	defer func() { f.log, f.ctx = f.log[:saved], savedCtx }()

	var out []string
	client := f.hostAddr(&f.client)
	if f.client.nameSet {
		client += " (name " + f.client.name + ")"
	}
	for _, t := range []*Table{p.Allow, p.Deny} {
		if t == nil {
			continue
		}
		if t.OpenErr != "" {
			out = append(out, t.Name+": "+t.OpenErr+": the table counts as an error")
			if t == p.Deny {
				break
			}
			continue
		}
		for _, r := range t.AllRules() {
			where := t.Name + " line " + strconv.Itoa(r.Line) + ": "
			if r == d.Rule {
				out = append(out, where+"matched "+strconvQuote(r.Text)+": "+explainReason(d))
				return out
			}
			l := t.lists(r)
			ok, why := f.explainList(l.daemons.groups, r.Daemons(), "daemon "+f.Daemon(), func(p *daemonPattern) bool { return f.matchDaemon(p) })
			if ok {
				ok, why = f.explainList(l.clients.groups, r.Clients(), "client "+client, func(p *clientPattern) bool { return f.matchClient(p) })
			}
			if ok {
				// It matched now but did not decide: a failed aclexec.
				out = append(out, where+"matched "+strconvQuote(r.Text)+" but an aclexec command failed, so it counts as not matching")
				continue
			}
			out = append(out, where+"no match: "+why)
		}
		if line, ok := t.Truncated(); ok {
			out = append(out, t.Name+" line "+strconv.Itoa(line)+": missing newline or line too long: the table counts as an error")
		}
	}
	out = append(out, "decided: "+explainReason(d))
	return out
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func explainReason(d Decision) string {
	switch d.Reason {
	case ReasonDefault:
		return "no rule matched in either table, so access is granted"
	case ReasonAllowTable:
		return "a rule of the allow table matched, so access is granted"
	case ReasonDenyTable:
		return "a rule of the deny table matched, so access is denied"
	case ReasonAllowOption:
		return "its allow option grants access"
	case ReasonDenyOption:
		return "its deny option denies access"
	case ReasonOptionError:
		return "an option is in error, so access is denied"
	case ReasonTableError:
		return "the deny table could not be read completely, so access is denied"
	case ReasonAborted:
		return "an expansion overflowed; no verdict"
	}
	return d.Reason.String()
}

// explainList evaluates a list like evalList and says why it failed.
func (f *Facts) explainList(groups any, words []string, subject string, match any) (bool, string) {
	switch g := groups.(type) {
	case [][]daemonPattern:
		return explainGroups(g, words, subject, match.(func(*daemonPattern) bool), func(p *daemonPattern) string { return p.text })
	case [][]clientPattern:
		return explainGroups(g, words, subject, match.(func(*clientPattern) bool), func(p *clientPattern) string { return p.text() })
	}
	return false, ""
}

func explainGroups[T any](groups [][]T, words []string, subject string, match func(*T) bool, text func(*T) string) (bool, string) {
	kind := strings.SplitN(subject, " ", 2)[0]
	if len(groups) == 0 || len(groups[0]) == 0 {
		return false, kind + " list " + strconv.Quote(strings.Join(words, " ")) + " is empty or starts with EXCEPT"
	}
	for i := range groups[0] {
		if match(&groups[0][i]) {
			if len(groups) == 1 || !evalList(groups[1:], match) {
				return true, ""
			}
			return false, subject + " matches " + strconv.Quote(text(&groups[0][i])) + " but is excluded by EXCEPT"
		}
	}
	var ws []string
	for i := range groups[0] {
		ws = append(ws, text(&groups[0][i]))
	}
	return false, subject + " matches none of " + strconv.Quote(strings.Join(ws, " "))
}
