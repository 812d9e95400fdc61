// Package audit builds what the project's programs log, and encodes it;
// package audit/trail sends it where the logging configuration says.
//
// A Message is one log event: a priority, the program and PID it is
// logged under, the classic one-line Text and, for the structured
// destinations, a Record. There are two kinds of records:
//
//   - decisions (Record, made by NewRecord): what was asked, what was
//     decided and by which rule. Classic builds tcpd's lines for them,
//     byte for byte as Debian's tcpd logs them ("connect from ...",
//     "refused connect from ...");
//   - session ends (SessionRecord, carried as Record.Session): what a
//     super-server ran for a client, how long, how it ended (an exit code
//     or a signal) and the bytes it moved. SessionRecord.Message makes the
//     message; its Text is a line of key=value words.
//
// The encodings: Append3164 (the local syslog socket), Record.AppendJSON
// (one JSON object a line; a session end has "event":"session-end", a
// decision no "event"), and Append5424 (RFC 5424 for log hosts, the record
// as structured data: SD-ID SDID with MSGID "decision", or SessionSDID
// with MSGID "session-end"). The schemas are documented at the encoders
// and in tcpwrap-logging.conf(5).
//
// Every string of a record may come from the network (host names, ident
// user names, error texts): the encoders cut it to MaxName or MaxText
// bytes and escape control characters, invalid UTF-8 and the characters
// each syntax reserves, so that no value can end a line or a field.
// Record.AppendJSONWithin cuts them shorter still where a destination
// keeps only so many bytes of a message, so that the record stays whole.
//
// The package writes nothing itself and has no diagnostics.
package audit
