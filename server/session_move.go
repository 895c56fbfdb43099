package server

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/zkraft/zkraft/fsm"
)

// SessionMoved. ZooKeeper's leader remembers which server owns each session
// and refuses requests that reach it through another one: after a client
// reconnected elsewhere, its old connection (still open on the old server,
// say behind a half-dead network path) must not change anything.
//
// zkraft records the owner in the replicated state instead, so the check is
// part of the deterministic Apply: every request entry names the connection
// that proposed it (a random 63-bit owner per connection, stamped before
// proposal), createSession sets the session's owner, and a resume in an
// ensemble proposes an OpMoveSession entry from the new connection before
// the connect response is sent. A write whose owner is not the session's is
// answered SessionMoved (-118) in its place in the old connection's reply
// order. The move entry goes the same route as the connection's later
// writes, so they apply after it; writes of the old connection that apply
// before it were sent before the move and stand.
//
// A standalone server stamps no owner and proposes no move (its entries stay
// plain EntryRequests): a resume there closes the old connection
// (sessionTracker.attach), so no other connection of the session can write.
// Entries of older logs carry no owner either and are not checked.

// newOwner returns a random non-zero owner id.
func newOwner() int64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if v := int64(binary.BigEndian.Uint64(b[:]) >> 1); v != 0 {
			return v
		}
	}
}

// moveSession makes this connection the owner of a resumed session. In an
// ensemble it is proposed like a write, not waited for: later writes of the
// connection follow it in the log.
func (c *conn) moveSession(id int64, now time.Time) {
	if c.s.ens == nil {
		return
	}
	h := fsm.Header{SessionID: id, Op: fsm.OpMoveSession, Time: now.UnixMilli(), Owner: c.owner}
	c.propose(id, 0, fsm.OpMoveSession, fsm.EncodeRequest(&h, nil), now)
}
