package limits

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseRate parses a rate as an administrator writes it: "N/s" or "N/min"
// (also "N/sec", "N/second", "N/m", "N/minute"), optionally followed by
// ",burst=B". Without a burst the bucket holds N tokens. Examples: "10/s",
// "30/min,burst=5".
//
// Numbers are plain decimal digits (no sign, no spaces, no underscores),
// from 1 to 1<<30, and the bucket may take at most about 73 years to
// refill. Anything else is an error that quotes the text; a malformed rate
// is never read as "no limit".
func ParseRate(s string) (Rate, error) {
	text, burstText, hasBurst := strings.Cut(s, ",")
	num, unit, ok := strings.Cut(text, "/")
	if !ok {
		return Rate{}, errors.New("rate " + strconv.Quote(s) + ": want N/s or N/min")
	}
	n, err := parseCount(num)
	if err != nil {
		return Rate{}, errors.New("rate " + strconv.Quote(s) + ": " + err.Error())
	}
	r := Rate{N: n}
	switch unit {
	case "s", "sec", "second":
		r.Per = time.Second
	case "m", "min", "minute":
		r.Per = time.Minute
	default:
		return Rate{}, errors.New("rate " + strconv.Quote(s) + ": unit " + strconv.Quote(unit) + " is neither s nor min")
	}
	if hasBurst {
		v, ok := strings.CutPrefix(burstText, "burst=")
		if !ok {
			return Rate{}, errors.New("rate " + strconv.Quote(s) + ": want burst=B after the comma, not " + strconv.Quote(burstText))
		}
		if r.Burst, err = parseCount(v); err != nil {
			return Rate{}, errors.New("rate " + strconv.Quote(s) + ": burst: " + err.Error())
		}
	}
	if _, _, err := r.compile(); err != nil {
		return Rate{}, errors.New("rate " + strconv.Quote(s) + ": " + err.Error())
	}
	return r, nil
}

func parseCount(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New(strconv.Quote(s) + " is not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil || n == 0 || n > maxCount {
		return 0, errors.New(strconv.Quote(s) + " out of range 1.." + itoa(maxCount))
	}
	return int(n), nil
}

// String formats r as ParseRate reads it when Per is a second or a minute,
// and as "N/<duration>" otherwise; the zero Rate is "none".
func (r Rate) String() string {
	if r == (Rate{}) {
		return "none"
	}
	var unit string
	switch r.Per {
	case 0, time.Second:
		unit = "s"
	case time.Minute:
		unit = "min"
	default:
		unit = r.Per.String()
	}
	s := strconv.Itoa(r.N) + "/" + unit
	if r.Burst != 0 && r.Burst != r.N {
		s += ",burst=" + strconv.Itoa(r.Burst)
	}
	return s
}
