package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// stateSignal wakes the goroutines waiting for some state to change: the
// changer updates the state and calls changed; a waiter passes a check of
// the state, looked at again after every change. changed costs an atomic
// load while nobody waits, so it can sit on a hot path (raft's FSM
// goroutine after every entry; the log writer after every batch).
type stateSignal struct {
	waiters atomic.Int32
	mu      sync.Mutex
	ch      chan struct{} // closed by the next change (nil: nobody waits on one)
}

func (a *stateSignal) changed() {
	if a.waiters.Load() == 0 {
		return
	}
	a.mu.Lock()
	if a.ch != nil {
		close(a.ch)
		a.ch = nil
	}
	a.mu.Unlock()
}

// wait blocks until done is true.
func (a *stateSignal) wait(done func() bool) { a.waitUntil(done, time.Time{}) }

// waitUntil reports whether done became true before the deadline (the zero
// time: none).
func (a *stateSignal) waitUntil(done func() bool, deadline time.Time) bool {
	a.waiters.Add(1)
	defer a.waiters.Add(-1)
	var expired <-chan time.Time
	if !deadline.IsZero() {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		expired = timer.C
	}
	for {
		a.mu.Lock()
		if a.ch == nil {
			a.ch = make(chan struct{})
		}
		ch := a.ch
		a.mu.Unlock()
		if done() {
			return true
		}
		select {
		case <-ch:
		case <-expired:
			return done()
		}
	}
}
