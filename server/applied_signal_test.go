package server

import (
	"sync/atomic"
	"testing"
	"time"
)

// A sync waiting for an apply wakes on the apply, not on a poll, and gives
// up at its deadline.
func TestAppliedSignalWakesWaiters(t *testing.T) {
	var a appliedSignal
	var zxid atomic.Int64
	done := make(chan bool)
	go func() { done <- a.waitUntil(func() bool { return zxid.Load() >= 5 }, time.Now().Add(10*time.Second)) }()
	for a.waiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	zxid.Store(5)
	start := time.Now()
	a.applied()
	if !<-done {
		t.Fatal("waitUntil gave up although the zxid was applied")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the waiter woke %v after the apply", d)
	}
	if a.waitUntil(func() bool { return zxid.Load() >= 6 }, time.Now().Add(50*time.Millisecond)) {
		t.Fatal("waitUntil reported an apply that never came")
	}
	if n := a.waiters.Load(); n != 0 {
		t.Fatalf("%d waiters left registered", n)
	}
}
