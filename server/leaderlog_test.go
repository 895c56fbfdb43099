package server

import (
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// gatedStore is raft's in-memory log store whose StoreLogs waits for a
// release (one per call) and records the batches in the order written.
type gatedStore struct {
	*raft.InmemStore
	release chan struct{} // nil: writes go through at once
	fail    error
	mu      sync.Mutex
	batches [][]uint64
}

func (g *gatedStore) StoreLogs(es []*raft.Log) error {
	if g.release != nil {
		<-g.release
	}
	if g.fail != nil {
		return g.fail
	}
	var idx []uint64
	for _, e := range es {
		idx = append(idx, e.Index)
	}
	g.mu.Lock()
	g.batches = append(g.batches, idx)
	g.mu.Unlock()
	return g.InmemStore.StoreLogs(es)
}

func (g *gatedStore) written() [][]uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.batches)
}

func entries(from, to uint64) []*raft.Log {
	var es []*raft.Log
	for i := from; i <= to; i++ {
		es = append(es, &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: []byte{byte(i)}})
	}
	return es
}

func newTestLeaderLog(t *testing.T, g *gatedStore, leading *atomic.Bool) *leaderLog {
	t.Helper()
	l, err := newLeaderLog(g, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l.setLeading(leading.Load)
	t.Cleanup(func() {
		if g.release != nil {
			close(g.release)
			g.release = nil
		}
		l.stop()
	})
	return l
}

// returnsWithin reports whether f returned within d.
func returnsWithin(d time.Duration, f func()) bool {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// TestLeaderLogQueuesWhileLeading: a leading member's StoreLogs returns
// before the store has the entries, raft can read them back meanwhile, and
// the FSM's wait for an entry lasts until the store wrote it.
func TestLeaderLogQueuesWhileLeading(t *testing.T) {
	g := &gatedStore{InmemStore: raft.NewInmemStore(), release: make(chan struct{})}
	var leading atomic.Bool
	leading.Store(true)
	l := newTestLeaderLog(t, g, &leading)

	if !returnsWithin(time.Second, func() {
		if err := l.StoreLogs(entries(1, 3)); err != nil {
			t.Error(err)
		}
	}) {
		t.Fatal("a leading member's StoreLogs waited for the disk")
	}
	var e raft.Log
	if err := l.GetLog(2, &e); err != nil || e.Data[0] != 2 {
		t.Fatalf("GetLog(2) of a queued entry: %v %+v", err, e)
	}
	if last, _ := l.LastIndex(); last != 3 {
		t.Fatalf("LastIndex %d, want 3 (queued)", last)
	}
	if first, _ := l.FirstIndex(); first != 1 {
		t.Fatalf("FirstIndex %d, want 1 (queued)", first)
	}
	durable := make(chan bool, 1)
	go func() { durable <- l.waitDurable(3) }()
	select {
	case <-durable:
		t.Fatal("waitDurable(3) returned before the store wrote entry 3")
	case <-time.After(50 * time.Millisecond):
	}
	if got := l.durableIndex(); got != 0 {
		t.Fatalf("durable index %d before the write, want 0", got)
	}
	g.release <- struct{}{}
	if ok := <-durable; !ok {
		t.Fatal("waitDurable(3) reported the entry lost")
	}
	if got := l.durableIndex(); got != 3 {
		t.Fatalf("durable index %d, want 3", got)
	}
}

// TestLeaderLogFollowerWritesAfterQueue: once the member no longer leads,
// StoreLogs writes synchronously, and only after what was queued, so the
// store sees the entries in index order.
func TestLeaderLogFollowerWritesAfterQueue(t *testing.T) {
	g := &gatedStore{InmemStore: raft.NewInmemStore(), release: make(chan struct{})}
	var leading atomic.Bool
	leading.Store(true)
	l := newTestLeaderLog(t, g, &leading)
	if err := l.StoreLogs(entries(1, 3)); err != nil {
		t.Fatal(err)
	}
	leading.Store(false)
	stored := make(chan error, 1)
	go func() { stored <- l.StoreLogs(entries(4, 5)) }()
	select {
	case err := <-stored:
		t.Fatalf("a follower's StoreLogs returned (%v) before its entries were on disk", err)
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- struct{}{} // the queued batch
	g.release <- struct{}{} // the follower's own
	if err := <-stored; err != nil {
		t.Fatal(err)
	}
	if got, want := g.written(), [][]uint64{{1, 2, 3}, {4, 5}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("store wrote %v, want %v", got, want)
	}
	if got := l.durableIndex(); got != 5 {
		t.Fatalf("durable index %d, want 5", got)
	}
}

// TestLeaderLogTruncationAndRequeue: a follower's truncation of its tail
// moves the durable index below the removed entries, and entries queued
// at an index the store held before are not taken for durable.
func TestLeaderLogTruncationAndRequeue(t *testing.T) {
	g := &gatedStore{InmemStore: raft.NewInmemStore()}
	var leading atomic.Bool
	l := newTestLeaderLog(t, g, &leading)
	if err := l.StoreLogs(entries(1, 10)); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteRange(8, 10); err != nil {
		t.Fatal(err)
	}
	if got := l.durableIndex(); got != 7 {
		t.Fatalf("durable index %d after removing 8..10, want 7", got)
	}
	if err := l.DeleteRange(1, 3); err != nil { // compaction: the head
		t.Fatal(err)
	}
	if got := l.durableIndex(); got != 7 {
		t.Fatalf("durable index %d after compaction, want 7", got)
	}

	g.release = make(chan struct{})
	leading.Store(true)
	if err := l.StoreLogs(entries(6, 7)); err != nil { // replaces 6..7 (test store overwrites)
		t.Fatal(err)
	}
	if got := l.durableIndex(); got != 5 {
		t.Fatalf("durable index %d with 6..7 queued again, want 5", got)
	}
	g.release <- struct{}{}
	if !l.waitDurable(7) {
		t.Fatal("requeued entries never became durable")
	}
}

// TestLeaderLogWriteFailure: a failed background write is sticky: raft's
// next StoreLogs fails with a message that says what to do, and the FSM is
// told the queued entries will never be durable.
func TestLeaderLogWriteFailure(t *testing.T) {
	g := &gatedStore{InmemStore: raft.NewInmemStore(), fail: errors.New("no space left on device")}
	var leading atomic.Bool
	leading.Store(true)
	l := newTestLeaderLog(t, g, &leading)
	if err := l.StoreLogs(entries(1, 2)); err != nil {
		t.Fatal(err)
	}
	if l.waitDurable(2) {
		t.Fatal("an entry whose write failed was reported durable")
	}
	err := l.StoreLogs(entries(3, 3))
	if err == nil || !errors.Is(err, g.fail) {
		t.Fatalf("StoreLogs after the failure: %v, want the write's error", err)
	}
	leading.Store(false)
	if err := l.StoreLogs(entries(3, 3)); err == nil {
		t.Fatal("a follower's StoreLogs after the failure succeeded")
	}
}

// TestLeaderLogStopWritesQueue: stop writes what is queued before it
// returns, so a shutdown loses nothing raft handed over; later writes are
// synchronous.
func TestLeaderLogStopWritesQueue(t *testing.T) {
	g := &gatedStore{InmemStore: raft.NewInmemStore(), release: make(chan struct{})}
	var leading atomic.Bool
	leading.Store(true)
	l := newTestLeaderLog(t, g, &leading)
	if err := l.StoreLogs(entries(1, 4)); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() { l.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("stop returned with entries still queued")
	case <-time.After(50 * time.Millisecond):
	}
	g.release <- struct{}{}
	<-stopped
	if last, _ := g.LastIndex(); last != 4 {
		t.Fatalf("store holds up to %d after stop, want 4", last)
	}
	close(g.release)
	g.release = nil
	if err := l.StoreLogs(entries(5, 5)); err != nil {
		t.Fatal(err)
	}
	if last, _ := g.LastIndex(); last != 5 || l.durableIndex() != 5 {
		t.Fatalf("a write after stop did not go straight to the store: last %d, durable %d", last, l.durableIndex())
	}
}
