//go:build !linux

package main

import "time"

// raiseTimerSlack does nothing outside Linux (timerslack_linux.go).
func raiseTimerSlack(time.Duration) error { return nil }
