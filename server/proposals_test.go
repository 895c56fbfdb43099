package server

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// fakeRaft records the entries handed to raft in order; each future
// completes when the test says so.
type fakeRaft struct {
	mu      sync.Mutex
	applied []string
	futures []*fakeFuture
}

type fakeFuture struct {
	done chan struct{}
	idx  uint64
}

func (f *fakeFuture) Error() error          { <-f.done; return nil }
func (f *fakeFuture) Index() uint64         { <-f.done; return f.idx }
func (f *fakeFuture) Response() interface{} { <-f.done; return nil }

func (r *fakeRaft) apply(entry []byte, _ time.Duration) raft.ApplyFuture {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied = append(r.applied, string(entry))
	f := &fakeFuture{done: make(chan struct{}), idx: uint64(len(r.applied))}
	r.futures = append(r.futures, f)
	return f
}

func (r *fakeRaft) entries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.applied)
}

// commit completes the future of the n-th entry (1-based).
func (r *fakeRaft) commit(n int) {
	r.mu.Lock()
	f := r.futures[n-1]
	r.mu.Unlock()
	close(f.done)
}

func waitEntries(t *testing.T, r *fakeRaft, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(r.entries(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("raft got %q, want %q", r.entries(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProposalGateBatchesBehindTheOneInFlight(t *testing.T) {
	r := &fakeRaft{}
	quit := make(chan struct{})
	defer close(quit)
	g := newProposalGate(r.apply, nil, quit)

	// Nothing in flight: straight to raft, before propose returns.
	g.propose([]byte("a"), 0)
	if got := r.entries(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after the first proposal raft got %q, want [a]", got)
	}
	// While a is in flight the next ones wait, in order.
	fb := g.propose([]byte("b"), 0)
	fc := g.propose([]byte("c"), 0)
	if got := r.entries(); len(got) != 1 {
		t.Fatalf("proposals went to raft while a batch was in flight: %q", got)
	}
	r.commit(1)
	waitEntries(t, r, "a", "b", "c")
	// b and c are one batch: d waits until c (its last) applied, not b.
	g.propose([]byte("d"), 0)
	r.commit(2)
	time.Sleep(20 * time.Millisecond) // a negative: no event to wait for; a gate that waited on b would send d now
	waitEntries(t, r, "a", "b", "c")
	r.commit(3)
	waitEntries(t, r, "a", "b", "c", "d")
	if fb.Index() != 2 || fc.Index() != 3 {
		t.Fatalf("queued futures answer for indexes %d and %d, want 2 and 3", fb.Index(), fc.Index())
	}
	r.commit(4)
	// Idle again: straight through.
	waitIdle(t, g)
	g.propose([]byte("e"), 0)
	if got := r.entries(); len(got) != 5 {
		t.Fatalf("an idle gate held a proposal: raft got %q", got)
	}
}

func waitIdle(t *testing.T, g *proposalGate) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		busy := g.busy
		g.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("gate still busy after its batch applied")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestProposalGateFlushAndClose(t *testing.T) {
	r := &fakeRaft{}
	quit := make(chan struct{})
	g := newProposalGate(r.apply, nil, quit)
	g.propose([]byte("a"), 0)
	g.propose([]byte("b"), 0)
	g.flush()
	if got := r.entries(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after flush raft got %q, want [a b]", got)
	}
	g.propose([]byte("c"), 0) // queued: a is still in flight
	close(quit)
	waitEntries(t, r, "a", "b", "c")
	// Stopped: nothing queues, even with a batch in flight.
	g.propose([]byte("d"), 0)
	if got := r.entries(); len(got) != 4 {
		t.Fatalf("a stopped gate held a proposal: raft got %q", got)
	}
	for i := 1; i <= 4; i++ {
		r.commit(i)
	}
}

// settledOf is a proposal's cluster.Outcome.Settled.
func settledOf(t *testing.T, f raft.ApplyFuture) <-chan struct{} {
	t.Helper()
	s, ok := f.(settler)
	if !ok {
		t.Fatalf("%T tells no settled channel", f)
	}
	return s.settled()
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// A proposal's settled channel closes once its whole batch applied, and the
// gate calls idle when no batch follows the last.
func TestProposalGateSettlesBatchesAndReportsIdle(t *testing.T) {
	r := &fakeRaft{}
	quit := make(chan struct{})
	defer close(quit)
	idle := make(chan struct{}, 8)
	g := newProposalGate(r.apply, func() { idle <- struct{}{} }, quit)
	fa := g.propose([]byte("a"), 0)
	fb := g.propose([]byte("b"), 0)
	fc := g.propose([]byte("c"), 0)
	if !g.inFlight() {
		t.Fatal("the gate says nothing is in flight while a is")
	}
	a, b, c := settledOf(t, fa), settledOf(t, fb), settledOf(t, fc)
	if isClosed(a) || isClosed(b) || isClosed(c) {
		t.Fatal("a proposal settled before raft applied anything")
	}
	r.commit(1)
	<-a
	waitEntries(t, r, "a", "b", "c")
	r.commit(2)                       // b applied, c not yet: the batch has not settled
	time.Sleep(20 * time.Millisecond) // a negative: no event to wait for; a batch that settled on b would close now
	if isClosed(b) || isClosed(c) {
		t.Fatal("the batch [b c] settled before c applied")
	}
	select {
	case <-idle:
		t.Fatal("idle while the batch [b c] was in flight")
	default:
	}
	r.commit(3)
	<-b
	<-c
	select {
	case <-idle:
	case <-time.After(5 * time.Second):
		t.Fatal("no idle call after the last batch applied")
	}
	if g.inFlight() {
		t.Fatal("the gate says a batch is in flight after idle")
	}
}
