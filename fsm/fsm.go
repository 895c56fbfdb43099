package fsm

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// FSM is the replicated state machine: the znode tree and the sessions table.
// It implements raft.FSM as a thin adapter: the work is done by state.apply
// and state.read on immutable states, which tests drive without raft.
//
// Concurrency: cur always points at a complete, immutable state. Apply builds
// the next state without any lock, then swaps it in and calls the listener
// under mu's write lock; Read runs under mu's read lock from the state it
// loaded. A watch registered by a Read therefore either sees a change's state
// or is registered before the listener hears of that change.
type FSM struct {
	opts     Options
	mu       sync.RWMutex
	cur      atomic.Pointer[state]
	listener func(*Result)
}

// New makes an FSM holding the initial tree (/, /zookeeper, /zookeeper/quota,
// /zookeeper/config).
func New(opts Options) *FSM {
	f := &FSM{opts: opts}
	f.cur.Store(initialState())
	return f
}

// OnApply sets the listener called inside Apply, after the entry's changes are
// visible to Read and while no Read can run, so that watch registration and
// watch triggering never interleave badly. It must not block for long.
func (f *FSM) OnApply(fn func(*Result)) {
	f.mu.Lock()
	f.listener = fn
	f.mu.Unlock()
}

// Apply applies one committed raft entry and returns a *Result (nil for
// entries that produce none, such as EntryInit). The zxid is the entry's
// term<<32 | index. An entry that cannot be decoded panics: skipping it would
// let this replica diverge from the others.
func (f *FSM) Apply(l *raft.Log) interface{} {
	zxid := Zxid(l.Term, l.Index)
	next, res := f.cur.Load().apply(&f.opts, l.Data, zxid)
	f.mu.Lock()
	f.cur.Store(next)
	if res != nil && f.listener != nil {
		f.listener(res)
	}
	f.mu.Unlock()
	if res == nil {
		return nil
	}
	return res
}

// Zxid is the ZooKeeper transaction id of a raft entry.
func Zxid(term, index uint64) int64 {
	return int64(term<<32 | index&0xffffffff)
}

// Snapshot captures the state in O(1); persisting runs beside Apply.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{s: f.cur.Load()}, nil
}

// Restore replaces the state from a snapshot, verifying its checksum. A
// snapshot that fails any check leaves the state as it was.
func (f *FSM) Restore(r io.ReadCloser) error {
	defer r.Close()
	s, err := readSnapshot(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.cur.Store(s)
	f.mu.Unlock()
	return nil
}

// Read executes a read request (exists, getData, getChildren, getChildren2,
// getACL, getAllChildrenNumber, multiRead) against the current tree with the
// ACL checked against auth. If the request asks for a watch and ZooKeeper
// would set one, watch is called before Read returns while no Apply can run.
// It returns the response body, the zxid the reply header carries, and the
// error code.
func (f *FSM) Read(op protocol.OpCode, req protocol.Record, auth []protocol.Id, watch func(WatchKind, string)) (protocol.Record, int64, protocol.ErrCode) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.cur.Load()
	resp, code := s.read(op, req, auth, watch)
	return resp, s.lastZxid, code
}

// LastZxid is the zxid of the last applied entry.
func (f *FSM) LastZxid() int64 { return f.cur.Load().lastZxid }

// Session looks up a live session.
func (f *FSM) Session(id int64) (Session, bool) {
	s, ok := f.cur.Load().sessions.Get(sessionKey(id))
	if !ok {
		return Session{}, false
	}
	return s.export(), true
}

// Sessions lists the live sessions, sorted by id.
func (f *FSM) Sessions() []Session { return f.cur.Load().sessionList() }

// HasSecret reports whether the cluster secret has been set (EntryInit).
func (f *FSM) HasSecret() bool { return len(f.cur.Load().secret) > 0 }

// Password derives the 16-byte password of a session from the cluster secret
// (nil before the secret is set).
func (f *FSM) Password(id int64) []byte { return password(f.cur.Load().secret, id) }

// Ephemerals lists the ephemeral paths of a session under prefix (a string
// prefix, as ZooKeeper's getEphemerals), sorted.
func (f *FSM) Ephemerals(session int64, prefix string) []string {
	return f.cur.Load().ephemeralsOf(session, prefix)
}

// Stats returns tree counters.
func (f *FSM) Stats() TreeStats {
	s := f.cur.Load()
	return TreeStats{
		Nodes:      s.nodes.Len(),
		DataSize:   s.dataSize,
		Ephemerals: s.ephCount,
		Sessions:   s.sessions.Len(),
		LastZxid:   s.lastZxid,
	}
}

// ReapCandidates lists up to max containers and TTL nodes due for deletion at
// time now (ms), for the leader to propose in an EntryReap.
func (f *FSM) ReapCandidates(now int64, max int) []string {
	return f.cur.Load().reapCandidates(now, max)
}
