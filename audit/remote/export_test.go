package remote

// Crash stops the delivery goroutine as if the process had died: nothing
// is flushed, committed or fsynced, and the spool's files are closed
// (releasing its lock) as the kernel would close them.
func (s *Sender) Crash() {
	s.crashing.Store(true)
	s.abortCancel()
	<-s.done
}
