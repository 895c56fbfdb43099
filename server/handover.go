package server

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/server/cluster"
)

// Writes during a leadership transfer (ensemble_prefer.go). Raft refuses
// proposals while it transfers, and fails the futures of entries in flight
// when leadership moves, though they may still commit: either would cost
// the clients a connection loss. So, while it hands over, the leader holds
// the writes that arrive (its own clients' and those forwarded to it), first
// lets every write in flight commit (a barrier), then transfers, and then
// releases the held writes in arrival order: proposed here if it still
// leads, otherwise forwarded to the new leader, whose answer goes back to
// the waiting client or forwarding member. A connection's later writes
// queue behind its held ones until the queue is empty, and then continue on
// the route the released ones took (conn.releasedRoute).

// heldWrite is a write held during a transfer; done closes once it was
// proposed here (f) or forwarded (call).
type heldWrite struct {
	entry []byte
	c     *conn // nil for a write another member forwarded
	done  chan struct{}
	f     raft.ApplyFuture
	call  *cluster.Call
}

// handover is the leader's hold on writes.
type handover struct {
	// active mirrors holding, so that writes outside a transfer pass
	// without taking mu.
	active atomic.Bool

	mu      sync.Mutex
	holding bool
	queue   []*heldWrite
}

// hold queues the write if a transfer is under way or held writes are still
// being released; ok is false when it should go its usual way.
func (h *handover) hold(c *conn, entry []byte) (w *heldWrite, ok bool) {
	if !h.active.Load() {
		return nil, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.holding {
		return nil, false
	}
	w = &heldWrite{entry: entry, c: c, done: make(chan struct{})}
	h.queue = append(h.queue, w)
	return w, true
}

// start begins holding.
func (h *handover) start() {
	h.mu.Lock()
	h.holding = true
	h.active.Store(true)
	h.mu.Unlock()
}

// next takes the oldest held write; once none is left it stops holding.
func (h *handover) next() (*heldWrite, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.queue) == 0 {
		h.holding = false
		h.active.Store(false)
		return nil, false
	}
	w := h.queue[0]
	h.queue[0] = nil
	h.queue = h.queue[1:]
	return w, true
}

// transferHolding runs transfer (raft's leadership transfer) with the
// writes held around it, and reports its success.
func (s *Server) transferHolding(transfer func() error) error {
	h := &s.ens.hold
	h.start()
	defer s.releaseHeld()
	s.ens.gate.flush() // writes that passed the hold go before the barrier
	if err := s.node.raft.Barrier(s.opts.syncTimeout()).Error(); err != nil {
		return err
	}
	return transfer()
}

// releaseHeld sends every held write on, in order: proposed here while this
// server leads, forwarded to the leader otherwise.
func (s *Server) releaseHeld() {
	h := &s.ens.hold
	gen := s.ens.leaderGen.Load()
	for {
		w, ok := h.next()
		if !ok {
			return
		}
		if s.node.isLeader() {
			w.f = s.proposeWrite(w.entry)
			if w.c != nil {
				w.c.releasedRoute.Store(&writeRoute{leaderGen: gen})
			}
		} else {
			s.stats.forwarded.Add(1)
			w.call = s.ens.fwd.Send(cluster.KindWrite, w.entry)
			if w.c != nil && w.call.Gen != 0 {
				w.c.releasedRoute.Store(&writeRoute{fwdGen: w.call.Gen})
			}
		}
		close(w.done)
	}
}

// proposeWrite proposes a client's write on the leader (a reconfig runs
// beside the log).
func (s *Server) proposeWrite(entry []byte) raft.ApplyFuture {
	if f, ok := s.interceptReconfig(entry); ok {
		return f
	}
	return s.propose(entry, 0)
}

// heldFuture is the ApplyFuture of a held write for its own connection.
type heldFuture struct{ w *heldWrite }

func (f heldFuture) future() raft.ApplyFuture {
	<-f.w.done
	if f.w.f != nil {
		return f.w.f
	}
	return forwardFuture{f.w.call}
}

func (f heldFuture) Error() error          { return f.future().Error() }
func (f heldFuture) Index() uint64         { return f.future().Index() }
func (f heldFuture) Response() interface{} { return f.future().Response() }

// answer is what the forwarding member of a held write gets: the commit
// notice of the entry, from this server's proposal or the new leader's
// answer.
func (w *heldWrite) answer() ([]byte, error) {
	<-w.done
	if w.f == nil {
		if err := w.call.Wait(); err != nil {
			return nil, err
		}
		return w.call.Payload, nil
	}
	return proposalAnswer(w.f)
}

// proposalAnswer is a forwarding member's answer for a write proposed here.
func proposalAnswer(f raft.ApplyFuture) ([]byte, error) {
	err := f.Error()
	if errors.Is(err, raft.ErrNotLeader) {
		return nil, cluster.ErrNotLeader
	}
	if err != nil {
		return nil, err
	}
	return committedPayload(f), nil
}
