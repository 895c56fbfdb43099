package fsm

import (
	"encoding/binary"
	"strings"

	iradix "github.com/hashicorp/go-immutable-radix/v2"

	"github.com/zkraft/zkraft/protocol"
)

// state is one immutable version of everything the FSM holds. Apply builds
// the next state from the current one through a tx; Snapshot and Read keep a
// pointer to a state and never see it change.
type state struct {
	// nodes maps nodeKey(path) to the znode. Keys start with the path's
	// depth so that the children of a node are exactly the keys under
	// childPrefix(path): listing them costs O(children), and a full walk
	// meets every parent before its children.
	nodes *iradix.Tree[*znode]
	// sessions maps sessionKey(id) to the session row.
	sessions *iradix.Tree[*session]
	// ephemerals holds sessionKey(owner)+path for every normal ephemeral.
	ephemerals *iradix.Tree[struct{}]
	// timed holds the paths of containers and TTL nodes, for reaping.
	timed *iradix.Tree[struct{}]
	// quotas are the quota roots (paths with a zookeeper_limits node), sorted.
	quotas   []string
	secret   []byte
	lastZxid int64
	dataSize int64 // sum of len(path)+len(data) over all nodes
	ephCount int
}

// nodeKey is the 4-byte big-endian depth of path followed by path.
func nodeKey(path string) []byte {
	k := make([]byte, 4, 4+len(path))
	binary.BigEndian.PutUint32(k, uint32(depth(path)))
	return append(k, path...)
}

// childPrefix is the key prefix shared by exactly the children of path.
func childPrefix(path string) []byte {
	k := make([]byte, 4, 5+len(path))
	binary.BigEndian.PutUint32(k, uint32(depth(path)+1))
	k = append(k, path...)
	if path != "/" {
		k = append(k, '/')
	}
	return k
}

func depth(path string) int {
	if path == "/" {
		return 0
	}
	return strings.Count(path, "/")
}

// sessionKey orders session ids as signed integers.
func sessionKey(id int64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(id)^(1<<63))
	return k[:]
}

func ephemeralKey(owner int64, path string) []byte {
	return append(sessionKey(owner), path...)
}

func (s *state) get(path string) (*znode, bool) {
	return s.nodes.Get(nodeKey(path))
}

// children lists the child names of path in byte order.
func children(root *iradix.Node[*znode], path string) []string {
	prefix := childPrefix(path)
	out := []string{}
	it := root.Iterator()
	it.SeekPrefix(prefix)
	for k, _, ok := it.Next(); ok; k, _, ok = it.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out
}

// descendants counts the nodes below path (not path itself).
func descendants(root *iradix.Node[*znode], path string) int {
	total := 0
	var walk func(p string)
	walk = func(p string) {
		for _, c := range children(root, p) {
			total++
			walk(join(p, c))
		}
	}
	walk(path)
	return total
}

// subtreeUsage counts the nodes of the subtree at path (path included) and the
// bytes of their data, as ZooKeeper's quota statistics do.
func subtreeUsage(root *iradix.Node[*znode], path string) (count, bytes int64) {
	n, ok := root.Get(nodeKey(path))
	if !ok {
		return 0, 0
	}
	count, bytes = 1, int64(len(n.data))
	for _, c := range children(root, path) {
		cc, cb := subtreeUsage(root, join(path, c))
		count += cc
		bytes += cb
	}
	return count, bytes
}

func join(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// parentOf splits path into its parent and last element; the parent of a
// top-level node is "/". It is protocol.Parent except that a sequential
// path ending in '/' keeps an empty last element.
func parentOf(path string) (string, string) {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/", path[i+1:]
	}
	return path[:i], path[i+1:]
}

// tx is the mutable view one entry is applied through. Nothing it changes is
// visible until commit returns the new state; dropping a tx drops every change
// (that is how a failed multi leaves no trace).
type tx struct {
	base       *state
	nodes      lazyTxn[*znode]
	sessions   lazyTxn[*session]
	ephemerals lazyTxn[struct{}]
	timed      lazyTxn[struct{}]
	quotas     []string
	dataSize   int64
	ephCount   int
	secret     []byte

	opts   *Options
	zxid   int64
	now    int64         // ms, from the entry
	auth   []protocol.Id // identities of the request's connection
	events []Event
	failed bool // a multi op failed: commit nothing
}

func newTx(s *state, opts *Options, zxid, now int64) *tx {
	return &tx{
		base:       s,
		nodes:      lazyTxn[*znode]{tree: s.nodes},
		sessions:   lazyTxn[*session]{tree: s.sessions},
		ephemerals: lazyTxn[struct{}]{tree: s.ephemerals},
		timed:      lazyTxn[struct{}]{tree: s.timed},
		quotas:     s.quotas,
		dataSize:   s.dataSize,
		ephCount:   s.ephCount,
		secret:     s.secret,
		opts:       opts,
		zxid:       zxid,
		now:        now,
	}
}

// lazyTxn opens its iradix transaction on the first write, so an entry costs
// nothing for the trees it does not change.
type lazyTxn[T any] struct {
	tree *iradix.Tree[T]
	txn  *iradix.Txn[T]
}

func (l *lazyTxn[T]) Get(k []byte) (T, bool) {
	if l.txn != nil {
		return l.txn.Get(k)
	}
	return l.tree.Get(k)
}

func (l *lazyTxn[T]) Root() *iradix.Node[T] {
	if l.txn != nil {
		return l.txn.Root()
	}
	return l.tree.Root()
}

