package filelog

import "time"

// OpenForTest is Open with the rotation check every checkEvery (0: every
// record) on the clock now, and a fixed host name.
func OpenForTest(table Table, checkEvery time.Duration, now func() time.Time, hostname string) *Writer {
	w := openWriter(table, checkEvery)
	w.now = now
	w.hostname = hostname
	return w
}
