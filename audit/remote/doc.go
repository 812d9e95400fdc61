// Package remote ships audit messages to a central log host, such as
// rsyslog, as RFC 5424 syslog with the decision record as structured data
// ([tcpwrap@32473 ...], see audit.Message.Append5424).
//
//	s, err := remote.New(remote.Config{Network: "tls", Addr: "loghost:6514",
//		TLS: tlsclient.New(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}),
//		SpoolDir: "/var/spool/tcpwrap"})
//	...
//	s.Send(msg)         // never waits for the network
//	...
//	s.Close(ctx)        // delivers what it can until ctx ends
//
// Transports: "udp" sends one datagram per message (RFC 5426); "tcp" frames
// each message with octet counting, "LEN SP MSG" (RFC 6587); "tls" is the
// same inside TLS (RFC 5425).
//
// # Queue, spool and order
//
// Send encodes the message and appends it to a memory queue of at most
// Config.QueueSize records; one goroutine per Sender delivers. When the
// queue is full, Send moves it to the spool (if Config.SpoolDir is set) or
// drops the new record. While the log host is down, the delivery
// goroutine moves the queue to the spool every 100ms, dialing again with
// exponential backoff (Config.BackoffMin to BackoffMax, with jitter). When
// the host is back, the spool is delivered first, in order, then the
// queue (while records from the spool wait for confirmation, the queue
// goes through the spool too, so that a break cannot reorder them):
// records arrive in the order Send was called. (The one exception:
// when Close gives up while records are both in the spool and in flight
// from memory, the latter are spooled after the former.)
//
// The spool is a directory of append-only segment files of length-prefixed,
// CRC-checked records and a COMMIT file saying how far delivery has got;
// see spool.go for the format. It is bounded by Config.SpoolMax: when full,
// new records are dropped (the oldest are kept) and counted. A torn
// record at its end, as a crash may leave, is ignored and cut off; a
// damaged record elsewhere ends its segment. A new Sender on the same
// directory delivers what is left; a lock keeps a second Sender out.
//
// fsync policy: a batch of records is one write(2), and the last segment
// is fsynced at most once a second, when a segment is full and at Close;
// COMMIT is written at most every 100ms and never fsynced. So a process
// crash loses nothing the spool took; a power failure may lose the last
// second of spooled records, and a lost COMMIT update only makes records
// be delivered again.
//
// # Delivery and duplicates
//
// Plain and TLS syslog have no acknowledgements, so a Sender confirms a
// record from TCP itself: when the peer's TCP has acknowledged the bytes
// (SIOCOUTQ on Linux) and Config.Settle (default 500ms) has passed since
// with the connection still up, the record counts as Sent and, if it came
// from the spool, as done there. Close does better: once everything is
// written it shuts down its sending side (TLS close_notify, TCP FIN) and
// waits for the peer to close in turn, which rsyslog does after reading
// the last byte; that confirms everything at once. When the connection
// breaks (a write fails, or the peer closes or resets it, which a reader
// goroutine notices at once), every record written but not yet confirmed
// is written again on the next connection, first, and counted in
// Stats.Resent. Delivery is therefore at least once, and exactly once
// while the connection stays up.
//
// The duplicate window: records written in about the last Settle before a
// connection broke (at R records per second, about R×Settle of them,
// plus whatever the peer had not yet acknowledged) may arrive twice. In
// the fault test, stopping rsyslog while 5,000 records/s flow re-sends
// about 2,500 records per stop, nearly all of which rsyslog had already
// stored. After a crash of the sending process, records confirmed since
// the last COMMIT (about Settle plus 100ms of them) are delivered again
// by the next Sender; after a Close that gave up, records written but not
// confirmed are spooled and delivered again. Stats.Resent bounds the
// duplicates a Sender caused. A smaller Settle narrows the window and
// widens the one below.
//
// What is not covered: a record is lost without being counted if the log
// host loses it after its TCP acknowledged it and Settle passed: rsyslog
// killed or crashing with the record in its memory queue, or so slow that
// acknowledged bytes wait unread in its socket buffer longer than Settle
// before it dies. Use a disk-assisted queue on the log host (and RELP for
// end-to-end acknowledgement) where that matters. With UDP nothing is
// confirmed: Sent counts datagrams the kernel took, and while the host
// is down they are lost uncounted (after an ICMP port unreachable, the
// next datagram is tried once more, so Send never fails or waits).
//
// # Diagnostics
//
// A Sender writes no log of its own (it is a log destination): Stats
// counts records and errors and keeps the last error. Every record given
// to Send ends up exactly once in Sent, Dropped or Unconfirmed, or still
// waits in Queued, InFlight or Spooled.
//
// # Not done on purpose
//
// No RELP, no fallback hosts, no LF-terminated framing (it cannot carry a
// record that contains a newline, and Append5424 escapes those anyway),
// no message size limit (rsyslog cuts messages longer than its
// maxMessageSize, 8 KiB by default: raise it on the log host for long
// rule texts).
package remote
