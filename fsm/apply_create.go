package fsm

import (
	"fmt"
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// createArgs is a create of any flavour (create, create2, createContainer,
// createTTL) after decoding.
type createArgs struct {
	op    protocol.OpCode
	path  string
	data  []byte
	acl   []protocol.ACL
	flags int32
	ttl   int64 // -1 when the request carries none
}

func createArgsOf(op protocol.OpCode, req protocol.Record) (createArgs, bool) {
	switch r := req.(type) {
	case *protocol.CreateRequest:
		return createArgs{op: op, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: -1}, true
	case *protocol.CreateTTLRequest:
		return createArgs{op: op, path: r.Path, data: r.Data, acl: r.ACL, flags: r.Flags, ttl: r.TTL}, true
	}
	return createArgs{}, false
}

type createMode struct {
	ephemeral, sequential, container, ttl bool
}

func modeOf(flags int32) (createMode, bool) {
	switch flags {
	case protocol.ModePersistent:
		return createMode{}, true
	case protocol.ModeEphemeral:
		return createMode{ephemeral: true}, true
	case protocol.ModePersistentSequential:
		return createMode{sequential: true}, true
	case protocol.ModeEphemeralSequential:
		return createMode{ephemeral: true, sequential: true}, true
	case protocol.ModeContainer:
		return createMode{container: true}, true
	case protocol.ModePersistentWithTTL:
		return createMode{ttl: true}, true
	case protocol.ModePersistentSequentialWithTTL:
		return createMode{ttl: true, sequential: true}, true
	}
	return createMode{}, false
}

// create applies one create in ZooKeeper 3.8's order of checks: mode and
// TTL, a '/' and no NUL in the path, ACL, parent, CREATE permission on the
// parent, sequential name, the full path rules, existence, ephemeral parent,
// quota. So "/a//b" is NoNode (its parent "/a/" is missing) while "/a/" is
// BadArguments, as in ZooKeeper. The kind of node follows the op, not the
// flags: createContainer always makes a container (even with flags 0), a
// plain create with the container flag makes a persistent node.
func (t *tx) create(sessionID int64, a createArgs) (string, *znode, protocol.ErrCode) {
	mode, ok := modeOf(a.flags)
	if !ok {
		return "", nil, protocol.ErrBadArguments
	}
	if mode.ttl && !t.opts.ExtendedTypes {
		return "", nil, protocol.ErrUnimplemented
	}
	if mode.ttl {
		if a.ttl <= 0 || a.ttl > maxTTL {
			return "", nil, protocol.ErrBadArguments
		}
	} else if a.ttl >= 0 || a.op == protocol.OpCreateTTL {
		return "", nil, protocol.ErrBadArguments // a TTL goes with a TTL mode only
	}
	if !strings.Contains(a.path, "/") || strings.IndexByte(a.path, 0) >= 0 {
		return "", nil, protocol.ErrBadArguments
	}
	acl, ok := fixupACL(a.acl, t.auth)
	if !ok {
		return "", nil, protocol.ErrInvalidACL
	}
	parentPath, _ := parentOf(a.path)
	parent, ok := t.get(parentPath)
	if !ok {
		return "", nil, protocol.ErrNoNode
	}
	if !allowed(parent.acl, protocol.PermCreate, t.auth) {
		return "", nil, protocol.ErrNoAuth
	}
	path := a.path
	if mode.sequential {
		path += fmt.Sprintf("%010d", parent.creates)
	}
	if protocol.ValidatePath(path, false) != nil {
		return "", nil, protocol.ErrBadArguments
	}
	if _, exists := t.get(path); exists {
		return "", nil, protocol.ErrNodeExists
	}
	if parent.kind() == kindEphemeral {
		return "", nil, protocol.ErrNoChildrenForEphemerals
	}
	if code := t.checkQuota(path, 1, int64(len(a.data))); code != protocol.ErrOK {
		return "", nil, code
	}
	var owner int64
	switch {
	case a.op == protocol.OpCreateContainer:
		owner = containerOwner
	case a.op == protocol.OpCreateTTL:
		owner = ttlOwner(a.ttl)
	case mode.ephemeral:
		if _, live := t.sessions.Get(sessionKey(sessionID)); !live {
			return "", nil, protocol.ErrSessionExpired
		}
		owner = sessionID
	}
	// Null data stays null (zkCli prints "null"), as in ZooKeeper.
	n := &znode{
		data:  a.data,
		acl:   acl,
		czxid: t.zxid, mzxid: t.zxid, pzxid: t.zxid,
		ctime: t.now, mtime: t.now,
		owner: owner,
	}
	t.addNode(path, n)
	n, _ = t.get(path) // a new quota stats node may have been rewritten
	return path, n, protocol.ErrOK
}

// multiCreateOp is the op a create inside a multi really is: ZooKeeper
// rebuilds each create of a multi from its flags, so a TTL mode makes a
// createTTL, the container mode a createContainer, anything else a create.
func multiCreateOp(a createArgs) createArgs {
	mode, ok := modeOf(a.flags)
	switch {
	case !ok:
	case mode.ttl:
		a.op = protocol.OpCreateTTL
	case mode.container:
		a.op = protocol.OpCreateContainer
	default:
		a.op, a.ttl = protocol.OpCreate, -1
	}
	return a
}

// createResponse is the reply body of a standalone create op.
func createResponse(op protocol.OpCode, path string, n *znode) protocol.Record {
	if op == protocol.OpCreate {
		return &protocol.CreateResponse{Path: path}
	}
	return &protocol.Create2Response{Path: path, Stat: n.stat()}
}

// multiCreateResult is the per-op result of a create inside a multi: ZooKeeper
// answers containers and TTL nodes as create2 with a stat and every other
// mode as create with the path only, whatever the op header said.
func multiCreateResult(path string, n *znode) protocol.MultiResult {
	switch n.kind() {
	case kindContainer, kindTTL:
		return protocol.MultiResult{Op: protocol.OpCreate2, Resp: &protocol.Create2Response{Path: path, Stat: n.stat()}}
	}
	return protocol.MultiResult{Op: protocol.OpCreate, Resp: &protocol.CreateResponse{Path: path}}
}
