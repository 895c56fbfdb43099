package server

import (
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// Proposal batching on an ensemble's leader: one batch of writes in flight.
//
// Every member fsyncs each batch raft hands its log store, and on this kind
// of machine an fsync costs far more CPU than the rest of a write (about
// 290 µs of machine time each, server/DESIGN.md). hashicorp/raft's leader
// batches whatever queued while it wrote the previous batch, which under
// load is a few writes: with 32 clients the leader fsynced once per 6 writes
// and the followers once per 8.
//
// So the leader keeps at most one batch of proposals in flight: a proposal
// that finds nothing in flight goes to raft at once (a lone client waits
// for nothing), and proposals that arrive while a batch is in flight queue
// here and go to raft together the moment that batch has applied. Under
// load the batches double in size and the fsyncs per write halve on every
// member; a write waits at most one commit round in the queue, no longer
// than it would have waited behind the batch in raft's pipeline.
//
// Order is kept: every raft.Apply happens under mu, queued proposals before
// any later one. A transfer's barrier flushes the queue first (flush), so
// no write that passed the transfer hold waits behind the transfer.

// proposalGate queues proposals while a batch is in flight.
type proposalGate struct {
	apply func(entry []byte, timeout time.Duration) raft.ApplyFuture
	idle  func() // called when the last batch in flight applied and none follows

	mu     sync.Mutex
	busy   bool              // a batch is in flight (run waits for its last future)
	closed bool              // the server stopped: everything goes straight to raft
	queue  []*queuedProposal // in arrival order
	sent   chan struct{}     // closed once the queue went to raft (nil: queue empty)
	done   chan struct{}     // the queue's settled: closed once all of it applied
	flight chan *sharedFuture
}

// sharedFuture is the future of a batch's last proposal: the gate waits for
// it as well as the proposal's caller, and raft's futures allow only one
// goroutine to call Error (a second would wait forever). wait, on the
// gate's goroutine, is the only caller of raft's Error.
type sharedFuture struct {
	raft.ApplyFuture
	done chan struct{}
	err  error
}

func share(f raft.ApplyFuture, done chan struct{}) *sharedFuture {
	return &sharedFuture{ApplyFuture: f, done: done}
}

func (f *sharedFuture) wait() {
	f.err = f.ApplyFuture.Error()
	close(f.done)
}

func (f *sharedFuture) Error() error          { <-f.done; return f.err }
func (f *sharedFuture) Index() uint64         { <-f.done; return f.ApplyFuture.Index() }
func (f *sharedFuture) Response() interface{} { <-f.done; return f.ApplyFuture.Response() }

// settler is a proposal's future that knows when its batch has applied
// (cluster.Outcome.Settled): the gate's sharedFuture and queuedProposal.
type settler interface{ settled() <-chan struct{} }

// settled is closed once the future completed.
func (f *sharedFuture) settled() <-chan struct{} { return f.done }

// queuedProposal is a proposal waiting for the batch in flight; it is also
// its caller's future, answering once raft's future does. The proposals of
// one queue share their sent and done channels.
type queuedProposal struct {
	entry   []byte
	timeout time.Duration
	sent    <-chan struct{} // closed once f is set
	done    <-chan struct{} // closed once the whole queue applied (or f is raft's own)
	f       raft.ApplyFuture
}

func (q *queuedProposal) Error() error          { <-q.sent; return q.f.Error() }
func (q *queuedProposal) Index() uint64         { <-q.sent; return q.f.Index() }
func (q *queuedProposal) Response() interface{} { <-q.sent; return q.f.Response() }

// settled is closed once the proposal's batch applied, raft's future of
// every proposal in it with it (raft completes them in log order).
func (q *queuedProposal) settled() <-chan struct{} { return q.done }

// newProposalGate starts the gate's goroutine, which waits for each batch
// in flight and sends the next, calling idle (when not nil) whenever none
// follows; after quit closes, nothing queues any more.
func newProposalGate(apply func([]byte, time.Duration) raft.ApplyFuture, idle func(), quit <-chan struct{}) *proposalGate {
	g := &proposalGate{apply: apply, idle: idle, flight: make(chan *sharedFuture, 1)}
	go g.run()
	go func() {
		<-quit
		g.mu.Lock()
		g.closed = true
		g.sendQueued(false)
		if !g.busy {
			close(g.flight) // run ends; nothing sends any more
		}
		g.mu.Unlock()
	}()
	return g
}

// propose hands entry to raft now when no batch is in flight, otherwise
// queues it behind the batch.
func (g *proposalGate) propose(entry []byte, timeout time.Duration) raft.ApplyFuture {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return g.apply(entry, timeout)
	}
	if !g.busy {
		f := share(g.apply(entry, timeout), make(chan struct{}))
		g.busy = true
		g.flight <- f
		return f
	}
	if g.sent == nil {
		g.sent, g.done = make(chan struct{}), make(chan struct{})
	}
	q := &queuedProposal{entry: entry, timeout: timeout, sent: g.sent, done: g.done}
	g.queue = append(g.queue, q)
	return q
}

// inFlight reports whether a batch is in raft: its apply will be followed
// by the queued proposals', or by a call of idle.
func (g *proposalGate) inFlight() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy && !g.closed
}

// flush hands every queued proposal to raft now.
func (g *proposalGate) flush() {
	g.mu.Lock()
	g.sendQueued(false)
	g.mu.Unlock()
}

// sendQueued applies the queue in order. With track it returns the shared
// future of the last proposal, for the gate to wait on (nil for an empty
// queue), which closes the queue's done channel; without, done closes at
// once and only raft's futures tell when each proposal applied. mu is held.
func (g *proposalGate) sendQueued(track bool) *sharedFuture {
	if len(g.queue) == 0 {
		return nil
	}
	var last *sharedFuture
	for i, q := range g.queue {
		q.f = g.apply(q.entry, q.timeout)
		if track && i == len(g.queue)-1 {
			last = share(q.f, g.done)
			q.f = last
		}
	}
	if !track {
		close(g.done)
	}
	close(g.sent)
	g.sent, g.done = nil, nil
	clear(g.queue)
	g.queue = g.queue[:0]
	return last
}

// run waits for the batch in flight to apply (or fail) and sends the queued
// proposals as the next batch. Raft completes every future, on shutdown at
// the latest, so the goroutine ends once the server stopped.
func (g *proposalGate) run() {
	for f := range g.flight {
		f.wait()
		g.mu.Lock()
		next := g.sendQueued(!g.closed)
		switch {
		case g.closed:
			g.busy = false
			g.mu.Unlock()
			return
		case next == nil:
			g.busy = false
		default:
			g.flight <- next
		}
		g.mu.Unlock()
		if next == nil && g.idle != nil {
			g.idle()
		}
	}
}
