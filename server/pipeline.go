package server

import (
	"sync"
	"time"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// The pipeline. A connection's reader handles its requests strictly in
// order: a write is proposed to raft at once (many may be in flight); any
// other request first waits until every earlier write of the connection has
// applied. A write's reply is queued by onApply, inside raft's apply of its
// entry, right after the watch events of that entry; a read's reply is queued
// while the read still holds the state lock. So replies leave in request
// order, and every watch event precedes any reply that reflects a later
// state.

// isWrite reports whether op goes through raft.
func isWrite(op protocol.OpCode) bool {
	switch op {
	case protocol.OpCreate, protocol.OpCreate2, protocol.OpCreateContainer, protocol.OpCreateTTL,
		protocol.OpDelete, protocol.OpDeleteContainer, protocol.OpSetData, protocol.OpSetACL,
		protocol.OpMulti, protocol.OpReconfig, protocol.OpCheck, protocol.OpCloseSession:
		return true
	}
	return false
}

// isTreeRead reports whether op is answered by fsm.Read.
func isTreeRead(op protocol.OpCode) bool {
	switch op {
	case protocol.OpExists, protocol.OpGetData, protocol.OpGetACL, protocol.OpGetChildren,
		protocol.OpGetChildren2, protocol.OpGetAllChildrenNumber, protocol.OpMultiRead:
		return true
	}
	return false
}

// decodedByHandle reports whether handle decodes op's body itself (auth,
// setWatches and sasl have handlers of their own).
func decodedByHandle(op protocol.OpCode) bool {
	switch op {
	case protocol.OpAddWatch, protocol.OpCheckWatches, protocol.OpRemoveWatches,
		protocol.OpSync, protocol.OpGetEphemerals:
		return true
	}
	return isTreeRead(op)
}

// handle runs one request. An error closes the connection.
func (c *conn) handle(xid int32, op protocol.OpCode, body []byte, now time.Time) error {
	c.stats.lastOp.Store(int32(op))
	if c.roConn.Load() && (isWrite(op) || op == protocol.OpSync) {
		return c.handleReadOnlyWrite(xid, op)
	}
	if op == protocol.OpReconfig {
		// The leader answers a reconfig beside the log (reconfig.go): later
		// requests wait for it so that they cannot overtake it.
		if err := c.proposeRequest(xid, op, body, now); err != nil {
			return err
		}
		if !c.waitWrites() {
			return errClose
		}
		return nil
	}
	if isWrite(op) {
		return c.proposeRequest(xid, op, body, now)
	}
	if !c.waitWrites() {
		return errClose
	}
	var req protocol.Record
	if decodedByHandle(op) {
		r, err := protocol.DecodeRequest(op, body)
		if err != nil {
			return c.refuseUndecodable(xid, op, err)
		}
		req = r
	}
	s := c.s
	switch {
	case isTreeRead(op):
		s.stateMu.RLock()
		resp, zxid, code := s.fsm.Read(op, req, c.auth, c.watchFn)
		c.queueReply(xid, zxid, code, resp)
		s.stateMu.RUnlock()
		s.stats.observe(op, now, false)
		c.stats.observe(now)
		return nil
	case op == protocol.OpPing:
		c.queueReply(xid, s.fsm.LastZxid(), protocol.ErrOK, nil)
		return nil
	case op == protocol.OpAuth:
		return c.handleAuth(xid, body)
	case op == protocol.OpSetWatches || op == protocol.OpSetWatches2:
		return c.handleSetWatches(xid, op, body)
	case op == protocol.OpAddWatch:
		aw := req.(*protocol.AddWatchRequest)
		code := protocol.ErrOK
		// ZooKeeper fails to map an unknown mode or watcher type and
		// answers MarshallingError, as for any exception in its final
		// request processor.
		if aw.Mode != protocol.AddWatchPersistent && aw.Mode != protocol.AddWatchPersistentRecursive {
			code = protocol.ErrMarshallingError
		} else {
			s.stateMu.RLock()
			s.watches.addPersistent(c, aw.Path, aw.Mode == protocol.AddWatchPersistentRecursive)
			s.stateMu.RUnlock()
		}
		// ZooKeeper answers addWatch with an ErrorResponse body holding 0.
		c.queueReply(xid, s.fsm.LastZxid(), code, &protocol.ErrorResponse{})
	case op == protocol.OpCheckWatches || op == protocol.OpRemoveWatches:
		wr := req.(*protocol.WatchesRequest)
		code := protocol.ErrOK
		if wr.Type < protocol.WatcherChildren || wr.Type > protocol.WatcherPersistentRecursive {
			code = protocol.ErrMarshallingError
		} else if !s.watches.remove(c, wr.Path, wr.Type, op == protocol.OpCheckWatches) {
			code = protocol.ErrNoWatcher
		}
		c.queueReply(xid, s.fsm.LastZxid(), code, nil)
	case op == protocol.OpSync:
		// Standalone: this server leads, and the connection's earlier writes
		// have applied, so the local tree is as fresh as the leader's.
		// An ensemble member first catches up with the leader.
		if s.ens != nil && !s.syncWithLeader() {
			return errClose
		}
		path := req.(*protocol.PathRequest).Path
		c.queueReply(xid, s.fsm.LastZxid(), protocol.ErrOK, &protocol.PathResponse{Path: path})
	case op == protocol.OpGetEphemerals:
		prefix := req.(*protocol.PathRequest).Path
		s.stateMu.RLock()
		eph := s.fsm.Ephemerals(c.sessionID.Load(), prefix)
		if eph == nil {
			eph = []string{}
		}
		c.queueReply(xid, s.fsm.LastZxid(), protocol.ErrOK, &protocol.GetEphemeralsResponse{Ephemerals: eph})
		s.stateMu.RUnlock()
	case op == protocol.OpWhoAmI:
		c.queueReply(xid, s.fsm.LastZxid(), protocol.ErrOK, &protocol.WhoAmIResponse{ClientInfo: c.clientInfo()})
	case op == protocol.OpSASL:
		return c.handleSASL(xid)
	default:
		// ZooKeeper answers an unknown op with Unimplemented and zxid -1,
		// then closes the connection.
		c.queueReply(xid, -1, protocol.ErrUnimplemented, nil)
		c.closeAfterFlush()
		return errClose
	}
	s.stats.observe(op, now, false)
	c.stats.observe(now)
	return nil
}

// refuseUndecodable answers a request whose body does not decode with
// MarshallingError, in its place in the reply order, and keeps the
// connection open, as ZooKeeper does.
func (c *conn) refuseUndecodable(xid int32, op protocol.OpCode, err error) error {
	if !c.waitWrites() {
		return errClose
	}
	c.s.log.Debug("undecodable request body", "client", c.remote, "op", op, "err", err)
	c.queueReply(xid, c.s.fsm.LastZxid(), protocol.ErrMarshallingError, nil)
	return nil
}

// proposeRequest checks that body decodes (nothing undecodable enters the
// log) and proposes it without waiting.
func (c *conn) proposeRequest(xid int32, op protocol.OpCode, body []byte, now time.Time) error {
	if op != protocol.OpCloseSession {
		if _, err := protocol.DecodeRequest(op, body); err != nil {
			return c.refuseUndecodable(xid, op, err)
		}
	}
	h := fsm.Header{SessionID: c.sessionID.Load(), Cxid: xid, Op: op, Time: now.UnixMilli(), Auth: c.auth, Owner: c.owner}
	c.propose(h.SessionID, xid, op, fsm.EncodeRequest(&h, body), now)
	return nil
}

// propose registers the write as pending for its session and hands it to
// raft. Raft keeps the order of proposals, so the session's writes apply in
// the order they were registered.
func (c *conn) propose(session int64, xid int32, op protocol.OpCode, entry []byte, now time.Time) {
	c.beginWrite()
	s := c.s
	s.pending.push(session, pendingWrite{c: c, xid: xid, op: op, start: now})
	f := s.submit(c, entry)
	s.futures.watch(f, c)
}

// pendingWrite is a proposed write awaiting its apply.
type pendingWrite struct {
	c     *conn
	xid   int32
	op    protocol.OpCode
	start time.Time
}

// writeQueue holds one session's pending writes in proposal order.
type writeQueue struct {
	q    []pendingWrite
	head int
}

// pendingWrites maps session ids to their pending writes. Keyed by session
// rather than connection, because a result names only the session: a write
// proposed by a connection that has since been replaced still finds its
// (closed) connection and is dropped there.
type pendingWrites struct {
	mu sync.Mutex
	m  map[int64]*writeQueue
}

func (p *pendingWrites) push(session int64, w pendingWrite) {
	p.mu.Lock()
	q := p.m[session]
	if q == nil {
		q = &writeQueue{}
		p.m[session] = q
	}
	if q.head == len(q.q) {
		q.q, q.head = q.q[:0], 0
	}
	q.q = append(q.q, w)
	p.mu.Unlock()
}

// pop takes the pending write a result belongs to. Writes apply in proposal
// order, so it is normally the head; heads before it were lost by raft
// (their proposal failed) and are dropped. A result that matches no pending
// write was proposed through another server (in an ensemble, an earlier
// write of a session that has since moved here) and leaves the queue alone.
func (p *pendingWrites) pop(session int64, cxid int32, op protocol.OpCode) (pendingWrite, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.m[session]
	if q == nil {
		return pendingWrite{}, false
	}
	k := q.head
	for k < len(q.q) && (q.q[k].xid != cxid || q.q[k].op != op) {
		k++
	}
	if k == len(q.q) {
		return pendingWrite{}, false
	}
	for ; q.head < k; q.head++ {
		q.q[q.head].c.endWrite()
		q.q[q.head] = pendingWrite{}
	}
	w := q.q[k]
	q.q[k] = pendingWrite{}
	q.head++
	return w, true
}

func (p *pendingWrites) drop(session int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if q := p.m[session]; q != nil && q.head == len(q.q) {
		delete(p.m, session)
	}
}

// onApply is the fsm's listener: it runs inside raft's apply of each entry,
// holding stateMu for writing. Watch events first, then the reply to the
// request's own connection, then the end of sessions the entry closed.
func (s *Server) onApply(r *fsm.Result) {
	if len(r.Events) > 0 {
		s.watches.trigger(r.Events, r.Zxid)
	}
	if w, ok := s.pending.pop(r.SessionID, r.Cxid, r.Op); ok {
		switch r.Op {
		case fsm.OpMoveSession:
			// Nothing to answer: the connect response went out already.
			w.c.endWrite()
		case protocol.OpCreateSession:
			w.c.sessionCreated(r)
			w.c.endWrite()
		default:
			// Counted, and no longer outstanding, before the writer can
			// send the reply: a client that reads it and then asks for
			// mntr or /metrics sees its request. endWrite inside outMu
			// (wmu is a leaf lock) also keeps a read or ping that waited
			// for this write from queueing its reply first.
			s.stats.observe(r.Op, w.start, true)
			w.c.stats.observe(w.start)
			w.c.outMu.Lock()
			w.c.appendReplyLocked(w.xid, r.Zxid, r.Err, r.Resp)
			w.c.endWrite()
			w.c.outMu.Unlock()
		}
	}
	for _, id := range r.Closed {
		s.sessionEnded(id)
	}
	if r.Op == protocol.OpReconfig && r.Err == protocol.ErrOK {
		s.configApplied(r)
	}
}

// sessionEnded forgets a closed or expired session and closes its
// connection once the connection's queued replies are written.
func (s *Server) sessionEnded(id int64) {
	if c := s.sessions.remove(id); c != nil {
		c.closeAfterFlush()
	}
	s.pending.drop(id)
}
