package remote

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"tcpwrap/audit"
)

// Sender delivers messages to one log host in the background. Its methods
// are safe for concurrent use.
type Sender struct {
	cfg Config
	sp  *spool // nil without SpoolDir

	mu     sync.Mutex
	q      queue // waiting records, oldest first
	closed bool

	wake        chan struct{} // Send → delivery: the queue is no longer empty
	quit        chan struct{} // closed by Close: deliver what is left, then stop
	abort       context.Context
	abortCancel context.CancelFunc
	done        chan struct{} // closed when the delivery goroutine has stopped
	closeErr    error

	records, sent, resent, dropped, unconfirmed atomic.Uint64
	reconnects, recovered, errors               atomic.Uint64
	pending                                     atomic.Int64 // records in memory: queue and in flight
	lastErr                                     atomic.Pointer[error]

	d delivery // owned by the delivery goroutine

	crashing atomic.Bool // set by tests (export_test.go) to stop as a crash would
}

// Stats counts what a Sender did with its records. Every record given to
// Send, and every record found in the spool by New, ends up counted in
// exactly one of Sent, Dropped and Unconfirmed, or still waits in Queued,
// InFlight or Spooled:
//
//	Records + Recovered == Sent + Dropped + Unconfirmed + Queued + InFlight + Spooled
//
// (the fields are read one after the other, so while records move the
// two sides may differ briefly; after Close they are exact).
type Stats struct {
	Records   uint64 // records given to Send
	Recovered uint64 // records found in the spool by New

	// Sent counts delivered records, each once: for TCP and TLS when
	// confirmed (see "Delivery and duplicates" in the package
	// documentation); for UDP when the kernel took the datagram.
	Sent uint64
	// Resent counts records written to a connection that broke before
	// they were confirmed, and so written again (or left in the spool
	// for the next Sender): the only records that may arrive twice.
	Resent uint64
	// Dropped counts records given up: queue full without a spool, spool
	// full or failing, Send after Close, a datagram the kernel refused,
	// and what Close could not deliver or spool.
	Dropped uint64
	// Unconfirmed counts records written to a connection but not yet
	// confirmed when Close gave up without a spool to keep them in: they
	// arrived, or were lost, nobody knows.
	Unconfirmed uint64

	Reconnects uint64 // connections made after the first
	Errors     uint64 // failed dials and handshakes, broken connections, spool errors
	LastError  error  // the last of those; nil if none

	Queued     uint64 // records in the memory queue (at most Config.QueueSize)
	InFlight   uint64 // records taken from the queue, in memory, not yet confirmed
	Spooled    uint64 // records in the spool not yet confirmed
	SpoolBytes int64  // size of the spool's files
}

