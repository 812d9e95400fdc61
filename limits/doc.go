// Package limits decides whether a super-server may start one more
// session for a client, under limits that throttle the offender and never
// the service: a maximum of instances per service, a global maximum of
// sessions, and per source a maximum of concurrent sessions and a token
// bucket on the rate of connections.
//
// # Sources
//
// A source is what the per-source limits count: an IPv4 address (or, with
// Config.IPv4Bits, an IPv4 prefix), or an IPv6 prefix, /64 by default, so
// that one host cannot dodge its limits by rotating through the addresses
// of its network. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are IPv4
// addresses. Zones are ignored. Connections without an IP address (the
// invalid netip.Addr) are one source together.
//
// # Use
//
//	l, err := limits.New(limits.Config{GlobalMax: 512,
//		Source: limits.SourceLimits{Max: 8, Rate: limits.PerSecond(5, 20)}})
//	ftp, err := l.SetService("ftp", limits.ServiceLimits{Max: 40})
//	...
//	ticket, refusal := ftp.Acquire(clientAddr)
//	if refusal.Refused() {
//		if refusal.Log { log(refusal) } // once per interval per source and reason
//		close the connection
//	}
//	defer ticket.Release()              // when the session ends
//
// On a reload, Reconfigure and SetService change the limits; sessions
// already running keep their place in the counts and give it back on
// Release.
//
// # Order of the checks, and what a token pays for
//
// Acquire checks the source's rate, then the source's sessions, then the
// service's, then the global count, and stops at the first refusal. The
// per-source checks come first so that a source over its limits never
// takes a service or global slot, not even for a moment: a flood from one
// source cannot make another source's connection fail.
//
// Every attempt that reaches the rate check costs a token, whether a
// later check admits it or not. The rate limits connection attempts, not
// sessions: a source hammering a full service, or one already at its
// maximum of sessions, runs out of tokens and is refused for its rate,
// which leaves the places freed in the service to the sources that ask
// at a reasonable pace. Releasing a Ticket gives back the session's
// place in every count, never tokens.
//
// The bucket is kept as a GCRA theoretical arrival time, one integer per
// source, in nanoseconds: exact, with no floating point, and never more
// generous than the configured rate (the time per token is rounded up to
// the nanosecond).
//
// # Logging
//
// A Refusal says whether to log it: Log is true for the first refusal of
// a kind in each Config.LogInterval (a minute by default), and carries the
// count of the refusals of that kind suppressed since the previous logged
// one. A kind is a source and a reason for the per-source limits, a
// service for service-max, and the whole limiter for global-max. A flood
// from one source thus gives one line per interval and reason, not one per
// connection, and the sources limited together in an overflow entry share
// one log state. Sweep reports the counts still pending once their interval has ended, so that
// the end of a flood is logged too. The package itself logs nothing.
//
// # Memory, and the overflow entries
//
// Sources are tracked only while per-source limits are configured, in a
// table split into shards, each with its own lock, chosen by a hash with a
// random seed. The table is bounded: at most Config.MaxSources sources
// (65536 by default, about 160 bytes each with a session, see
// BenchmarkMemory). Each shard holds at most its share of MaxSources, so
// the first shard fills up a little before the whole table. A source is
// idle when it holds no session and its bucket is full: forgetting it then
// changes nothing for it. Sweep forgets idle sources with nothing left to
// log.
//
// Acquire, when it meets a new source in a full shard, looks at the next
// 32 sources of the shard (resuming where the last look stopped) for one
// to forget, among those holding no session: first an idle one, sparing
// once those seen more than once (the CLOCK, or second chance, algorithm),
// so that clients that come back outlast sources that connect once; else
// one at most one token short and seen only once, typically a source of a
// rotating flood that connected once. Forgetting such a source gives it
// back at most one token should it return; a source that spent more is
// never forgotten before its bucket has refilled to one token short, so
// filling the table cannot reset an offender's bucket.
//
// A shard full of sources that may not be forgotten (they hold sessions,
// or each spent more than one token recently) is what a flood of many
// rotating or spoofed sources, each connecting several times, produces.
// The choice then is fail-safe for the service: the new source is neither
// refused outright nor given a fresh entry of its own. It is limited,
// together with every other source that meets the same full shard, in
// that shard's overflow entry, which has the limits of Config.Overflow
// (the per-source limits by default). Hence:
//
//   - memory stays bounded whatever the flood;
//   - the sources already tracked, those holding sessions and those that
//     spent tokens recently, keep their own limits and are served as
//     before;
//   - the sources nobody has room for share a small, bounded budget (one
//     overflow entry per shard, 64 at most), so a flood of random sources
//     neither locks out everyone new nor gets in unthrottled; new clients
//     compete with the flood for that budget while the flood lasts.
//
// One consequence: a source that got sessions in an overflow entry while
// the table was full, and then an entry of its own, holds sessions in
// both, so it may hold up to the per-source plus the overflow maximum at
// once for as long as those sessions last.
//
// Tickets and refusals made in an overflow entry say so (Ticket.Overflow,
// Refusal.Overflow), so that a daemon can count them: a steady count means
// MaxSources is too small for the traffic, or a flood is under way.
//
// # What it does not do
//
// It does no I/O: no clock but the injected Clock, no logging, no
// network. It does not decide access (package access does) and does not
// close connections. Per-source limits apply across services; there are
// no per-service per-source limits.
package limits
