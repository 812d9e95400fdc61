//go:build race

package logscan_test

const raceEnabled = true
