package remote

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"tcpwrap/audit"
)

// An outbox is a directory where programs that do not ship records
// themselves leave them for a shipper: tcpd, which starts once per
// connection, does not link TLS (see Config.TLS), and a TLS handshake
// per connection would cost more than the rest of tcpd anyway. Each
// record is one file, written under a temporary name and renamed, so any
// number of writers can share the directory and a shipper never reads a
// half-written record:
//
//	LOCK                          flock(2)ed by the shipper while it runs
//	1764222000123456789-4242-0    one RFC 5424 message, names in time order
//	.tmp-...                      being written
//
// The shipper (DrainOutbox, run by tcpwrap-logship) hands the records to a
// Sender in name order and removes each file once the Sender has the
// record in its spool or delivered it.

// Outbox writes records into an outbox directory.
type Outbox struct {
	Dir      string
	Hostname string // HOSTNAME of messages that name none
	seq      atomic.Uint64
}

// NewOutbox creates the directory (mode 0700) when missing.
func NewOutbox(dir, hostname string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Outbox{Dir: dir, Hostname: hostname}, nil
}

// Send writes one record.
func (o *Outbox) Send(m *audit.Message) error {
	t := m.Time
	if t.IsZero() {
		t = time.Now()
		mm := *m
		mm.Time = t
		m = &mm
	}
	name := strconv.FormatInt(t.UnixNano(), 10) + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(o.seq.Add(1)-1, 10)
	tmp := filepath.Join(o.Dir, ".tmp-"+name)
	if err := os.WriteFile(tmp, m.Append5424(nil, o.Hostname), 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, filepath.Join(o.Dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// ShipperRunning reports whether a shipper holds the outbox's lock.
func (o *Outbox) ShipperRunning() bool {
	f, err := os.OpenFile(filepath.Join(o.Dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		return errors.Is(err, unix.EWOULDBLOCK)
	}
	return false
}

// ErrShipperBusy is returned by DrainOutbox when another shipper holds the
// outbox.
var ErrShipperBusy = errors.New("remote: another shipper holds the outbox")

// DrainOutbox hands the records in dir to s until the outbox has been
// empty for linger (or ctx ends), holding the outbox's lock. A record's
// file is removed once s has delivered or spooled it; records it could
// not take stay for the next shipper. poll is how often the directory is
// read (default 100ms).
func DrainOutbox(ctx context.Context, dir string, s *Sender, linger, poll time.Duration) (shipped int, err error) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			return 0, ErrShipperBusy
		}
		return 0, err
	}
	idleSince := time.Now()
	for {
		names, err := outboxNames(dir)
		if err != nil {
			return shipped, err
		}
		if len(names) > 0 {
			n, err := shipBatch(ctx, dir, names, s)
			shipped += n
			if err != nil {
				return shipped, err
			}
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) >= linger {
			return shipped, nil
		}
		select {
		case <-ctx.Done():
			return shipped, nil
		case <-time.After(poll):
		}
	}
}

// outboxNames lists the records, oldest first.
func outboxNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if n == "LOCK" || strings.HasPrefix(n, ".") || !e.Type().IsRegular() {
			continue
		}
		names = append(names, n)
	}
	// Names start with the record's time in nanoseconds; same-length
	// numbers sort as text.
	slices.SortFunc(names, func(a, b string) int {
		if len(a) != len(b) && strings.IndexByte(a, '-') != strings.IndexByte(b, '-') {
			return strings.IndexByte(a, '-') - strings.IndexByte(b, '-')
		}
		return strings.Compare(a, b)
	})
	return names, nil
}

// shipBatch sends up to 1000 records and waits until the Sender has taken
// responsibility for them (delivered or spooled) before removing them.
func shipBatch(ctx context.Context, dir string, names []string, s *Sender) (int, error) {
	if len(names) > 1000 {
		names = names[:1000]
	}
	before := s.Stats()
	var sent []string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return 0, err
		}
		if len(b) == 0 || len(b) > maxRecord {
			// Not a record a writer of ours made: set it aside.
			os.Rename(filepath.Join(dir, n), filepath.Join(dir, ".bad-"+n))
			continue
		}
		s.SendEncoded(b)
		sent = append(sent, n)
	}
	want := before.Sent + before.Spooled + before.Dropped + uint64(len(sent))
	for {
		st := s.Stats()
		if st.Sent+st.Spooled+st.Dropped >= want && st.Queued == 0 && st.InFlight == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("remote: outbox: %d records handed over but not yet delivered or spooled: %w", len(sent), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	for _, n := range sent {
		os.Remove(filepath.Join(dir, n))
	}
	return len(sent), nil
}
