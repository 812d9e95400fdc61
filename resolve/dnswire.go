package resolve

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// This file holds the little DNS wire-format code dnsclient.go needs:
// building one question and reading the answer section of the reply.

const (
	typeA     = 1
	typeCNAME = 5
	typePTR   = 12
	typeAAAA  = 28
	classINET = 1

	rcodeSuccess  = 0
	rcodeNXDomain = 3

	headerLen = 12
)

var errMalformed = errors.New("malformed DNS message")

// reverseName returns the in-addr.arpa or ip6.arpa name of a, as labels.
func reverseName(a netip.Addr) []string {
	a = a.Unmap()
	var labels []string
	if a.Is4() {
		b := a.As4()
		for i := 3; i >= 0; i-- {
			labels = append(labels, strconv.Itoa(int(b[i])))
		}
		return append(labels, "in-addr", "arpa")
	}
	const hex = "0123456789abcdef"
	b := a.As16()
	for i := 15; i >= 0; i-- {
		labels = append(labels, string(hex[b[i]&0xf]), string(hex[b[i]>>4]))
	}
	return append(labels, "ip6", "arpa")
}

// buildQuery returns a recursion-desired query for name, type qtype.
func buildQuery(id uint16, name []string, qtype uint16) []byte {
	b := make([]byte, headerLen, 512)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], 0x0100) // RD
	binary.BigEndian.PutUint16(b[4:], 1)      // QDCOUNT
	for _, l := range name {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, qtype)
	b = binary.BigEndian.AppendUint16(b, classINET)
	return b
}

// message is a parsed reply: its header fields and answer records.
type message struct {
	id        uint16
	response  bool
	truncated bool
	rcode     int
	question  []string // nil when the reply carries no question
	qtype     uint16
	qclass    uint16
	answers   []record
}

type record struct {
	name  []string
	typ   uint16
	class uint16
	// target is the decompressed domain name in the RDATA of CNAME and
	// PTR records; nil for other types or when it does not decode.
	target []string
	// targetOK is false when a CNAME or PTR RDATA failed to decode.
	targetOK bool
	// addr is the address in the RDATA of a well-formed A or AAAA record.
	addr netip.Addr
}

// parseMessage decodes the header, the first question and the answer
// section of msg. It stops with errMalformed at the first inconsistency.
func parseMessage(msg []byte) (*message, error) {
	if len(msg) < headerLen {
		return nil, errMalformed
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	m := &message{
		id:        binary.BigEndian.Uint16(msg[0:]),
		response:  flags&0x8000 != 0,
		truncated: flags&0x0200 != 0,
		rcode:     int(flags & 0xf),
	}
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	an := int(binary.BigEndian.Uint16(msg[6:]))
	off := headerLen
	for i := 0; i < qd; i++ {
		name, next, err := readName(msg, off)
		if err != nil || next+4 > len(msg) {
			return nil, errMalformed
		}
		if i == 0 {
			m.question = name
			if m.question == nil {
				m.question = []string{}
			}
			m.qtype = binary.BigEndian.Uint16(msg[next:])
			m.qclass = binary.BigEndian.Uint16(msg[next+2:])
		}
		off = next + 4
	}
	for i := 0; i < an; i++ {
		name, next, err := readName(msg, off)
		if err != nil || next+10 > len(msg) {
			return nil, errMalformed
		}
		r := record{
			name:  name,
			typ:   binary.BigEndian.Uint16(msg[next:]),
			class: binary.BigEndian.Uint16(msg[next+2:]),
		}
		rdlen := int(binary.BigEndian.Uint16(msg[next+8:]))
		rdata := next + 10
		if rdata+rdlen > len(msg) {
			return nil, errMalformed
		}
		switch {
		case r.typ == typeCNAME || r.typ == typePTR:
			t, end, err := readName(msg, rdata)
			r.target, r.targetOK = t, err == nil && end == rdata+rdlen
		case r.typ == typeA && rdlen == 4, r.typ == typeAAAA && rdlen == 16:
			r.addr, _ = netip.AddrFromSlice(msg[rdata : rdata+rdlen])
		}
		m.answers = append(m.answers, r)
		off = rdata + rdlen
	}
	return m, nil
}

// readName decodes the possibly compressed domain name at msg[off:]. It
// returns the labels (raw bytes, no escaping) and the offset just after
// the name in the uncompressed stream.
func readName(msg []byte, off int) (labels []string, next int, err error) {
	next = -1
	total := 0
	for hops := 0; ; {
		if off >= len(msg) {
			return nil, 0, errMalformed
		}
		c := int(msg[off])
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if next < 0 {
					next = off + 1
				}
				return labels, next, nil
			}
			if off+1+c > len(msg) {
				return nil, 0, errMalformed
			}
			total += c + 1
			if total > 254 {
				return nil, 0, errMalformed
			}
			labels = append(labels, string(msg[off+1:off+1+c]))
			off += 1 + c
		case 0xc0:
			if off+1 >= len(msg) {
				return nil, 0, errMalformed
			}
			if next < 0 {
				next = off + 2
			}
			hops++
			if hops > 64 {
				return nil, 0, errMalformed
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
		default:
			return nil, 0, errMalformed
		}
	}
}

// sameName compares two names label by label, ignoring ASCII case.
func sameName(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !asciiEqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// ptrTarget reads a PTR answer as glibc 2.36's getanswer_ptr does: a
// CNAME record, whoever owns it, makes its target the name looked for; the
// first PTR record owned by the name looked for decides. Its target is
// accepted only if it passes res_hnok (letters, digits, '-' and '_' in
// every label, and no '-' at the start of the first); otherwise the
// lookup fails, even if a later PTR record would pass.
func ptrTarget(m *message, qname []string) (string, bool) {
	want := qname
	for _, r := range m.answers {
		if r.class != classINET {
			continue
		}
		switch {
		case r.typ == typeCNAME:
			if !r.targetOK {
				return "", false
			}
			want = r.target
		case r.typ == typePTR && sameName(r.name, want):
			if !r.targetOK || !hostnameOK(r.target) {
				return "", false
			}
			if len(r.target) == 0 {
				return ".", true
			}
			return strings.Join(r.target, "."), true
		}
	}
	return "", false
}

// addrTargets reads an A or AAAA answer as glibc's getanswer_r does. The
// question name must pass res_hnok. A CNAME record, whoever owns it,
// makes its target the name looked for, and also the canonical name if
// the target passes res_hnok. Address records of type qtype owned by the
// name looked for are collected in answer order.
func addrTargets(m *message, qname []string, qtype uint16) (canonical string, addrs []netip.Addr, ok bool) {
	if !hostnameOK(qname) {
		return "", nil, false
	}
	want, canon := qname, qname
	for _, r := range m.answers {
		if r.class != classINET {
			continue
		}
		switch {
		case r.typ == typeCNAME:
			if !r.targetOK {
				return "", nil, false
			}
			want = r.target
			if hostnameOK(want) {
				canon = want
			}
		case r.typ == qtype && r.addr.IsValid() && sameName(r.name, want):
			addrs = append(addrs, r.addr)
		}
	}
	if len(addrs) == 0 {
		return "", nil, false
	}
	return strings.Join(canon, "."), addrs, true
}

// hostnameOK is glibc's res_binary_hnok.
func hostnameOK(labels []string) bool {
	for i, l := range labels {
		if i == 0 && l[0] == '-' {
			return false
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