// New checks cfg, opens the spool if there is one (recovering what a
// previous Sender left in it) and starts delivering. It does not wait
// for the log host: New succeeds while it is down.
func New(cfg Config) (*Sender, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sender{
		cfg:  cfg,
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if cfg.SpoolDir != "" {
		if s.sp, err = openSpool(cfg.SpoolDir, cfg.SpoolMax); err != nil {
			return nil, fmt.Errorf("remote: spool: %w", err)
		}
		_, pending, _ := s.sp.counts()
		s.recovered.Store(uint64(pending))
	}
	s.abort, s.abortCancel = context.WithCancel(context.Background())
	s.d.backoff = cfg.BackoffMin
	go s.run()
	return s, nil
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Send encodes m (RFC 5424, the record as structured data) and queues it
// for delivery. It never waits for the network: when the memory queue is
// full it writes the queue to the spool, or without a spool drops m. A
// zero m.Time is taken as now. After Close, Send drops m.
func (s *Sender) Send(m *audit.Message) {
	if m.Time.IsZero() {
		mm := *m
		mm.Time = time.Now()
		m = &mm
	}
	bp := bufPool.Get().(*[]byte)
	b := m.Append5424((*bp)[:0], s.cfg.Hostname)
	s.enqueue(b)
	if cap(b) <= 64<<10 {
		*bp = b
		bufPool.Put(bp)
	}
}

// SendEncoded queues a message already encoded as RFC 5424 (without
// framing), as Send does; b is copied. Outbox shippers use it.
func (s *Sender) SendEncoded(b []byte) { s.enqueue(b) }

func (s *Sender) enqueue(b []byte) {
	s.records.Add(1)
	s.mu.Lock()
	switch {
	case s.closed:
		s.dropped.Add(1)
	case s.q.len() < s.cfg.QueueSize:
		s.q.add(b)
		s.pending.Add(1)
		if s.q.len() == 1 {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	case s.sp != nil:
		// Keep the order: the queue (older) goes to the spool first.
		s.spoolQueueLocked(b)
	default:
		s.dropped.Add(1)
	}
	s.mu.Unlock()
}

// spoolQueueLocked moves the queue, and then extra, to the spool. s.mu is
// held.
func (s *Sender) spoolQueueLocked(extra []byte) {
	msgs := make([][]byte, 0, s.q.len()+1)
	for i := range s.q.len() {
		msgs = append(msgs, s.q.msg(i))
	}
	inQueue := int64(s.q.len())
	if extra != nil {
		msgs = append(msgs, extra)
	}
	if len(msgs) == 0 {
		return
	}
	n, err := s.sp.append(msgs...)
	if err != nil {
		s.noteErr(fmt.Errorf("spool: %w", err))
	}
	s.dropped.Add(uint64(len(msgs) - n))
	s.pending.Add(-inQueue)
	s.q.reset()
}

// Stats returns the counters.
func (s *Sender) Stats() Stats {
	st := Stats{
		Records:     s.records.Load(),
		Recovered:   s.recovered.Load(),
		Sent:        s.sent.Load(),
		Resent:      s.resent.Load(),
		Dropped:     s.dropped.Load(),
		Unconfirmed: s.unconfirmed.Load(),
		Reconnects:  s.reconnects.Load(),
		Errors:      s.errors.Load(),
	}
	if p := s.lastErr.Load(); p != nil {
		st.LastError = *p
	}
	s.mu.Lock()
	q := int64(s.q.len())
	inMemory := s.pending.Load()
	s.mu.Unlock()
	st.Queued, st.InFlight = uint64(q), uint64(max(inMemory-q, 0))
	if s.sp != nil {
		_, pending, bytes := s.sp.counts()
		st.Spooled, st.SpoolBytes = uint64(pending), bytes
	}
	return st
}

func (s *Sender) noteErr(err error) {
	s.errors.Add(1)
	s.lastErr.Store(&err)
}

// Close stops accepting records and delivers what is queued and spooled
// until that is done or ctx ends. Then it closes the connection and, with
// a spool, moves what is still in memory (written but unconfirmed records
// included) to the spool for the next Sender. It returns ctx's error when
// ctx ended first, and any error writing the spool.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	s.mu.Unlock()
	if first {
		close(s.quit)
	}
	var err error
	select {
	case <-s.done:
	case <-ctx.Done():
		err = ctx.Err()
		s.abortCancel()
		<-s.done
	}
	s.abortCancel()
	if s.closeErr != nil {
		return s.closeErr
	}
	return err
}

// queue is records one after the other in one buffer.
type queue struct {
	buf  []byte
	ends []int
}

func (q *queue) len() int { return len(q.ends) }

func (q *queue) add(m []byte) {
	q.buf = append(q.buf, m...)
	q.ends = append(q.ends, len(q.buf))
}

func (q *queue) msg(i int) []byte {
	start := 0
	if i > 0 {
		start = q.ends[i-1]
	}
	return q.buf[start:q.ends[i]]
}

func (q *queue) reset() {
	if cap(q.buf) > 16<<20 {
		q.buf = nil // do not keep a burst's memory
	}
	q.buf, q.ends = q.buf[:0], q.ends[:0]
}
