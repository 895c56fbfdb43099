package fsm

import (
	"fmt"
	"io"
	"slices"

	iradix "github.com/hashicorp/go-immutable-radix/v2"

	"github.com/zkraft/zkraft/protocol"
)

// Image is a whole tree as plain values: what backup, import and export
// tools convert between zkraft snapshots and other formats (ZooKeeper's
// snapshot files) without reaching into the FSM's internals.
type Image struct {
	LastZxid int64
	Secret   []byte    // the cluster secret; empty when the tree comes from elsewhere
	Sessions []Session // ID and Timeout; Ephemerals is derived
	// Nodes holds "/" first and every parent before its children.
	Nodes []ImageNode
}

// ImageNode is one znode with everything a snapshot keeps of it.
type ImageNode struct {
	Path                              string
	Data                              []byte
	ACL                               []protocol.ACL
	Czxid, Mzxid, Pzxid, Ctime, Mtime int64
	Version, Aversion                 int32
	// Cversion is the persisted form: children ever created, as in
	// ZooKeeper's StatPersisted. Clients see 2*Cversion - numChildren.
	Cversion int32
	// Owner is the ephemeral owner as stored: a session, Long.MIN_VALUE for
	// a container, 0xFF top byte + TTL for a TTL node, 0 otherwise.
	Owner int64
}

// Kind names the node's kind: "persistent", "ephemeral", "container" or "ttl".
func (n *ImageNode) Kind() string {
	switch kindOf(n.Owner) {
	case kindEphemeral:
		return "ephemeral"
	case kindContainer:
		return "container"
	case kindTTL:
		return "ttl"
	}
	return "persistent"
}

// WriteImage writes img as a zkraft snapshot stream (the format FSM.Restore
// and raft's snapshot store hold). It checks the tree the way Restore does,
// so a stream it writes always restores.
func WriteImage(w io.Writer, img *Image) error {
	b := newStateBuilder(img.LastZxid, img.Secret)
	for _, s := range img.Sessions {
		b.session(s.ID, s.Timeout, 0) // no owner: not checked until a resume moves it
	}
	for i := range img.Nodes {
		in := &img.Nodes[i]
		n := &znode{data: in.Data, acl: in.ACL, czxid: in.Czxid, mzxid: in.Mzxid, pzxid: in.Pzxid,
			ctime: in.Ctime, mtime: in.Mtime, version: in.Version, creates: in.Cversion,
			aversion: in.Aversion, owner: in.Owner}
		if n.data == nil {
			n.data = []byte{}
		}
		if err := b.node(in.Path, n); err != nil {
			return err
		}
	}
	if len(img.Nodes) == 0 {
		return fmt.Errorf("%w: the image has no root", ErrSnapshotCorrupt)
	}
	return writeSnapshot(w, b.finish())
}

// ReadImage reads and checks a whole zkraft snapshot stream.
func ReadImage(r io.Reader) (*Image, error) {
	s, err := readSnapshot(r)
	if err != nil {
		return nil, err
	}
	return s.image(), nil
}

// Pinned is one state of the FSM held for writing out: a consistent point
// in time, taken in O(1) (states are immutable) while Apply goes on.
type Pinned struct{ s *state }

// Pin holds the current state.
func (f *FSM) Pin() Pinned { return Pinned{f.cur.Load()} }

// LastZxid is the zxid of the last entry in the pinned state.
func (p Pinned) LastZxid() int64 { return p.s.lastZxid }

// Save streams the pinned state as a zkraft snapshot (CRC32C-sealed).
func (p Pinned) Save(w io.Writer) error { return writeSnapshot(w, p.s) }

