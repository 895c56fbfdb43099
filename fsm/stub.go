package fsm

// CONTRACT-STUB: placeholder bodies for the contract in api.go. The fsm
// implementation replaces this whole file; the signatures stay.

import (
	"io"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// FSM is the replicated state machine: the znode tree and the sessions table.
// It implements raft.FSM.
type FSM struct{}

// New makes an FSM holding the initial tree (/, /zookeeper, /zookeeper/quota,
// /zookeeper/config).
func New(opts Options) *FSM { return &FSM{} }

// OnApply sets the listener called inside Apply, after the entry's changes are
// visible to Read and while no Read can run, so that watch registration and
// watch triggering never interleave badly. It must not block for long.
func (f *FSM) OnApply(fn func(*Result)) {}

// Apply applies one committed raft entry and returns a *Result (nil for
// entries that produce none, such as EntryInit).
func (f *FSM) Apply(l *raft.Log) interface{} { return nil }

// Snapshot captures the state in O(1); persisting runs beside Apply.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) { return nil, nil }

// Restore replaces the state from a snapshot, verifying its checksum.
func (f *FSM) Restore(r io.ReadCloser) error { return nil }

// Read executes a read request (exists, getData, getChildren, getChildren2,
// getACL, getAllChildrenNumber, multiRead) against the current tree with the
// ACL checked against auth. If the request asks for a watch and ZooKeeper
// would set one, watch is called before Read returns while no Apply can run.
// It returns the response body, the zxid the reply header carries, and the
// error code.
func (f *FSM) Read(op protocol.OpCode, req protocol.Record, auth []protocol.Id, watch func(WatchKind, string)) (protocol.Record, int64, protocol.ErrCode) {
	return nil, 0, protocol.ErrUnimplemented
}

// LastZxid is the zxid of the last applied entry.
func (f *FSM) LastZxid() int64 { return 0 }

// Session looks up a live session.
func (f *FSM) Session(id int64) (Session, bool) { return Session{}, false }

// Sessions lists the live sessions, sorted by id.
func (f *FSM) Sessions() []Session { return nil }

// HasSecret reports whether the cluster secret has been set (EntryInit).
func (f *FSM) HasSecret() bool { return false }

// Password derives the 16-byte password of a session from the cluster secret.
func (f *FSM) Password(id int64) []byte { return nil }

// Ephemerals lists the ephemeral paths of a session under prefix, sorted.
func (f *FSM) Ephemerals(session int64, prefix string) []string { return nil }

// Stats returns tree counters.
func (f *FSM) Stats() TreeStats { return TreeStats{} }

// ReapCandidates lists up to max containers and TTL nodes due for deletion at
// time now (ms), for the leader to propose in an EntryReap.
func (f *FSM) ReapCandidates(now int64, max int) []string { return nil }

// EncodeRequest builds an EntryRequest.
func EncodeRequest(h *Header, body []byte) []byte { return nil }

// EncodeInit builds an EntryInit carrying the cluster secret.
func EncodeInit(secret []byte) []byte { return nil }

// EncodeExpire builds an EntryExpire.
func EncodeExpire(time int64, sessions []int64) []byte { return nil }

// EncodeReap builds an EntryReap.
func EncodeReap(time int64, paths []string) []byte { return nil }

// DigestID turns "user:password" into the digest scheme's id
// "user:base64(sha1(user:password))".
func DigestID(userPassword string) string { return "" }
