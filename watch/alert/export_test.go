package alert

import "time"

// ParseSeen and MarshalSeen expose the seen file's parser to the tests.
func ParseSeen(data []byte, max int) (entries int, created time.Time, err error) {
	s, err := parseSeen(data, "", max)
	if err != nil {
		return 0, time.Time{}, err
	}
	return s.len(), s.created, nil
}

// RoundTripSeen parses a seen file and writes it back.
func RoundTripSeen(data []byte, max int) ([]byte, error) {
	s, err := parseSeen(data, "", max)
	if err != nil {
		return nil, err
	}
	return s.marshal()
}

// MailMessage renders the mail a mail action sends for n.
func MailMessage(ac ActionConfig, clock Clock, n Notice) ([]byte, error) {
	m, err := newMail(ac.Mail, clock)
	if err != nil {
		return nil, err
	}
	return m.message(&n), nil
}

// ProgramArgv is the argv a program action runs for n.
func ProgramArgv(c ProgramConfig, n Notice) ([]string, error) {
	return newProgram(c).argv(&n)
}
