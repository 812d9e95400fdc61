package access

// WithoutIndex returns a copy of the policy whose tables are scanned rule
// by rule, the obviously correct reference the index is tested against.
func WithoutIndex(p Policy) Policy {
	strip := func(t *Table) *Table {
		if t == nil {
			return nil
		}
		c := *t
		c.index = nil
		return &c
	}
	return Policy{Allow: strip(p.Allow), Deny: strip(p.Deny)}
}

// ParseSequential compiles a table in one piece, whatever its size.
func ParseSequential(src []byte, name string, opts ParseOptions) *Table {
	t := parseLines(string(src), 0, name, opts)
	t.index = buildIndex(len(t.Rules), t.keys)
	t.keys = nil
	return t
}
