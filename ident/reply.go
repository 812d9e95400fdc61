package ident

import "strings"

// MaxUserLen is the longest user name ParseReply returns, in bytes.
const MaxUserLen = 255

// ParseReply parses one ident reply line for the given ports as tcpd
// does with sscanf(line, "%u , %u : USERID :%*[^:]:%255s") followed by a
// check of both ports. ok is false for ERROR replies, for replies naming
// other ports and for anything malformed.
//
// The rules that follow from the sscanf format:
//
//   - The line ends at its first NUL byte, as a C string does.
//   - Whitespace (space, tab, newline, vertical tab, form feed, carriage
//     return) is optional around the ',' and the first two ':'. "USERID"
//     must appear in upper case.
//   - The ports are decimal, with an optional sign, and are compared after
//     the truncation to 32 bits that storing strtoul's result in an
//     unsigned int makes: "4294967409" names port 113.
//   - The operating-system field (with any charset) must hold at least one
//     character; it cannot contain ':'.
//   - The user is the first run of non-whitespace bytes after the third
//     ':', cut to MaxUserLen bytes. It may contain ':'. A reply with no
//     such run fails.
//
// The line is parsed as given; Query is what limits it to 511 bytes.
func ParseReply(line string, clientPort, serverPort uint16) (user string, ok bool) {
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	s := scanner{s: line}
	remote, ok := s.unsigned()
	if !ok || !s.skipSpace().literal(",") {
		return "", false
	}
	local, ok := s.unsigned()
	if !ok || !s.skipSpace().literal(":") || !s.skipSpace().literal("USERID") || !s.skipSpace().literal(":") {
		return "", false
	}
	if s.upTo(':') == 0 || !s.literal(":") {
		return "", false
	}
	user = s.skipSpace().word(MaxUserLen)
	if user == "" || remote != uint32(clientPort) || local != uint32(serverPort) {
		return "", false
	}
	// tcpd strips a carriage return here; %s has already stopped at it.
	return user, true
}

// scanner walks a string the way glibc's scanf walks its input.
type scanner struct {
	s string
	i int
}

// isSpace is isspace() in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (s *scanner) skipSpace() *scanner {
	for s.i < len(s.s) && isSpace(s.s[s.i]) {
		s.i++
	}
	return s
}

func (s *scanner) literal(lit string) bool {
	if !strings.HasPrefix(s.s[s.i:], lit) {
		return false
	}
	s.i += len(lit)
	return true
}

// unsigned is a %u conversion: leading whitespace, an optional sign, at
// least one decimal digit. The value is what strtoul returns (ULONG_MAX
// on overflow, negated for '-') truncated to 32 bits.
func (s *scanner) unsigned() (uint32, bool) {
	s.skipSpace()
	neg := false
	if s.i < len(s.s) && (s.s[s.i] == '+' || s.s[s.i] == '-') {
		neg = s.s[s.i] == '-'
		s.i++
	}
	start := s.i
	var v uint64
	overflow := false
	for s.i < len(s.s) && '0' <= s.s[s.i] && s.s[s.i] <= '9' {
		d := uint64(s.s[s.i] - '0')
		if v > (^uint64(0)-d)/10 {
			overflow = true
		}
		v = v*10 + d
		s.i++
	}
	if s.i == start {
		return 0, false
	}
	switch {
	case overflow:
		v = ^uint64(0)
	case neg:
		v = -v
	}
	return uint32(v), true
}

// upTo is a %*[^c] conversion: it skips bytes other than c and reports
// how many it skipped.
func (s *scanner) upTo(c byte) int {
	start := s.i
	for s.i < len(s.s) && s.s[s.i] != c {
		s.i++
	}
	return s.i - start
}

// word is a %Ns conversion after the whitespace has been skipped.
func (s *scanner) word(max int) string {
	start := s.i
	for s.i < len(s.s) && s.i-start < max && !isSpace(s.s[s.i]) {
		s.i++
	}
	return s.s[start:s.i]
}
