//go:build race

package main

// The end-to-end test builds tcpdwatch with the race detector when the
// tests run with it, so that the daemon's goroutines are checked too.
func init() { raceBuild = true }
