package fsm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"

	"github.com/zkraft/zkraft/protocol"
)

// session is a row of the sessions table; rows are immutable like znodes.
type session struct {
	id         int64
	timeout    int32
	ephemerals int
	owner      int64 // the connection that owns it; 0 = not known (older entries)
}

func (s *session) export() Session {
	return Session{ID: s.id, Timeout: s.timeout, Ephemerals: s.ephemerals}
}

// password is the first 16 bytes of HMAC-SHA256(secret, id): any server that
// holds the replicated secret can check a reconnecting client's password.
func password(secret []byte, id int64) []byte {
	if len(secret) == 0 {
		return nil
	}
	m := hmac.New(sha256.New, secret)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	m.Write(b[:])
	return m.Sum(nil)[:16]
}

// ValidSessionID reports whether id can name a session: ephemeral owners share
// their encoding with containers (Long.MIN_VALUE) and ZooKeeper's extended
// types (top byte 0xFF), so those ids and 0 are refused, as ZooKeeper refuses
// server id 255 in its session ids.
func ValidSessionID(id int64) bool {
	return kindOf(id) == kindEphemeral
}

// applyCreateSession adds a session with the id the proposer chose; a
// duplicate or unusable id is BadArguments.
func (t *tx) applyCreateSession(id, owner int64, body *CreateSessionBody) protocol.ErrCode {
	if !ValidSessionID(id) {
		return protocol.ErrBadArguments
	}
	if _, ok := t.sessions.Get(sessionKey(id)); ok {
		return protocol.ErrBadArguments
	}
	t.sessions.Insert(sessionKey(id), &session{id: id, timeout: body.Timeout, owner: owner})
	return protocol.ErrOK
}

// checkOwner applies an OpMoveSession (the session changes owner) and
// refuses a write through a connection that no longer owns the session:
// SessionMoved, as ZooKeeper answers a session's old server after it
// reconnected elsewhere. Entries or sessions without an owner are not
// checked.
func (t *tx) checkOwner(row *session, h *Header) protocol.ErrCode {
	if h.Owner == 0 {
		return protocol.ErrOK
	}
	if h.Op == OpMoveSession {
		if row.owner != h.Owner {
			moved := *row
			moved.owner = h.Owner
			t.sessions.Insert(sessionKey(row.id), &moved)
		}
		return protocol.ErrOK
	}
	if row.owner != 0 && row.owner != h.Owner {
		return protocol.ErrSessionMoved
	}
	return protocol.ErrOK
}

// closeSession removes a live session and deletes its ephemerals, in sorted
// path order, so every replica emits the same events in the same order. It
// reports whether the session was live.
func (t *tx) closeSession(id int64) bool {
	if _, ok := t.sessions.Get(sessionKey(id)); !ok {
		return false
	}
	var paths []string
	prefix := sessionKey(id)
	it := t.ephemerals.Root().Iterator()
	it.SeekPrefix(prefix)
	for k, _, ok := it.Next(); ok; k, _, ok = it.Next() {
		paths = append(paths, string(k[len(prefix):]))
	}
	for _, p := range paths {
		if n, ok := t.get(p); ok {
			t.removeNode(p, n)
		}
	}
	t.sessions.Delete(sessionKey(id))
	return true
}

// ephemeralsOf lists the ephemerals of a session under prefix, sorted.
func (s *state) ephemeralsOf(id int64, prefix string) []string {
	k := ephemeralKey(id, prefix)
	out := []string{}
	it := s.ephemerals.Root().Iterator()
	it.SeekPrefix(k)
	for key, _, ok := it.Next(); ok; key, _, ok = it.Next() {
		out = append(out, string(key[8:]))
	}
	return out
}

func (s *state) sessionList() []Session {
	out := make([]Session, 0, s.sessions.Len())
	it := s.sessions.Root().Iterator()
	for _, v, ok := it.Next(); ok; _, v, ok = it.Next() {
		out = append(out, v.export())
	}
	return out
}

// Encode writes the body of a createSession entry (a jute int).
func (b *CreateSessionBody) Encode(e *protocol.Encoder) { e.Int(b.Timeout) }

// Decode reads the body of a createSession entry.
func (b *CreateSessionBody) Decode(d *protocol.Decoder) { b.Timeout = d.Int() }
