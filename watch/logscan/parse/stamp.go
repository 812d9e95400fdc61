package parse

import (
	"time"
)

// Year inference. A traditional syslog time stamp ("Nov 27 05:48:56") has
// no year. The year chosen is the latest of the reference time's year
// plus one, the same year and the year before that puts the time stamp
// no later than the reference time plus yearSlack: a line read on
// January 2 that says "Dec 31" is from last year; a line that says
// "Jan 1" read on December 31 (a clock a little ahead, a log host in
// another time zone) is from next year. A February 29 is placed in the
// latest leap year that qualifies.
const yearSlack = 7 * 24 * time.Hour

var monthNames = [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// month returns 1..12 for an English three-letter month abbreviation as
// syslog writes it, 0 otherwise.
func month(b []byte) time.Month {
	if len(b) != 3 {
		return 0
	}
	for i, n := range monthNames {
		if b[0] == n[0] && b[1] == n[1] && b[2] == n[2] {
			return time.Month(i + 1)
		}
	}
	return 0
}

func digit(c byte) (int, bool) {
	if c >= '0' && c <= '9' {
		return int(c - '0'), true
	}
	return 0, false
}

func two(b []byte) (int, bool) {
	h, ok1 := digit(b[0])
	l, ok2 := digit(b[1])
	return h*10 + l, ok1 && ok2
}

// traditional is a parsed "Mmm dd hh:mm:ss" time stamp.
type traditional struct {
	mon                 time.Month
	day, hour, min, sec int
}

// parseTraditional parses the 15 bytes of "Mmm dd hh:mm:ss" (the day
// padded with a space or, leniently, a zero).
func parseTraditional(b []byte) (traditional, bool) {
	var t traditional
	if len(b) != 15 || b[3] != ' ' || b[6] != ' ' || b[9] != ':' || b[12] != ':' {
		return t, false
	}
	if t.mon = month(b[:3]); t.mon == 0 {
		return t, false
	}
	var ok bool
	if b[4] == ' ' {
		t.day, ok = digit(b[5])
	} else {
		t.day, ok = two(b[4:6])
	}
	if !ok || t.day < 1 || t.day > 31 {
		return t, false
	}
	var ok1, ok2, ok3 bool
	t.hour, ok1 = two(b[7:9])
	t.min, ok2 = two(b[10:12])
	t.sec, ok3 = two(b[13:15])
	if !ok1 || !ok2 || !ok3 || t.hour > 23 || t.min > 59 || t.sec > 60 {
		return t, false
	}
	return t, true
}

// stampCache remembers the start of the last minute a traditional time
// stamp was resolved to, for the reference time it was resolved with:
// consecutive lines nearly always share it.
type stampCache struct {
	valid          bool
	mon            time.Month
	day, hour, min int
	minute         time.Time
	ref            time.Time
	loc            *time.Location
	lastOff        int
	lastLoc        *time.Location
}

// resolve gives the time of t in loc with the year inferred from ref.
func (c *stampCache) resolve(t traditional, ref time.Time, loc *time.Location) (time.Time, bool) {
	if c.valid && c.mon == t.mon && c.day == t.day && c.hour == t.hour && c.min == t.min && c.ref.Equal(ref) && c.loc == loc {
		return c.minute.Add(time.Duration(t.sec) * time.Second), true
	}
	limit := ref.Add(yearSlack)
	y := ref.In(loc).Year()
	for _, year := range [...]int{y + 1, y, y - 1, y - 2, y - 3, y - 4} {
		m := time.Date(year, t.mon, t.day, t.hour, t.min, 0, 0, loc)
		if m.Month() != t.mon || m.Day() != t.day {
			continue // February 29 of a common year, or April 31
		}
		if m.After(limit) {
			continue
		}
		*c = stampCache{valid: true, mon: t.mon, day: t.day, hour: t.hour, min: t.min, minute: m, ref: ref, loc: loc,
			lastOff: c.lastOff, lastLoc: c.lastLoc}
		return m.Add(time.Duration(t.sec) * time.Second), true
	}
	return time.Time{}, false
}

// parseRFC3339 parses the time stamps of rsyslog's high-precision file
// format and of RFC 5424: "2026-11-27T05:48:56.123456+00:00" (the
// fraction optional, up to 9 digits; "Z" or a numeric offset; 't' and
// 'z' accepted as RFC 3339 allows).
func (c *stampCache) parseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	y1, ok1 := two(b[0:2])
	y2, ok2 := two(b[2:4])
	mon, ok3 := two(b[5:7])
	day, ok4 := two(b[8:10])
	hour, ok5 := two(b[11:13])
	min, ok6 := two(b[14:16])
	sec, ok7 := two(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return time.Time{}, false
	}
	year := y1*100 + y2
	i := 19
	nsec := 0
	if b[i] == '.' {
		i++
		start := i
		scale := 100000000
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if i-start < 9 {
				nsec += int(b[i]-'0') * scale
				scale /= 10
			}
			i++
		}
		if i == start || i-start > 9 || i >= len(b) {
			return time.Time{}, false
		}
	}
	off := 0
	switch rest := b[i:]; {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := two(rest[1:3])
		om, okm := two(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(mon), day, hour, min, sec, nsec, time.UTC)
	if t.Day() != day {
		return time.Time{}, false
	}
	t = t.Add(-time.Duration(off) * time.Second)
	return t.In(c.zone(off)), true
}

// zone returns a fixed zone for an offset, remembering the last one.
func (c *stampCache) zone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if c.lastLoc == nil || c.lastOff != off {
		c.lastOff, c.lastLoc = off, time.FixedZone("", off)
	}
	return c.lastLoc
}