func (l *lazyTxn[T]) write() *iradix.Txn[T] {
	if l.txn == nil {
		l.txn = l.tree.Txn()
	}
	return l.txn
}

func (l *lazyTxn[T]) Insert(k []byte, v T) (T, bool) { return l.write().Insert(k, v) }
func (l *lazyTxn[T]) Delete(k []byte) (T, bool)      { return l.write().Delete(k) }

func (l *lazyTxn[T]) commit() *iradix.Tree[T] {
	if l.txn == nil {
		return l.tree
	}
	return l.txn.CommitOnly()
}

func (t *tx) commit() *state {
	return &state{
		nodes:      t.nodes.commit(),
		sessions:   t.sessions.commit(),
		ephemerals: t.ephemerals.commit(),
		timed:      t.timed.commit(),
		quotas:     t.quotas,
		secret:     t.secret,
		lastZxid:   t.zxid,
		dataSize:   t.dataSize,
		ephCount:   t.ephCount,
	}
}

func (t *tx) get(path string) (*znode, bool) {
	return t.nodes.Get(nodeKey(path))
}

func (t *tx) event(typ protocol.EventType, path string, acl []protocol.ACL) {
	t.events = append(t.events, Event{Type: typ, Path: path, ACL: acl})
}

// put stores n at path, replacing any earlier version, and keeps the
// data-size counter in step.
func (t *tx) put(path string, n *znode) {
	old, existed := t.nodes.Insert(nodeKey(path), n)
	if existed {
		t.dataSize -= int64(len(old.data))
	} else {
		t.dataSize += int64(len(path))
	}
	t.dataSize += int64(len(n.data))
}

// addNode inserts a new node under an existing parent and does every piece of
// bookkeeping a create implies: parent counters, indexes, quota statistics
// and the two events.
func (t *tx) addNode(path string, n *znode) {
	parentPath, name := parentOf(path)
	parent, _ := t.get(parentPath)
	p := parent.clone()
	p.creates++
	p.numChildren++
	p.pzxid = t.zxid
	t.put(parentPath, p)
	t.put(path, n)
	switch n.kind() {
	case kindEphemeral:
		t.ephemerals.Insert(ephemeralKey(n.owner, path), struct{}{})
		t.ephCount++
		if s, ok := t.sessions.Get(sessionKey(n.owner)); ok {
			c := *s
			c.ephemerals++
			t.sessions.Insert(sessionKey(n.owner), &c)
		}
	case kindContainer, kindTTL:
		t.timed.Insert([]byte(path), struct{}{})
	}
	t.quotaCreated(parentPath, name, path, n)
	t.event(protocol.EventNodeCreated, path, n.acl)
	t.event(protocol.EventNodeChildrenChanged, parentPath, p.acl)
}

// removeNode deletes a childless node and undoes what addNode did.
func (t *tx) removeNode(path string, n *znode) {
	parentPath, name := parentOf(path)
	t.nodes.Delete(nodeKey(path))
	t.dataSize -= int64(len(path) + len(n.data))
	var parentACL []protocol.ACL
	if parent, ok := t.get(parentPath); ok {
		parentACL = parent.acl
		p := parent.clone()
		p.numChildren--
		p.pzxid = t.zxid
		t.put(parentPath, p)
	}
	switch n.kind() {
	case kindEphemeral:
		t.ephemerals.Delete(ephemeralKey(n.owner, path))
		t.ephCount--
		if s, ok := t.sessions.Get(sessionKey(n.owner)); ok {
			c := *s
			c.ephemerals--
			t.sessions.Insert(sessionKey(n.owner), &c)
		}
	case kindContainer, kindTTL:
		t.timed.Delete([]byte(path))
	}
	t.quotaDeleted(parentPath, name, path, n)
	t.event(protocol.EventNodeDeleted, path, n.acl)
	t.event(protocol.EventNodeChildrenChanged, parentPath, parentACL)
}

// initialState is the tree of a fresh ZooKeeper 3.8 standalone server: "/",
// "/zookeeper", "/zookeeper/quota" and "/zookeeper/config", all with zero
// zxids and times. /zookeeper/config is world-readable only and shows
// aversion -1, as ZooKeeper's does.
func initialState() *state {
	worldAll := []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}
	worldRead := []protocol.ACL{{Perms: protocol.PermRead, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}
	s := &state{
		nodes:      iradix.New[*znode](),
		sessions:   iradix.New[*session](),
		ephemerals: iradix.New[struct{}](),
		timed:      iradix.New[struct{}](),
	}
	t := s.nodes.Txn()
	add := func(path string, n *znode) {
		t.Insert(nodeKey(path), n)
		s.dataSize += int64(len(path))
	}
	add("/", &znode{data: []byte{}, acl: worldAll, numChildren: 1})
	add("/zookeeper", &znode{data: []byte{}, acl: worldAll, numChildren: 2})
	add(quotaRoot, &znode{data: []byte{}, acl: worldAll})
	add(configNode, &znode{data: []byte{}, acl: worldRead, aversion: -1})
	s.nodes = t.CommitOnly()
	return s
}

const (
	configNode = "/zookeeper/config"
	quotaRoot  = "/zookeeper/quota"
)

// protectedPath reports the nodes ZooKeeper refuses to delete (BadArguments).
func protectedPath(path string) bool {
	switch path {
	case "/", "/zookeeper", quotaRoot, configNode:
		return true
	}
	return false
}
