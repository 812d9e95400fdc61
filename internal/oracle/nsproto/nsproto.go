// Package nsproto is the protocol between package oracle and its
// in-namespace helper, internal/oracle/nsrun: oracle writes one Request
// as JSON to the helper's standard input and reads one Reply from its
// standard output.
package nsproto

// Request says what the helper runs and how.
type Request struct {
	Program string   `json:"program"` // absolute path
	Argv    []string `json:"argv"`
	Dir     string   `json:"dir"` // the program's working directory
	Env     []string `json:"env"`
	Hosts   string   `json:"hosts,omitempty"` // bind-mounted over /etc/hosts when set
	OldDev  string   `json:"old_dev"`         // an empty directory for the original /dev
	UID     *uint32  `json:"uid,omitempty"`
	GID     *uint32  `json:"gid,omitempty"`
	Timeout float64  `json:"timeout_seconds"` // 0: none
}

// Reply is what the program did.
type Reply struct {
	Stdout   []byte   `json:"stdout"`
	Stderr   []byte   `json:"stderr"`
	Exit     int      `json:"exit"`             // 128+signal when killed, -1 when unknown
	Signal   int      `json:"signal,omitempty"` // the signal that ended it
	TimedOut bool     `json:"timed_out,omitempty"`
	Elapsed  float64  `json:"elapsed_seconds"`
	Syslog   [][]byte `json:"syslog"` // the datagrams it sent to /dev/log
	Error    string   `json:"error,omitempty"`
}
