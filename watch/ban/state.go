package ban

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// DamagedError reports a state file that could not be read back. The
// file was renamed to Aside (kept for inspection, never deleted), and
// the bans in force were recovered from the deny list itself: Recovered
// of them, each for Config.Duration from now, their history lost. The
// List returned with it is usable.
type DamagedError struct {
	Path      string
	Aside     string
	Recovered int
	Err       error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s: damaged, kept as %s; %d bans recovered from the deny list: %v", e.Path, e.Aside, e.Recovered, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// record is one offender: a ban in force (Until in the future) or the
// memory of an ended one, kept for escalation until Forget has passed.
type record struct {
	Prefix   netip.Prefix `json:"prefix"`
	Since    time.Time    `json:"since"`
	Until    time.Time    `json:"until"`
	Offences int          `json:"offences"`
	Reason   string       `json:"reason,omitempty"`
}

type stateFile struct {
	Version int       `json:"version"`
	Records []*record `json:"records"`
}

const stateVersion = 1

// maxReason bounds the reason kept with a ban.
const maxReason = 200

// parseState reads a state file, refusing anything it does not fully
// understand: a ban list is not a place for guesses.
func parseState(data []byte) (map[netip.Prefix]*record, error) {
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("version %d, want %d", f.Version, stateVersion)
	}
	recs := make(map[netip.Prefix]*record, len(f.Records))
	for i, r := range f.Records {
		if r == nil {
			return nil, fmt.Errorf("record %d: null", i+1)
		}
		p := r.Prefix
		switch {
		case !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" || p.Addr().Is4In6():
			return nil, fmt.Errorf("record %d: prefix %q is not a masked prefix", i+1, p)
		case p.Addr().Is4() && p.Bits() < MinPrefix4 || p.Addr().Is6() && p.Bits() < MinPrefix6:
			return nil, fmt.Errorf("record %d: prefix %s is wider than any ban", i+1, p)
		case r.Since.IsZero() || r.Until.Before(r.Since):
			return nil, fmt.Errorf("record %d: bad times", i+1)
		case r.Offences < 1 || r.Offences > 1_000_000:
			return nil, fmt.Errorf("record %d: bad offence count %d", i+1, r.Offences)
		case len(r.Reason) > maxReason || cleanReason(r.Reason) != r.Reason:
			return nil, fmt.Errorf("record %d: bad reason", i+1)
		case recs[p] != nil:
			return nil, fmt.Errorf("record %d: %s twice", i+1, p)
		}
		recs[p] = r
	}
	return recs, nil
}

func marshalState(recs map[netip.Prefix]*record) []byte {
	f := stateFile{Version: stateVersion, Records: make([]*record, 0, len(recs))}
	for _, r := range recs {
		f.Records = append(f.Records, r)
	}
	sortRecords(f.Records)
	// One record per line: readable, and much cheaper than indenting.
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"version\":%d,\"records\":[", f.Version)
	for i, r := range f.Records {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		line, err := json.Marshal(r)
		if err != nil {
			panic(err) // only plain values: cannot happen
		}
		b.Write(line)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// cleanReason keeps a reason printable ASCII and bounded.
func cleanReason(s string) string {
	b := []byte(s)
	if len(b) > maxReason {
		b = b[:maxReason]
	}
	for i, c := range b {
		if c < 0x20 || c >= 0x7f {
			b[i] = '?'
		}
	}
	return string(b)
}

// recoverFromList turns the patterns of an existing deny list back into
// bans, so that a damaged state file never lifts them.
func recoverFromList(path string, now time.Time, d time.Duration) map[netip.Prefix]*record {
	recs := map[netip.Prefix]*record{}
	data, err := os.ReadFile(path)
	if err != nil {
		return recs
	}
	for _, w := range bytes.Fields(data) {
		p, ok := ParsePattern(string(w))
		if !ok || recs[p] != nil {
			continue
		}
		recs[p] = &record{Prefix: p, Since: now, Until: now.Add(d), Offences: 1, Reason: "recovered from the deny list"}
	}
	return recs
}
