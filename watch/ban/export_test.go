package ban

// RoundTripState parses a state file and writes it back.
func RoundTripState(data []byte) ([]byte, error) {
	recs, err := parseState(data)
	if err != nil {
		return nil, err
	}
	return marshalState(recs), nil
}
