package server

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkraft/zkraft/fsm"
)

// A sync waiting for an apply wakes on the apply (there is no poll), and
// gives up at its deadline.
func TestAppliedSignalWakesWaiters(t *testing.T) {
	var a stateSignal
	var zxid atomic.Int64
	done := make(chan bool)
	go func() { done <- a.waitUntil(func() bool { return zxid.Load() >= 5 }, time.Now().Add(10*time.Second)) }()
	for a.waiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	zxid.Store(5)
	start := time.Now()
	a.changed()
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

// bufSink is a raft.SnapshotSink in memory.
type bufSink struct{ bytes.Buffer }

func (*bufSink) ID() string    { return "buf" }
func (*bufSink) Close() error  { return nil }
func (*bufSink) Cancel() error { return nil }

// A snapshot restore changes the state without an applied entry; the FSM
// wrapper tells of it, so a sync waiting on the restored zxid wakes.
func TestRestoreWakesAppliedSignal(t *testing.T) {
	snap, err := fsm.New(fsm.Options{}).Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink bufSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	var a stateSignal
	var restored atomic.Bool
	f := wrapFSM(&sync.RWMutex{}, fsm.New(fsm.Options{}), nil, nil, a.changed)
	done := make(chan bool)
	go func() { done <- a.waitUntil(restored.Load, time.Now().Add(10*time.Second)) }()
	for a.waiters.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	restored.Store(true) // what the restore makes true, before it reports
	start := time.Now()
	if err := f.Restore(io.NopCloser(&sink.Buffer)); err != nil {
		t.Fatal(err)
	}
	if !<-done {
		t.Fatal("waitUntil gave up although the restore happened")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the waiter woke %v after the restore", d)
	}
}
