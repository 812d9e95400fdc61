package access

import (
	"strings"
	"tcpwrap/options"
)

// ruleMatches evaluates a rule's daemon list and then, only if that
// matched, its client list.
func (f *Facts) ruleMatches(l *ruleLists) bool {
	return evalList(l.daemons.groups, f.matchDaemon) && evalList(l.clients.groups, f.matchClient)
}

func (f *Facts) matchDaemon(p *daemonPattern) bool {
	if p.port >= 0 {
		// A port-number pattern matches the server's port, and nothing
		// when no server socket address is known.
		if !f.server.ep.IP.IsValid() || int32(f.server.ep.Port) != p.port {
			return false
		}
	} else if !p.name.match(f.Daemon()) {
		return false
	}
	if p.host != nil {
		return f.matchHost(p.host, &f.server)
	}
	return true
}

func (f *Facts) matchClient(p *clientPattern) bool {
	if !f.matchHost(&p.host, &f.client) {
		return false
	}
	return p.user == nil || p.user.match(f.User())
}

func (f *Facts) matchHost(p *hostPattern, h *host) bool {
	switch p.kind {
	case hostNetgroup:
		name := f.hostName(h)
		return f.hooks.Netgroups != nil && f.hooks.Netgroups.InNetgroup(p.text()[1:], name)
	case hostFile:
		fl := p.file
		if fl.openErr != "" {
			f.warn(fl.openErr)
			return false
		}
		for i := range fl.words {
			if f.matchHost(&fl.words[i], h) {
				return true
			}
		}
		return false
	case hostKnown:
		name := f.hostName(h)
		return !options.EqualFold(f.hostAddr(h), Unknown) && hostnameKnown(name)
	case hostLocal:
		name := f.hostName(h)
		return !strings.Contains(name, ".") && hostnameKnown(name)
	case hostNetmask:
		return p.nm.match(f.hostAddr(h))
	default:
		if p.str.match(f.hostAddr(h)) {
			return true
		}
		return !p.addrOnly && p.str.match(f.hostName(h))
	}
}