func (s *state) image() *Image {
	img := &Image{LastZxid: s.lastZxid, Secret: s.secret, Sessions: s.sessionList()}
	img.Nodes = make([]ImageNode, 0, s.nodes.Len())
	it := s.nodes.Root().Iterator()
	for k, n, ok := it.Next(); ok; k, n, ok = it.Next() {
		img.Nodes = append(img.Nodes, ImageNode{Path: string(k[4:]), Data: n.data, ACL: n.acl,
			Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid, Ctime: n.ctime, Mtime: n.mtime,
			Version: n.version, Aversion: n.aversion, Cversion: n.creates, Owner: n.owner})
	}
	return img
}

// stateBuilder assembles a state from nodes in tree order, deriving the
// child counts, indexes and counters (so no input can carry them
// inconsistently). Snapshot restore and WriteImage share it.
type stateBuilder struct {
	s          *state
	nodes      *iradix.Txn[*znode]
	sessions   *iradix.Txn[*session]
	ephemerals *iradix.Txn[struct{}]
	timed      *iradix.Txn[struct{}]
	lastACL    []protocol.ACL
	count      int
}

func newStateBuilder(lastZxid int64, secret []byte) *stateBuilder {
	s := &state{lastZxid: lastZxid, secret: secret}
	return &stateBuilder{
		s:          s,
		nodes:      iradix.New[*znode]().Txn(),
		sessions:   iradix.New[*session]().Txn(),
		ephemerals: iradix.New[struct{}]().Txn(),
		timed:      iradix.New[struct{}]().Txn(),
	}
}

func (b *stateBuilder) session(id int64, timeout int32, owner int64) {
	b.sessions.Insert(sessionKey(id), &session{id: id, timeout: timeout, owner: owner})
}

// node adds n at path; the first node must be "/", every other one's parent
// must already be there. n must be private to the builder.
func (b *stateBuilder) node(path string, n *znode) error {
	if b.count == 0 {
		if path != "/" {
			return fmt.Errorf("%w: first node %q is not the root", ErrSnapshotCorrupt, path)
		}
	} else {
		if protocol.ValidatePath(path, false) != nil || path == "/" {
			return fmt.Errorf("%w: bad path %q", ErrSnapshotCorrupt, path)
		}
		parentPath, _ := parentOf(path)
		parent, ok := b.nodes.Get(nodeKey(parentPath))
		if !ok {
			return fmt.Errorf("%w: %q comes before its parent", ErrSnapshotCorrupt, path)
		}
		if _, dup := b.nodes.Get(nodeKey(path)); dup {
			return fmt.Errorf("%w: %q twice", ErrSnapshotCorrupt, path)
		}
		parent.numChildren++ // parents are fresh and private until finish
	}
	// Most nodes share a handful of ACLs: keep one copy of each run.
	if slices.Equal(n.acl, b.lastACL) {
		n.acl = b.lastACL
	}
	b.lastACL = n.acl
	b.nodes.Insert(nodeKey(path), n)
	b.count++
	b.s.dataSize += int64(len(path) + len(n.data))
	switch n.kind() {
	case kindEphemeral:
		b.ephemerals.Insert(ephemeralKey(n.owner, path), struct{}{})
		b.s.ephCount++
		if row, ok := b.sessions.Get(sessionKey(n.owner)); ok {
			row.ephemerals++ // rows are fresh and private until finish
		}
	case kindContainer, kindTTL:
		b.timed.Insert([]byte(path), struct{}{})
	}
	return nil
}

func (b *stateBuilder) finish() *state {
	s := b.s
	s.nodes = b.nodes.CommitOnly()
	s.sessions = b.sessions.CommitOnly()
	s.ephemerals = b.ephemerals.CommitOnly()
	s.timed = b.timed.CommitOnly()
	s.quotas = quotaRoots(s)
	return s
}

// InitialImage is the tree a fresh server starts with (and ZooKeeper's: /,
// /zookeeper, /zookeeper/quota, /zookeeper/config).
func InitialImage() *Image { return initialState().image() }

// Image returns the pinned state as plain values.
func (p Pinned) Image() *Image { return p.s.image() }
