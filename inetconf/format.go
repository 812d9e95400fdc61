package inetconf

import "strconv"

// sprintf formats messages without package fmt, which would bring in
// package os. It knows the verbs the messages use: %s and %v (strings,
// integers, and values with a String method), %d (integers) and %q
// (strings, quoted as Go does, so control characters are escaped); %%
// is a percent sign.
func sprintf(format string, args ...any) string {
	b := make([]byte, 0, len(format)+32)
	n := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if n >= len(args) {
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		a := args[n]
		n++
		if verb == 'q' {
			if s, ok := a.(string); ok {
				b = strconv.AppendQuote(b, s)
				continue
			}
		}
		switch v := a.(type) {
		case string:
			b = append(b, v...)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case int32:
			b = strconv.AppendInt(b, int64(v), 10)
		case uint16:
			b = strconv.AppendUint(b, uint64(v), 10)
		case interface{ String() string }:
			if verb == 'q' {
				b = strconv.AppendQuote(b, v.String())
			} else {
				b = append(b, v.String()...)
			}
		default:
			b = append(b, "%!"...)
			b = append(b, verb)
			b = append(b, "(BADTYPE)"...)
		}
	}
	return string(b)
}
