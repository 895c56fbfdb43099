package server

import (
	"sync/atomic"
	"time"
)

// Leader contact. A member that lost touch with the leader (a partition, a
// dead leader) must not keep telling its clients that their sessions live:
// the leader on the other side stops hearing of them and expires them, which
// deletes their ephemerals and fires their watches, and a client still
// answered here would go on holding a lock someone else now holds, or reading
// a tree that no longer moves. ZooKeeper closes every client connection of a
// server that loses its leader (after syncLimit ticks). zkraft closes a
// connection once the member has been without leader contact for a third of
// that session's timeout: early enough that the session cannot have expired
// anywhere yet, so the client, told by the closed connection, moves to a
// member that still reaches the leader and keeps its session there.
//
// Why a third is early enough. With the leader on the other side, it expires
// the session a full timeout after the last touch report carrying it (sent
// every half tick); clients ping at least every half timeout, so that comes
// no sooner than half a timeout after contact was lost. A new leader first
// gives every session a whole fresh timeout. Meanwhile, a brief loss (an
// election, a leadership transfer) that ends within the third costs nobody
// a connection.
//
// Contact is raft's last contact from the leader, or the last moment this
// member led: raft steps a leader down at most one tick after it lost its
// quorum, and with the majority electing a new leader first, that tick is
// covered by the fresh timeout above.

// contactCheck is how often connections are checked against their limits.
const contactCheck = 50 * time.Millisecond

// contactState is the leader-contact bookkeeping of an ensemble member.
type contactState struct {
	ledAt atomic.Int64 // unix ns this member last saw itself leading
}

// leaderContact is when this member was last in contact with a leader.
func (s *Server) leaderContact(now time.Time) time.Time {
	if s.node.isLeader() {
		s.ens.contact.ledAt.Store(now.UnixNano())
		return now
	}
	t := s.node.raft.LastContact()
	if led := time.Unix(0, s.ens.contact.ledAt.Load()); led.After(t) {
		t = led
	}
	return t
}

// contactLimit is how long a member may go without leader contact before it
// closes a connection whose session times out after timeout.
func contactLimit(timeout time.Duration) time.Duration { return timeout / 3 }

// outOfContact reports whether a session of the given timeout may no
// longer be served here (standalone: never).
func (s *Server) outOfContact(timeout time.Duration, now time.Time) bool {
	if s.ens == nil {
		return false
	}
	return now.Sub(s.leaderContact(now)) >= contactLimit(timeout)
}

// contactLoop closes the connections whose sessions this member can no
// longer vouch for. Read-only connections stay: their clients asked for a
// server that may be cut off.
func (s *Server) contactLoop() {
	s.every(contactCheck, func(now time.Time) {
		lost := now.Sub(s.leaderContact(now))
		if lost < contactLimit(s.opts.MinSessionTimeout) {
			return
		}
		if n := s.closeOutOfContact(lost); n > 0 {
			s.log.Warn("no contact with the leader; closed client connections so their clients move to a member that has it",
				"without_contact", lost.Round(time.Millisecond), "closed_connections", n)
		}
	})
}

// closeOutOfContact closes the read-write connections whose sessions' limit
// lost has passed.
func (s *Server) closeOutOfContact(lost time.Duration) int {
	n := 0
	for _, c := range s.conns.list() {
		timeout := time.Duration(c.timeout.Load())
		if timeout == 0 || c.roConn.Load() || lost < contactLimit(timeout) {
			continue
		}
		c.close()
		n++
	}
	return n
}

// awaitLeader waits until a leader is known, at most d.
func (s *Server) awaitLeader(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if _, ok := s.leaderQuorumAddr(); ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-s.quit:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}
