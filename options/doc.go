// Package options is the hosts_options(5) language as Debian's
// tcp_wrappers builds it: the option keyword table with each option's
// value rules (Lookup), the splitting of a rule's option text into fields
// (Split), and the parsers of the values that must be numbers, modes or
// syslog priorities.
//
// It is pure: it runs nothing, looks nothing up and logs nothing. Package
// access processes the options of a matched rule in order with it and
// returns them as actions; the programs (tcpd, tcpwrapd) carry them out,
// and tcpdmatch and tcpdchk only report them.
package options
