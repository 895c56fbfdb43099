package server

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// Read-only mode (readonlymode.enabled), as ZooKeeper's
// ReadOnlyZooKeeperServer:
//
//   - A member is cut off when it has known no leader for max(2s, tickTime)
//     (ZooKeeper starts its read-only server after the same grace period in
//     the LOOKING state). Raft forgets the leader one heartbeat timeout after
//     the last contact, so a member alone notices in about 3s by default.
//   - While cut off it accepts connections whose connect request allows a
//     read-only server (the request's readOnly byte is true): the connect
//     response says readOnly=true. A new session is local to this server
//     (not in the log), as ZooKeeper's: clients that never saw a read-write
//     server reconnect with session 0 later anyway. A live global session
//     may resume here too. Other clients are refused, as without quorum.
//   - Reads are served from the local tree; writes and sync get NotReadOnly
//     (-119) in their place in the reply order; closeSession is answered and
//     the connection closed.
//   - isro answers "ro", srvr/mntr say Mode read-only, admin is_read_only is
//     true; isro is always in the 4lw whitelist when the mode is enabled.
//   - When a leader is known again (and the cluster secret exists) the
//     member leaves the mode and closes every read-only connection, so its
//     clients reconnect and get a read-write session, as ZooKeeper closes
//     them when the read-only server shuts down.

// readOnlyState tracks whether this member serves read-only.
type readOnlyState struct {
	active atomic.Bool
}

// readOnly reports whether the server is in read-only mode now.
func (s *Server) readOnly() bool { return s.ro.active.Load() }

// readOnlyGrace is how long a member must know no leader before it serves
// read-only.
func (s *Server) readOnlyGrace() time.Duration { return max(2*time.Second, s.opts.TickTime) }

// readOnlyLoop enters and leaves read-only mode. It runs only on an
// ensemble member with readonlymode.enabled.
func (s *Server) readOnlyLoop() {
	lastLeader := time.Now() // a start counts as contact: give the ensemble time to form
	s.every(50*time.Millisecond, func(now time.Time) {
		if _, known := s.leaderQuorumAddr(); known {
			lastLeader = now
		}
		switch {
		case s.serving():
			if s.ro.active.CompareAndSwap(true, false) {
				n := s.closeReadOnlyConns()
				s.log.Info("quorum regained; leaving read-only mode", "closed_connections", n)
			}
		case !s.readOnly() && now.Sub(lastLeader) >= s.readOnlyGrace():
			s.ro.active.Store(true)
			s.log.Warn("no leader; serving read-only", "since", lastLeader.Format(time.RFC3339Nano))
		}
	})
}

// closeReadOnlyConns closes the connections accepted in read-only mode.
func (s *Server) closeReadOnlyConns() int {
	n := 0
	for _, c := range s.conns.list() {
		if c.roConn.Load() {
			c.close()
			n++
		}
	}
	return n
}

// handshakeReadOnly accepts a connection while the member is cut off. The
// caller checked that the member is read-only and the client allows it.
func (c *conn) handshakeReadOnly(req *protocol.ConnectRequest) error {
	s := c.s
	if c.clientAhead(req) {
		return errClose
	}
	c.negotiateTimeout(req)
	c.roConn.Store(true)
	id := req.SessionID
	if id == 0 {
		id = s.sessions.newID(func(id int64) bool { _, ok := s.fsm.Session(id); return ok })
		c.roLocal.Store(true)
	} else if !c.validResume(req) {
		return errClose
	}
	c.attach(id, time.Now())
	s.log.Info("read-only session", "client", c.remote, "session", fmt.Sprintf("0x%x", id), "local", c.roLocal.Load())
	return nil
}

// handleReadOnlyWrite answers a write on a read-only connection:
// NotReadOnly, or for closeSession OK and the end of the connection.
func (c *conn) handleReadOnlyWrite(xid int32, op protocol.OpCode) error {
	if op == protocol.OpCloseSession {
		c.queueReply(xid, c.s.fsm.LastZxid(), protocol.ErrOK, nil)
		c.closeAfterFlush()
		return errClose
	}
	c.queueReply(xid, c.s.fsm.LastZxid(), protocol.ErrNotReadOnly, nil)
	return nil
}

// forgetReadOnly drops a local read-only session when its connection ends:
// nothing else knows it.
func (c *conn) forgetReadOnly() {
	if c.roLocal.Load() {
		c.s.sessions.remove(c.sessionID.Load())
	}
}
