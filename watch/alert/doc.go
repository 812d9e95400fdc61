// Package alert is tcpdwatch's alerting: it groups watch.Events into
// incidents by rule and source, and tells people about each incident
// once, by mail, webhook or a program, with a summary of what followed
// when it ends.
//
// # Rules
//
// A Rule looks at the events for its services (all, when it names none)
// and keys them by source: the client address masked to Prefix4 bits
// (32: one address) or Prefix6 bits (64: the attacker rotating through a
// /64 is one source), or the logged host name for events that carried no
// address. There are three kinds:
//
//   - Threshold: Count refusals from one source within Window;
//   - Trap: any connection, granted or refused, to a service nobody
//     legitimate uses;
//   - NewSource: a grant to a service from a source never seen granted
//     that service before. The seen set is kept in Config.SeenFile (JSON,
//     replaced atomically, bounded by MaxSeen, least recently seen
//     forgotten first); Learn is a period after it was first created
//     during which sources are recorded without alerting.
//
// Event times come from the logs (an event without a time, or more than
// five minutes in the future, takes the clock's time); events older than
// Config.MaxAge only feed the seen set.
//
// # Incidents
//
// When a rule fires for a source an incident opens and its actions get
// one Opened notice. Further events from that source for that rule join
// the incident instead of alerting again. It closes after Quiet without
// an event (by event time while events flow, by the clock when they
// stop: Tick) or MaxDuration after it opened, and the actions then get a
// Summary notice: how many events followed, first and last times,
// services and host names. An incident after which nothing came closes
// silently unless Config.SummaryAlways is set. Incidents live in memory:
// Close sends their summaries, and a restart starts afresh.
//
// # Actions
//
// Each action has a bounded queue and its own workers; Observe only ever
// queues, so a dead mail server never slows event processing. A notice
// that finds the queue full is dropped; Stats counts notices sent,
// failed and dropped per action, and failures are logged.
//
//   - mail: SMTP to Server, STARTTLS when offered (TLSOpportunistic) or
//     required (TLSRequired), or SMTPS (TLSImplicit); AUTH PLAIN or LOGIN
//     only ever over TLS; one timeout for the whole delivery. The mail
//     has From, To, Subject, Date, Message-ID (the Summary refers to
//     its Opened mail with In-Reply-To), MIME headers and
//     Auto-Submitted; it is ASCII, and every string from a log went
//     through Clean, so no header can be split or injected.
//   - webhook: POST of WebhookBody as JSON, with a timeout per attempt
//     and retries with doubling backoff on network errors, 5xx, 408 and
//     429; any other non-2xx answer (redirects included) fails at once.
//   - program: Argv run directly (never a shell), in a new process group
//     killed at the timeout, at most Concurrency at once, with a minimal
//     environment. Notice fields reach it as TCPDWATCH_KIND,
//     TCPDWATCH_INCIDENT, TCPDWATCH_RULE, TCPDWATCH_RULE_KIND,
//     TCPDWATCH_SOURCE, TCPDWATCH_ADDR, TCPDWATCH_SERVICE,
//     TCPDWATCH_SERVICES, TCPDWATCH_NAME, TCPDWATCH_USER, TCPDWATCH_HOST,
//     TCPDWATCH_VERDICT, TCPDWATCH_COUNT, TCPDWATCH_FOLLOWED,
//     TCPDWATCH_FIRST, TCPDWATCH_LAST and TCPDWATCH_CLOSED, and as
//     {source}-style placeholders in Argv elements, all passed through
//     SanitizeArg.
//
// Options.Actions adds actions of the program's own, such as the ban
// list's, under names the rules refer to.
//
// # Configuration file
//
// ParseConfig reads the alert, rule and action sections of a tcpdwatch
// configuration file (see ParseConfig for the syntax); their keys:
//
//	[alert]   quiet, max-duration, max-age, summary (always|followed),
//	          seen-file, max-seen, max-sources, max-incidents
//	[rule]    kind (threshold|trap|new-source), services, actions,
//	          count, within, prefix4, prefix6, learn, quiet, max-duration
//	[action]  kind (mail|webhook|program), queue, workers, and
//	  mail:    server, helo, from, to, tls (opportunistic|required|
//	           implicit|none), ca-file, server-name, auth (plain|login),
//	           username, password, password-file, timeout, subject-prefix
//	  webhook: url, header (Name: value; repeatable), timeout, retries,
//	           backoff
//	  program: argv, env (NAME=value; repeatable), timeout, concurrency
//
// Errors name the file and line.
//
// What it deliberately does not do: read logs (watch/logscan), keep the
// deny list (watch/ban, whose List.Action a program registers in
// Options.Actions for its rules to name), or keep incidents across
// restarts.
package alert
