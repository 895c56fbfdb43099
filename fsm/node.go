package fsm

import (
	"math"

	"github.com/zkraft/zkraft/protocol"
)

// znode is one node of the tree. A znode is immutable once it is in a
// committed tree: every change builds a copy (clone) so that snapshots and
// readers holding an older root never see it change.
type znode struct {
	data  []byte
	acl   []protocol.ACL // shared between versions, never modified in place
	czxid int64
	mzxid int64
	pzxid int64
	ctime int64
	mtime int64
	// creates counts the children ever created under this node. ZooKeeper
	// keeps this count and shows cversion as 2*creates - numChildren (every
	// create is matched by a delete except for the children still there);
	// the sequential suffix is taken from creates, not from the visible
	// cversion.
	creates     int32
	version     int32
	aversion    int32
	numChildren int32
	owner       int64 // ephemeral owner as ZooKeeper stores it (session, container or TTL marker)
}

func (n *znode) clone() *znode {
	c := *n
	return &c
}

// stat is the Stat a client sees.
func (n *znode) stat() protocol.Stat {
	return protocol.Stat{
		Czxid:          n.czxid,
		Mzxid:          n.mzxid,
		Ctime:          n.ctime,
		Mtime:          n.mtime,
		Version:        n.version,
		Cversion:       n.creates*2 - n.numChildren,
		Aversion:       n.aversion,
		EphemeralOwner: n.sessionOwner(),
		DataLength:     int32(len(n.data)),
		NumChildren:    n.numChildren,
		Pzxid:          n.pzxid,
	}
}

// Owner encodings (ZooKeeper's EphemeralType). A container carries
// Long.MIN_VALUE; a TTL node carries 0xFF in its top byte, 0x0000 as the
// extended type and the TTL in its low 40 bits. Clients see 0 for both.
const (
	containerOwner int64 = math.MinInt64
	extendedMask   int64 = -0x0100000000000000 // 0xFF00000000000000
	ttlTypeMask    int64 = 0x00FFFF0000000000
	maxTTL         int64 = 0x000000FFFFFFFFFF
)

type nodeKind int

const (
	kindPersistent nodeKind = iota
	kindEphemeral
	kindContainer
	kindTTL
)

func kindOf(owner int64) nodeKind {
	switch {
	case owner == 0:
		return kindPersistent
	case owner == containerOwner:
		return kindContainer
	case owner&extendedMask == extendedMask:
		if owner&ttlTypeMask == 0 {
			return kindTTL
		}
		return kindPersistent // an extended type this version does not know
	}
	return kindEphemeral
}

func ttlOwner(ttl int64) int64 { return extendedMask | ttl }

func ttlOf(owner int64) int64 { return owner & maxTTL }

func (n *znode) kind() nodeKind { return kindOf(n.owner) }

// sessionOwner is the ephemeralOwner clients see: the session of a normal
// ephemeral, else 0.
func (n *znode) sessionOwner() int64 {
	if n.kind() == kindEphemeral {
		return n.owner
	}
	return 0
}

// dueForReap reports whether a container or TTL node may be deleted at time
// now (ms), with ZooKeeper's ContainerManager rules: a container once it had
// a child and has none left, a TTL node once it has no children and was not
// modified for longer than its TTL.
func (n *znode) dueForReap(now int64) bool {
	if n.numChildren != 0 {
		return false
	}
	switch n.kind() {
	case kindContainer:
		return n.creates > 0
	case kindTTL:
		ttl := ttlOf(n.owner)
		return ttl != 0 && now-n.mtime > ttl
	}
	return false
}
