// Package report aggregates tcpdwatch Events over a time window and
// renders the result as a terminal table, as JSON and as a self-contained
// HTML page that an administrator can mail or open in a browser.
//
// # Aggregating
//
// New takes the window [Options.From, Options.To) and returns an
// Aggregator; Add counts one watch.Event at a time (events outside the
// window are counted as such and otherwise ignored), and Report returns a
// snapshot:
//
//   - attempts, grants and refusals per service (Event.Daemon);
//   - the sources refused most often: an IPv4 address is a source by
//     itself, an IPv6 address counts for its Options.IPv6Prefix (a /64 by
//     default), and a client logged only by host name counts under that
//     name;
//   - first-seen sources: the address sources seen in the window that
//     Options.Known does not know (a nil Known is an empty history, so
//     every source is new);
//   - an hourly timeline of grants and refusals across the whole window,
//     zero-filled;
//   - the rules that decided most often (Event.Rule, present in our JSON
//     and RFC 5424 records).
//
// # Bounded memory
//
// An Aggregator's memory does not grow with the number of events or with
// the number of distinct values an attacker can make appear in the logs:
//
//   - Refused sources are counted with the space-saving algorithm
//     (Metwally, Agrawal and El Abbadi, 2005) over at most
//     Options.MaxSources entries. While fewer distinct sources were
//     refused the counts are exact. Beyond that, an entry that has to make
//     room inherits the smallest count; every reported count is then an
//     upper bound and SourceStat.Overcount says by how much at most, and a
//     source refused more than (refusals in the window)/MaxSources times
//     is guaranteed to be among the entries, whatever the order of the
//     events (Report lists the Options.Top highest counts).
//   - Services and rules are kept exactly in maps of at most
//     Options.MaxServices and Options.MaxRules keys; events for further
//     keys are counted in one "others" bucket (Report.OtherServices,
//     Report.OtherRules).
//   - First-seen sources are kept for the first Options.MaxSources new
//     sources met; events from further new sources are counted in
//     Report.NewSourceEventsUntracked.
//   - Strings are copied (never kept as slices of the caller's buffers)
//     and clipped: service names to 128 bytes, host names to 255, rules
//     to 256.
//   - The timeline has one bucket per hour; a window longer than
//     MaxWindow is refused by New.
//
// An Aggregator is not safe for concurrent use; a Report is a value that
// no longer changes.
//
// # Rendering
//
// Every string in an Event came from a log and may have been chosen by an
// attacker. The renderers never let one reach the reader raw:
//
//   - WriteText writes aligned columns whose widths are measured in runes.
//     Control characters (C0, DEL, C1), invalid UTF-8, Unicode format
//     characters (such as the bidirectional overrides), combining marks,
//     spaces other than U+0020, and the backslash itself are written as
//     Go-style escapes (\x1b, \n, \u202e, \\), so that every table row is
//     one line and a column is as wide as its rune count. Long cells are
//     clipped with "…".
//   - WriteJSON writes the data as it was logged (clipped as above, and
//     with invalid UTF-8 replaced by U+FFFD) but the output is pure ASCII: every non-ASCII character and every one of
//     < > & is a \u escape, so the file is safe to cat and to embed.
//   - WriteHTML writes one page with inline CSS and inline SVG charts, no
//     external assets, no JavaScript. It is produced with html/template,
//     from strings that have first been escaped as for the terminal.
//
// The JSON field names are stable; Report's struct tags are the reference
// and the version field (FormatVersion) changes if they ever change:
//
//	version                  format version (1)
//	from, to                 the window, RFC 3339 in Options.Location
//	ipv6_prefix              the prefix length IPv6 sources count under
//	events                   events in the window
//	granted, refused         of which granted, refused
//	outside_window           events Add saw outside the window
//	services[]               {service, attempts, granted, refused}, most attempts first
//	other_services           the same counts for services beyond MaxServices, or null
//	sources[]                {source, prefix, name, refused, overcount,
//	                          last_service, first, last}, most refused first
//	sources_exact            true when no source count is an estimate
//	new_sources[]            {source, prefix, name, first, service, attempts,
//	                          granted, refused}, earliest first
//	new_sources_total        how many new sources were tracked
//	new_source_events_untracked  events from new sources beyond MaxSources
//	rules[]                  {rule, attempts, granted, refused}, most decisions first
//	other_rules              counts for rules beyond MaxRules, or null
//	no_rule                  events whose record named no rule
//	timeline[]               {start, attempts, granted, refused}, one per hour
//
// "attempts" counts every event, so it also includes events whose verdict
// was neither granted nor refused.
//
// The package reads and writes nothing by itself: renderers write to the
// io.Writer they are given and return its errors.
package report
