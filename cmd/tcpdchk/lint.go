package main

import (
	"strconv"
	"strings"

	"tcpwrap/access"
)

// The lint (-l) reports rules and patterns that the matcher accepts but
// that can never have the effect they seem to have. Each finding is a
// warning with the word "lint:" after the file and line:
//
//	warning: hosts.allow, line 5: lint: rule can never match: line 2 ("ALL: ALL") always matches first
//
// The findings come from the matcher's compiled patterns (access.ExamineHost,
// Rule.Covers and friends), so they say what the matcher really does.

func (c *checker) lintf(text string) { c.warn("lint: " + text) }

// lintHost reports a host pattern that never matches or does not mean what
// it seems to. token is the list word it came from.
func (c *checker) lintHost(pat, token string, info access.HostInfo) {
	q := func(s string) string { return strconv.Quote(s) }
	suggest := ""
	if info.Suggest != "" {
		suggest = "; write " + info.Suggest
	}
	never := pat + " never matches: "
	switch info.Lint {
	case access.HostOK:
	case access.NetShort:
		c.lintf(never + "the network must be written as a full dotted quad" + suggest)
	case access.NetMaskZero:
		c.lintf(never + "a prefix length of 0 is not accepted (0.0.0.0/0.0.0.0 matches every IPv4 address)")
	case access.NetMaskTooLong:
		c.lintf(never + "an IPv4 prefix length must be 1 to 32")
	case access.NetMaskAllOnes:
		c.lintf(never + "the mask 255.255.255.255 is not accepted (it is inet_addr's error value)" + suggest)
	case access.NetMaskBad:
		c.lintf(never + "the mask must be a dotted quad or a prefix length 1 to 32")
	case access.NetBareIPv6:
		c.lintf(never + "an IPv6 network must be written in brackets" + suggest)
	case access.NetBadIPv6:
		c.lintf(never + "the network is not a bracketed IPv6 address")
	case access.NetBadIPv6Len:
		c.lintf(never + "an IPv6 prefix length must be 0 to 128")
	case access.NetAddressV4Bad:
		c.lintf(never + "the network is not a valid IPv4 address")
	case access.NetHostBits:
		c.lintf(never + "the network has bits set outside the mask, and addresses are compared with it unmasked" + suggest)
	case access.NetMappedIPv6, access.BracketMapped:
		c.lintf(never + "IPv4-mapped clients are compared as plain IPv4 addresses" + suggest)
	case access.BracketNotIPv6:
		c.lintf(never + "the text in brackets is not an IPv6 address")
	case access.WildLeadingDot:
		c.lintf(never + `with "*" or "?" a pattern must match the whole name, so the leading dot is literal` + suggest)
	case access.WildTrailingDot:
		c.lintf(never + `with "*" or "?" a pattern must match the whole name, so the trailing dot is literal` + suggest)
	case access.NameTrailingDot:
		c.lintf(pat + " is a prefix pattern: it matches names that begin with " + q(pat) + ", never the host " + strings.TrimSuffix(pat, ".") + " itself" + suggest)
	case access.NumberOnly:
		if pat == c.bareHead {
			return // reported as a bare IPv6 address
		}
		c.lintf(never + "it is compared with whole addresses only" + suggest + " for a network")
	case access.EmptyHost:
		c.lintf(q(token) + " never matches: the host part after \"@\" is empty")
	}
}

// lintRule reports rule-level findings: a rule that an earlier one always
// beats, options after an option that must be last, and a bare IPv6
// address cut by the field split.
func (c *checker) lintRule(r *access.Rule) {
	defer func() {
		if r.ClientsAlwaysMatch() {
			c.shadows = append(c.shadows, r)
		}
	}()
	deadDaemons, deadClients := r.NeverMatches()
	dead := func(what string, words []string) {
		why := "is empty"
		if len(words) > 0 {
			why = "starts with EXCEPT"
		}
		c.lintf("rule can never match: its " + what + " list " + why)
	}
	switch {
	case deadDaemons:
		dead("daemon", r.Daemons())
	case deadClients:
		dead("client", r.Clients())
	default:
		if e, where := c.shadowedBy(r); e != nil {
			how := "always matches first"
			if !e.AlwaysMatches() {
				how = "matches all of its requests first"
			}
			c.lintf("rule can never match: " + where + " (" + strconv.Quote(e.Text) + ") " + how)
		}
	}
	if name, ok := r.MisplacedLast(); ok {
		c.lintf(`option "` + name + `" must be the last option: with options after it the rule is an error, and access is denied`)
	}
	if b, ok := r.BareIPv6(); ok {
		rest := "options"
		write := "[" + b.Addr + "]" + b.Prefix
		if b.InDaemonList {
			rest = "client list"
		}
		c.lintf("the IPv6 address " + b.Addr + b.Prefix + " is cut at its first \":\" (the rest is read as the " + rest + "); write it in brackets: " + write)
	}
}

// shadowedBy returns the first rule scanned before r that matches every
// request r can match, and how to name it: "line N" in the same table,
// "FILE, line N" in hosts.allow (only rules without aclexec, whose failure
// would let the scan go on to hosts.deny).
func (c *checker) shadowedBy(r *access.Rule) (*access.Rule, string) {
	if r.File != "" {
		for _, e := range c.allowShadows {
			if e.File != r.File && e.Covers(r) {
				return e, e.File + ", line " + strconv.Itoa(e.Line)
			}
		}
	}
	for _, e := range c.shadows {
		if e.Covers(r) {
			return e, "line " + strconv.Itoa(e.Line)
		}
	}
	return nil, ""
}
