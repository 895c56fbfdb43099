package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/server/cluster"
)

// writeRoute is where a connection's in-flight writes went: the leader
// generation and, when forwarded, the forwarding connection. A session's
// writes may only go on while the route stays the same; a write that would
// take another route while earlier ones are in flight could apply before
// them (or without them), so the connection is dropped instead.
type writeRoute struct {
	leaderGen uint64
	fwdGen    uint64
}

var errRouteChanged = errors.New("server: the leader changed while writes were in flight")

// submit hands a connection's write to raft: proposed here on the leader,
// forwarded to the leader elsewhere. beginWrite has counted it already.
func (s *Server) submit(c *conn, entry []byte) raft.ApplyFuture {
	if s.ens == nil {
		return s.propose(entry, 0)
	}
	e := s.ens
	if w, ok := e.hold.hold(c, entry); ok {
		return heldFuture{w}
	}
	if r := c.releasedRoute.Load(); r != nil {
		c.route = *r
		c.releasedRoute.Store(nil)
	}
	earlier := c.outstanding() > 1
	r := writeRoute{leaderGen: e.leaderGen.Load()}
	if s.node.isLeader() {
		if earlier && c.route != r {
			return failedFuture{errRouteChanged}
		}
		c.route = r
		return s.proposeWrite(entry)
	}
	var must uint64
	if earlier {
		if c.route.fwdGen == 0 {
			return failedFuture{errRouteChanged}
		}
		must = c.route.fwdGen
	}
	s.stats.forwarded.Add(1)
	call := e.fwd.SendOn(must, cluster.KindWrite, entry)
	if call.Gen != 0 {
		c.route = writeRoute{fwdGen: call.Gen}
	}
	return forwardFuture{call}
}

// syncWithLeader brings this server up to the leader's commit at the time
// of the call: the leader names a zxid covering everything committed, and
// this server waits until it has applied that far. False means the leader
// could not be asked or the wait timed out (syncLimit ticks in all); the
// caller drops the connection (the client sees a connection loss and
// retries).
//
// A leader change fails a sync asked of the old leader, and one comes
// after every restart of the highest sid (ensemble_prefer.go), so a client
// that synced on a member that had just rejoined saw a connection loss.
// A sync is safe to repeat: it is asked again until the time is up.
func (s *Server) syncWithLeader() bool {
	deadline := time.Now().Add(s.opts.syncTimeout())
	for {
		target, err := s.leaderCommit(deadline)
		if err == nil {
			return s.ens.applies.waitUntil(func() bool { return s.fsm.LastZxid() >= target }, deadline)
		}
		if !syncRetryable(err) || time.Now().Add(syncRetryPause).After(deadline) {
			s.log.Info("sync with the leader failed", "err", err)
			return false
		}
		select {
		case <-s.quit:
			return false
		case <-time.After(syncRetryPause):
		}
	}
}

// syncRetryPause is the wait before a failed sync is asked again.
const syncRetryPause = 20 * time.Millisecond

var errSyncTimeout = errors.New("server: no answer to the sync in time")

// syncRetryable: the sync failed because leadership moved (the member
// asked no longer leads, or the connection to the old leader was retired),
// so the new leader is worth asking. Anything else ends the sync at once:
// no leader known (a member cut off stops as before), no answer in time,
// raft stopped.
func syncRetryable(err error) bool {
	return errors.Is(err, cluster.ErrNotLeader) || errors.Is(err, cluster.ErrConnLost)
}

// barrierErr maps raft's answers that leadership moved or is moving away
// during a barrier to cluster.ErrNotLeader: ask the new leader. Only for
// barriers, which change nothing; a write whose leadership was lost may
// still commit and must not be called "not the leader".
func barrierErr(err error) error {
	if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) ||
		errors.Is(err, raft.ErrLeadershipTransferInProgress) {
		return cluster.ErrNotLeader
	}
	return err
}

// leaderCommit asks the leader (this server, or the one forwarded to) for
// a zxid covering every committed write.
func (s *Server) leaderCommit(deadline time.Time) (int64, error) {
	if s.node.isLeader() {
		if err := s.node.raft.Barrier(time.Until(deadline)).Error(); err != nil {
			return 0, barrierErr(err)
		}
		return s.fsm.LastZxid(), nil
	}
	call := s.ens.fwd.Send(cluster.KindSync, nil)
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-call.Done():
	case <-t.C:
		return 0, errSyncTimeout
	}
	if call.Err != nil {
		return 0, call.Err
	}
	if len(call.Payload) != 8 {
		return 0, fmt.Errorf("server: a sync answer of %d bytes, want 8", len(call.Payload))
	}
	return int64(binary.BigEndian.Uint64(call.Payload)), nil
}

