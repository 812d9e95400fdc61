package report

import (
	"net/netip"
	"time"
)

// FormatVersion is the version of the JSON layout WriteJSON writes.
const FormatVersion = 1

// Report is a snapshot of an Aggregator. Times are in the Aggregator's
// Options.Location. Strings are as logged, clipped (see the package
// documentation); renderers escape them.
type Report struct {
	Version    int            `json:"version"`
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Location   *time.Location `json:"-"`
	IPv6Prefix int            `json:"ipv6_prefix"`

	Events  int64 `json:"events"`
	Granted int64 `json:"granted"`
	Refused int64 `json:"refused"`
	Outside int64 `json:"outside_window"`

	// Services holds every service tracked, most attempts first;
	// OtherServices the events of services beyond Options.MaxServices
	// (nil when there were none).
	Services      []ServiceStat `json:"services"`
	OtherServices *Counts       `json:"other_services"`

	// Sources holds the Options.Top most refused sources. SourcesExact is
	// false when some counts are space-saving estimates (see Overcount).
	Sources      []SourceStat `json:"sources"`
	SourcesExact bool         `json:"sources_exact"`

	// NewSources holds the Options.Top earliest first-seen sources;
	// NewSourcesTotal how many were tracked in all (at most
	// Options.MaxSources), and NewSourceEventsUntracked how many events
	// came from new sources beyond that.
	NewSources               []NewSource `json:"new_sources"`
	NewSourcesTotal          int         `json:"new_sources_total"`
	NewSourceEventsUntracked int64       `json:"new_source_events_untracked"`

	// Rules holds the Options.Top rules that decided most often;
	// OtherRules the events of rules beyond Options.MaxRules (nil when
	// there were none); NoRule the events whose record named no rule.
	Rules      []RuleStat `json:"rules"`
	OtherRules *Counts    `json:"other_rules"`
	NoRule     int64      `json:"no_rule"`

	// Timeline has one entry per hour from From (rounded down to the
	// hour) up to To, including the hours without events.
	Timeline []Hour `json:"timeline"`
}

// Counts are the events of one kind. Attempts counts all of them,
// including those whose verdict was neither granted nor refused.
type Counts struct {
	Attempts int64 `json:"attempts"`
	Granted  int64 `json:"granted"`
	Refused  int64 `json:"refused"`
}

// ServiceStat is one service's line.
type ServiceStat struct {
	Service string `json:"service"` // Event.Daemon, "" when not logged
	Counts
}

// RuleStat is one rule's line.
type RuleStat struct {
	Rule string `json:"rule"` // "file:line" as logged
	Counts
}

// Hour is one hour of the timeline.
type Hour struct {
	Start time.Time `json:"start"`
	Counts
}

// SourceStat is one refused source.
type SourceStat struct {
	// Source is the source as shown: an IPv4 address, an IPv6 address
	// (when the prefix is a /128) or IPv6 prefix, or the host name for a
	// client logged without an address.
	Source string `json:"source"`
	// Prefix is the address or prefix the source stands for; the zero
	// Prefix for a client logged only by name.
	Prefix netip.Prefix `json:"prefix,omitzero"`
	// Name is the last host name logged with it ("" when none).
	Name string `json:"name,omitempty"`
	// Refused counts its refusals. When Overcount is not zero the count
	// is an upper bound: the true count is at least Refused-Overcount.
	Refused   int64 `json:"refused"`
	Overcount int64 `json:"overcount"`
	// LastService is the service of its last refusal.
	LastService string `json:"last_service"`
	// First and Last are the times of the first and last refusals
	// counted for it (First is later than the true first refusal when
	// Overcount is not zero).
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// NewSource is one source that the history did not know.
type NewSource struct {
	Source  string       `json:"source"`         // as in SourceStat
	Prefix  netip.Prefix `json:"prefix"`         // address or prefix
	Name    string       `json:"name,omitempty"` // first host name logged with it
	First   time.Time    `json:"first"`          // its first event
	Service string       `json:"service"`        // the service of its first event
	Counts
}
