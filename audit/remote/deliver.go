package remote

import (
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// chunkSize is about how many bytes of records one write carries.
const chunkSize = 64 << 10

// downSpoolInterval is how often records waiting in memory are moved to
// the spool while the log host is down.
const downSpoolInterval = 100 * time.Millisecond

// chunk is records written with one write, framed ("LEN SP MSG" each; for
// UDP each MSG is sent as its own datagram).
type chunk struct {
	buf     []byte
	n       int
	spool   bool     // the records are in the spool, up to end
	end     spoolPos //
	written bool     // written to some connection at least once
	connEnd int64    // bytes written to the connection after this chunk
	ackedAt time.Time
}

func (c *chunk) add(msg []byte) {
	c.buf = strconv.AppendInt(c.buf, int64(len(msg)), 10)
	c.buf = append(c.buf, ' ')
	c.buf = append(c.buf, msg...)
	c.n++
}

// each calls fn with every message of c.
func (c *chunk) each(fn func(msg []byte)) {
	b := c.buf
	for len(b) > 0 {
		i := 0
		n := 0
		for b[i] != ' ' {
			n = n*10 + int(b[i]-'0')
			i++
		}
		fn(b[i+1 : i+1+n])
		b = b[i+1+n:]
	}
}

// delivery is the state of the delivery goroutine. The order of records
// is kept by taking them from three places in turn: out (records of
// memory whose connection broke, then records taken from the queue), the
// spool, and the queue, which is only taken from when the spool has
// nothing unconfirmed. Every record in out is older than every record in
// the spool, and every record in the spool older than every record in
// the queue.
type delivery struct {
	c          *conn
	out        []*chunk // memory records to write, oldest first
	unsettled  []*chunk // written on c, not yet confirmed, oldest first
	free       []*chunk
	spare      queue
	backoff    time.Duration
	connected  bool // a connection was made once
	quitting   bool
	halfClosed bool // Close has written everything and shut down c's sending side
	timer      *time.Timer
}

func (s *Sender) run() {
	defer close(s.done)
	d := &s.d
	d.timer = time.NewTimer(time.Hour)
	d.timer.Stop()
	for {
		if s.abort.Err() != nil {
			break
		}
		if d.c == nil {
			if d.quitting && s.idle() {
				break
			}
			c, err := dial(s.abort, &s.cfg)
			if err != nil {
				if s.abort.Err() != nil {
					break
				}
				s.noteErr(err)
				s.down()
				continue
			}
			if d.connected {
				s.reconnects.Add(1)
			}
			d.connected, d.c = true, c
		}
		wrote, err := s.step()
		if err == nil {
			err = d.c.failed()
		}
		if err != nil {
			if s.abort.Err() != nil {
				break
			}
			if d.halfClosed && len(d.out) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
				// The peer closed in turn: it has read everything.
				s.settleAll()
				d.c.close()
				d.c, d.halfClosed = nil, false
				continue
			}
			s.breakConn(err)
			continue
		}
		if !wrote {
			if d.quitting && s.idle() {
				break
			}
			if d.quitting && !d.halfClosed && d.c.tcp != nil && s.drained() {
				// Everything is written: close our side and wait for
				// the peer to close its own, which it does after
				// reading the last record, rather than for Settle.
				d.halfClosed = true
				d.c.closeWrite()
				continue
			}
			s.wait()
		}
	}
	if s.crashing.Load() {
		// A test's simulated crash: leave everything as it is.
		if d.c != nil {
			d.c.close()
		}
		if s.sp != nil {
			s.sp.mu.Lock()
			s.sp.closeFiles()
			s.sp.mu.Unlock()
		}
		return
	}
	s.finish()
}