// touchReportLoop sends the leader, about every half tick, the sessions this
// follower's clients were heard from, so that the leader does not expire
// them.
func (s *Server) touchReportLoop() {
	defer s.wg.Done()
	period := max(s.opts.TickTime/2, 10*time.Millisecond)
	t := time.NewTicker(period)
	defer t.Stop()
	since := time.Now()
	for {
		select {
		case <-s.quit:
			return
		case now := <-t.C:
			if s.node.isLeader() {
				since = now
				continue
			}
			ids := s.sessions.touchedSince(since)
			if len(ids) == 0 {
				since = now
				continue
			}
			payload := make([]byte, 0, 8*len(ids))
			for _, id := range ids {
				payload = binary.BigEndian.AppendUint64(payload, uint64(id))
			}
			// Not waited for: a lost report is made up by the next one, as
			// long as the clients keep talking.
			if call := s.ens.fwd.Send(cluster.KindTouch, payload); call.Gen != 0 {
				since = now
			}
		}
	}
}

// touchedSince lists the sessions heard from after t.
func (t *sessionTracker) touchedSince(since time.Time) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	ns := since.UnixNano()
	for id, ls := range t.m {
		if ls.lastHeard.Load() >= ns {
			out = append(out, id)
		}
	}
	return out
}

// touchIDs renews sessions a follower reported.
func (t *sessionTracker) touchIDs(ids []int64, timeout func(int64) (time.Duration, bool), now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		ls := t.m[id]
		if ls == nil {
			d, ok := timeout(id)
			if !ok {
				continue
			}
			ls = &localSession{id: id}
			ls.timeout.Store(int64(d))
			t.m[id] = ls
		}
		ls.touch(now)
		ls.expiring = time.Time{}
	}
}

// forwardHandler is the leader's side of forwarding.
type forwardHandler Server

// Propose proposes a follower's write; the answer carries the committed
// entry's index and term (commitnotice.go).
func (h *forwardHandler) Propose(entry []byte) cluster.Outcome {
	s := (*Server)(h)
	if w, ok := s.ens.hold.hold(nil, entry); ok {
		return cluster.Outcome{Wait: w.answer}
	}
	if !s.node.isLeader() {
		return cluster.Outcome{Wait: func() ([]byte, error) { return nil, cluster.ErrNotLeader }, Settled: cluster.SettledNow}
	}
	f := s.proposeWrite(entry)
	o := cluster.Outcome{Wait: func() ([]byte, error) { return proposalAnswer(f) }}
	if sf, ok := f.(settler); ok {
		o.Settled = sf.settled()
	}
	return o
}

func (h *forwardHandler) Touch(ids []int64) {
	s := (*Server)(h)
	s.sessions.touchIDs(ids, func(id int64) (time.Duration, bool) {
		se, ok := s.fsm.Session(id)
		return time.Duration(se.Timeout) * time.Millisecond, ok
	}, time.Now())
}

func (h *forwardHandler) SyncZxid() (int64, error) {
	s := (*Server)(h)
	if !s.node.isLeader() {
		return 0, cluster.ErrNotLeader
	}
	// The barrier commits in this term and waits for everything before it
	// to apply here, so the zxid covers every write acknowledged anywhere
	// before the sync arrived.
	if err := s.node.raft.Barrier(s.opts.syncTimeout()).Error(); err != nil {
		return 0, barrierErr(err)
	}
	return s.fsm.LastZxid(), nil
}

// failedFuture is an ApplyFuture that failed before reaching raft.
type failedFuture struct{ err error }

func (f failedFuture) Error() error          { return f.err }
func (f failedFuture) Index() uint64         { return 0 }
func (f failedFuture) Response() interface{} { return nil }

// forwardFuture is the ApplyFuture of a forwarded write: it completes when
// the leader's apply future did. The reply to the client still comes from
// this server's own apply of the entry.
type forwardFuture struct{ c *cluster.Call }

func (f forwardFuture) Error() error          { return f.c.Wait() }
func (f forwardFuture) Index() uint64         { return 0 }
func (f forwardFuture) Response() interface{} { return nil }
