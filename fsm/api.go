package fsm

// This file is the contract between fsm and its users (server, cmd). The
// bodies marked CONTRACT-STUB are placeholders to be replaced by the real
// implementation; signatures change only by agreement.

import (
	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// Entry types: the first byte of every raft log entry zkraft writes. The high
// bit marks an entry older servers may skip (as consul does).
const (
	EntryRequest byte = 1 // Header + raw jute body of a client write
	EntryInit    byte = 2 // the cluster secret, proposed once by the first leader; empty, a new leader's epoch start
	EntryExpire  byte = 3 // sessions the leader expired
	EntryReap    byte = 4 // containers and TTL nodes the leader found due
	EntryConfig  byte = 5 // a new ensemble configuration for /zookeeper/config (or a refused reconfig)
	// EntryRequestOwned is an EntryRequest whose header ends with the
	// owner (the proposing connection): Apply refuses a write of a session
	// through a connection that no longer owns it (SessionMoved). Plain
	// EntryRequests (older logs) carry no owner and are not checked.
	EntryRequestOwned byte = 6
	// EntryRestore replaces the tree with a zkraft snapshot's (the
	// AdminServer's restore command); see restore.go.
	EntryRestore   byte = 7
	EntryIgnorable byte = 0x80 // flag: unknown entries with this bit are skipped
)

// Header precedes the request body in an EntryRequest. Everything Apply needs
// that is not in the tree is stamped here before proposal.
//
// Every write from a SessionID that is not live fails with SessionExpired;
// SessionID 0 stands for the server itself and is not checked.
type Header struct {
	SessionID int64
	Cxid      int32
	Op        protocol.OpCode
	Time      int64         // ms since the Unix epoch, stamped by the proposer
	Auth      []protocol.Id // identities of the connection (world/anyone is implied)
	// Owner names the client connection that proposed the entry; 0 = none
	// (EntryRequest). A session's owner is set by its createSession and by
	// OpMoveSession; a write with another non-zero owner is SessionMoved,
	// as ZooKeeper's leader refuses requests of a session that reconnected
	// elsewhere.
	Owner int64
}

// OpMoveSession is zkraft's own op of an owned request entry: the session
// is now owned by Header.Owner (its client reconnected through another
// connection). It has no body and no client sees a reply.
const OpMoveSession protocol.OpCode = -200

// CreateSessionBody is the body of an EntryRequest with Op OpCreateSession
// (jute: one int; protocol.Marshal encodes it). The proposer chooses the
// session id (Header.SessionID) as ZooKeeper's session tracker does; Apply
// refuses a duplicate and an id ValidSessionID rejects (BadArguments).
type CreateSessionBody struct {
	Timeout int32 // negotiated timeout, ms
}

// Event is one watch trigger produced by Apply.
type Event struct {
	Type protocol.EventType // NodeCreated, NodeDeleted, NodeDataChanged, NodeChildrenChanged
	Path string
	// ACL of the node the event is about (the parent's for
	// NodeChildrenChanged). A watcher without READ on it is not told, as
	// ZooKeeper 3.8.4+/3.9.2+ do since CVE-2024-23944.
	ACL []protocol.ACL
}

// Result is what applying one entry produced. Apply returns it (raft's
// ApplyFuture.Response) and hands it to the listener.
type Result struct {
	SessionID int64
	Cxid      int32
	Op        protocol.OpCode
	Zxid      int64
	Err       protocol.ErrCode
	Resp      protocol.Record // response body; nil when the op has none or failed
	Events    []Event         // watch triggers, in order of the changes
	Closed    []int64         // sessions that ended in this entry (close or expiry)
}

// WatchKind is the kind of one-shot watch a read registers.
type WatchKind int

const (
	WatchData  WatchKind = iota // getData, or exists on an existing node
	WatchExist                  // exists on a missing node
	WatchChild                  // getChildren / getChildren2
)

// Session is a row of the sessions table.
type Session struct {
	ID         int64
	Timeout    int32 // ms
	Ephemerals int
}

// Options are the FSM's settings, taken from zoo.cfg.
type Options struct {
	SuperDigest   string // "super:<base64 sha1>" from DigestAuthenticationProvider.superDigest
	ExtendedTypes bool   // extendedTypesEnabled: TTL nodes allowed
	EnforceQuota  bool   // zookeeper.enforceQuota
}

// TreeStats are counters for four-letter words and metrics.
type TreeStats struct {
	// Nodes counts the znodes. ZooKeeper's "Node count" (srvr) and
	// zk_znode_count (mntr) show one more: its node table holds the root
	// under both "" and "/" (a fresh 3.8 server reports 5 for 4 nodes).
	Nodes      int
	DataSize   int64 // sum of data lengths and path lengths, as ZooKeeper's approximateDataSize
	Ephemerals int
	Sessions   int
	LastZxid   int64
}

var _ raft.FSM = (*FSM)(nil)