// drained says whether every record has been written (but perhaps not
// confirmed). Only called once Close has been called, so nothing new
// comes.
func (s *Sender) drained() bool {
	d := &s.d
	if len(d.out) > 0 {
		return false
	}
	if s.sp != nil {
		if unread, _, _ := s.sp.counts(); unread > 0 {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.len() == 0
}

// settleAll confirms every chunk written.
func (s *Sender) settleAll() {
	d := &s.d
	for _, c := range d.unsettled {
		s.settleChunk(c, 0)
	}
	d.unsettled = d.unsettled[:0]
}

// idle says whether nothing is left to deliver.
func (s *Sender) idle() bool {
	d := &s.d
	if len(d.out) > 0 || len(d.unsettled) > 0 {
		return false
	}
	if s.sp != nil {
		if _, pending, _ := s.sp.counts(); pending > 0 {
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.len() == 0
}

// step confirms what can be confirmed and writes one chunk if there is
// one. It reports whether it made progress.
func (s *Sender) step() (bool, error) {
	d := &s.d
	now := time.Now()
	s.settle(now)
	s.maintainSpool(now, false)

	if len(d.out) > 0 {
		c := d.out[0]
		d.out = d.out[1:]
		return true, s.write(c)
	}
	if s.sp != nil {
		unread, pending, _ := s.sp.counts()
		if unread > 0 {
			c := s.newChunk()
			c.spool = true
			n, end, err := s.sp.next(chunkSize, c.add)
			if err != nil {
				// The spool cannot be read: nothing more will come
				// out of it in this process.
				s.noteErr(err)
				s.recycle(c)
				return false, nil
			}
			c.n, c.end = n, end
			return true, s.write(c)
		}
		if pending > 0 {
			// The spool has records written but not confirmed. Were the
			// queue written directly and the connection to break, the
			// spool's records would be written again after the queue's,
			// out of order. So while the spool is in use the queue goes
			// through it; delivery goes back to memory once everything
			// in the spool is confirmed.
			s.mu.Lock()
			n := s.q.len()
			if n > 0 {
				s.spoolQueueLocked(nil)
			}
			s.mu.Unlock()
			return n > 0, nil
		}
	}

	s.mu.Lock()
	if s.sp != nil {
		if unread, _, _ := s.sp.counts(); unread > 0 {
			// Send has just moved the queue to the spool.
			s.mu.Unlock()
			return true, nil
		}
	}
	q := s.q
	s.q = d.spare
	s.mu.Unlock()
	d.spare = queue{}
	if q.len() == 0 {
		d.spare = q
		return false, nil
	}
	c := s.newChunk()
	for i := range q.len() {
		if len(c.buf) >= chunkSize {
			d.out = append(d.out, c)
			c = s.newChunk()
		}
		c.add(q.msg(i))
	}
	d.out = append(d.out, c)
	q.reset()
	d.spare = q
	return true, nil
}

// write writes c to the connection. For UDP it is then done with; for
// TCP and TLS it waits in unsettled for confirmation.
func (s *Sender) write(c *chunk) error {
	d := &s.d
	if d.c.tcp == nil {
		failed := 0
		var last error
		c.each(func(msg []byte) {
			if err := d.c.writeDatagram(msg, s.cfg.Timeout); err != nil {
				failed++
				last = err
			}
		})
		if last != nil {
			s.noteErr(last)
		}
		s.settleChunk(c, failed)
		return nil
	}
	d.c.c.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
	_, err := d.c.c.Write(c.buf)
	c.written = true
	c.connEnd = d.c.written()
	c.ackedAt = time.Time{}
	d.unsettled = append(d.unsettled, c)
	return err
}

// settle confirms the chunks that the peer acknowledged Settle ago on a
// connection that is still up.
func (s *Sender) settle(now time.Time) {
	d := &s.d
	if d.c == nil || len(d.unsettled) == 0 || d.c.failed() != nil {
		return
	}
	acked := d.c.acked()
	for _, c := range d.unsettled {
		if c.connEnd > acked {
			break
		}
		if c.ackedAt.IsZero() {
			c.ackedAt = now
		}
	}
	for len(d.unsettled) > 0 {
		c := d.unsettled[0]
		if c.ackedAt.IsZero() || now.Sub(c.ackedAt) < s.cfg.Settle {
			break
		}
		d.unsettled[0] = nil
		d.unsettled = d.unsettled[1:]
		s.settleChunk(c, 0)
	}
}

// settleChunk counts c as delivered (but failed of its records dropped).
func (s *Sender) settleChunk(c *chunk, failed int) {
	s.sent.Add(uint64(c.n - failed))
	s.dropped.Add(uint64(failed))
	if c.spool {
		s.sp.settle(c.end, c.n)
	} else {
		s.pending.Add(-int64(c.n))
	}
	if failed < c.n {
		s.d.backoff = s.cfg.BackoffMin
	}
	s.recycle(c)
}

// breakConn closes a broken connection. Its unconfirmed records will be
// written again first: those of memory from out, those of the spool by
// reading the spool again from the last confirmed record.
func (s *Sender) breakConn(err error) {
	d := &s.d
	s.noteErr(err)
	d.c.close()
	d.c, d.halfClosed = nil, false
	var mem []*chunk
	n := 0
	for _, c := range d.unsettled {
		n += c.n
		if !c.spool {
			mem = append(mem, c)
		} else {
			s.recycle(c)
		}
	}
	s.resent.Add(uint64(n))
	d.out = append(mem, d.out...)
	d.unsettled = d.unsettled[:0]
	if s.sp != nil {
		s.sp.rewind()
	}
}

// down waits before the next dial, with exponential backoff, moving what
// waits in memory to the spool meanwhile.
func (s *Sender) down() {
	d := &s.d
	s.spoolMemory()
	wait := time.Duration(float64(d.backoff) * (0.8 + 0.4*rand.Float64()))
	d.backoff = min(2*d.backoff, s.cfg.BackoffMax)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	tick := time.NewTicker(downSpoolInterval)
	defer tick.Stop()
	quit := s.quit
	if d.quitting {
		quit = nil
	}
	for {
		select {
		case <-timer.C:
			return
		case now := <-tick.C:
			s.spoolMemory()
			s.maintainSpool(now, false)
		case <-quit:
			d.quitting, quit = true, nil
			if s.idle() {
				return
			}
		case <-s.abort.Done():
			return
		}
	}
}

// spoolMemory moves records waiting in memory to the spool, as far as
// that keeps their order: out only when the spool holds nothing older.
func (s *Sender) spoolMemory() {
	d := &s.d
	if s.sp == nil {
		return
	}
	if _, pending, _ := s.sp.counts(); len(d.out) > 0 && pending == 0 {
		s.spoolChunks(d.out)
		d.out = d.out[:0]
	}
	s.mu.Lock()
	if s.q.len() > 0 {
		s.spoolQueueLocked(nil)
	}
	s.mu.Unlock()
}

// spoolChunks appends the records of memory chunks to the spool.
func (s *Sender) spoolChunks(cs []*chunk) {
	var msgs [][]byte
	for _, c := range cs {
		c.each(func(m []byte) { msgs = append(msgs, m) })
	}
	n, err := s.sp.append(msgs...)
	if err != nil {
		s.noteErr(err)
	}
	s.dropped.Add(uint64(len(msgs) - n))
	s.pending.Add(-int64(len(msgs)))
	for _, c := range cs {
		s.recycle(c)
	}
}

func (s *Sender) maintainSpool(now time.Time, force bool) {
	if s.sp == nil {
		return
	}
	if err := s.sp.maintain(now, force); err != nil {
		s.noteErr(err)
	}
}

// wait waits for records, for the next confirmation check, for the
// connection to break or for Close.
func (s *Sender) wait() {
	d := &s.d
	wait := time.Hour
	if len(d.unsettled) > 0 {
		wait = max(s.cfg.Settle/4, time.Millisecond)
	}
	if s.sp != nil {
		wait = min(wait, commitInterval)
	}
	d.timer.Reset(wait)
	defer d.timer.Stop()
	quit := s.quit
	if d.quitting {
		quit = nil
	}
	select {
	case <-s.wake:
	case <-d.timer.C:
	case <-d.c.broken:
	case <-quit:
		d.quitting = true
	case <-s.abort.Done():
	}
}

// finish runs when delivery stops: on Close after everything is
// confirmed, or when Close's context ended. What is left in memory goes
// to the spool (out of order if it must: better late than lost) or is
// counted as dropped or unconfirmed.
func (s *Sender) finish() {
	d := &s.d
	if d.c != nil {
		d.c.close()
		d.c = nil
	}
	var written, fresh []*chunk
	for _, c := range d.unsettled {
		if c.spool {
			// Still in the spool, unconfirmed: the next Sender
			// writes them again.
			s.resent.Add(uint64(c.n))
			s.recycle(c)
		} else {
			written = append(written, c)
		}
	}
	d.unsettled = nil
	for _, c := range d.out {
		if c.written {
			written = append(written, c)
		} else {
			fresh = append(fresh, c)
		}
	}
	d.out = nil
	if s.sp != nil {
		for _, c := range written {
			s.resent.Add(uint64(c.n))
		}
		s.spoolChunks(append(written, fresh...))
		s.mu.Lock()
		s.spoolQueueLocked(nil)
		s.mu.Unlock()
		s.closeErr = s.sp.close()
		return
	}
	for _, c := range written {
		s.unconfirmed.Add(uint64(c.n))
		s.pending.Add(-int64(c.n))
	}
	for _, c := range fresh {
		s.dropped.Add(uint64(c.n))
		s.pending.Add(-int64(c.n))
	}
	s.mu.Lock()
	s.dropped.Add(uint64(s.q.len()))
	s.pending.Add(-int64(s.q.len()))
	s.q.reset()
	s.mu.Unlock()
}

func (s *Sender) newChunk() *chunk {
	d := &s.d
	if n := len(d.free); n > 0 {
		c := d.free[n-1]
		d.free = d.free[:n-1]
		return c
	}
	return &chunk{buf: make([]byte, 0, chunkSize+1024)}
}

func (s *Sender) recycle(c *chunk) {
	d := &s.d
	if len(d.free) >= 64 || cap(c.buf) > 4*chunkSize {
		return
	}
	*c = chunk{buf: c.buf[:0]}
	d.free = append(d.free, c)
}
