package zkfile

import (
	"fmt"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// Apply replays one logged transaction onto the tree with ZooKeeper's
// DataTree.processTxn rules. A snapshot is fuzzy (taken while transactions
// went on), so a replayed create may meet its node and a delete may miss
// it: both are skipped, as ZooKeeper does, and the parent's cversion only
// ever grows. A record that does not decode is an error.
func (t *Tree) Apply(x *Txn) error {
	if err := t.apply(x.Type, x.Body, x); err != nil {
		return err
	}
	if x.Zxid > t.Zxid {
		t.Zxid = x.Zxid
	}
	return nil
}

func (t *Tree) apply(op protocol.OpCode, body []byte, x *Txn) error {
	d := protocol.NewDecoder(body)
	switch op {
	case protocol.OpCreate, protocol.OpCreate2, protocol.OpCreateContainer, protocol.OpCreateTTL:
		path, data, acl := d.String(), d.Buffer(), d.ACLs()
		var owner int64
		var parentCV int32
		switch op {
		case protocol.OpCreateContainer:
			parentCV, owner = d.Int(), containerOwner
		case protocol.OpCreateTTL:
			parentCV = d.Int()
			owner = ttlOwner(d.Long())
		default:
			if d.Bool() {
				owner = x.ClientID
			}
			parentCV = d.Int()
		}
		if err := d.Err(); err != nil {
			return fmt.Errorf("%v record: %w", op, err)
		}
		t.create(path, data, acl, owner, parentCV, x)
	case protocol.OpDelete, protocol.OpDeleteContainer:
		path := d.String()
		if err := d.Err(); err != nil {
			return fmt.Errorf("%v record: %w", op, err)
		}
		t.delete(path, x.Zxid)
	case protocol.OpSetData, protocol.OpReconfig:
		path, data, version := d.String(), d.Buffer(), d.Int()
		if err := d.Err(); err != nil {
			return fmt.Errorf("%v record: %w", op, err)
		}
		if n := t.nodes[path]; n != nil {
			if data == nil {
				data = []byte{}
			}
			n.Data, n.Version, n.Mzxid, n.Mtime = data, version, x.Zxid, x.Time
		}
	case protocol.OpSetACL:
		path, acl, version := d.String(), d.ACLs(), d.Int()
		if err := d.Err(); err != nil {
			return fmt.Errorf("%v record: %w", op, err)
		}
		if n := t.nodes[path]; n != nil {
			n.ACL, n.Aversion = acl, version
		}
	case protocol.OpCreateSession:
		timeout := d.Int()
		if err := d.Err(); err != nil {
			return fmt.Errorf("%v record: %w", op, err)
		}
		t.Sessions[x.ClientID] = timeout
	case protocol.OpCloseSession:
		// 3.6+ logs the ephemerals to delete; the session's own list is
		// the same set, and the only one older logs allow.
		for path := range t.owned[x.ClientID] {
			t.delete(path, x.Zxid)
		}
		delete(t.owned, x.ClientID)
		delete(t.Sessions, x.ClientID)
	case protocol.OpMulti:
		return t.multi(d, x)
	case protocol.OpCheck, protocol.OpError, protocol.OpSetWatches, protocol.OpSetWatches2:
		// No change to the tree.
	default:
		return fmt.Errorf("transaction type %d is not known to this importer", op)
	}
	return nil
}

// multi applies the sub-transactions of a MultiTxn {vector<{type int, data
// buffer}>}; a multi holding an error sub-txn failed as a whole and
// changes nothing.
func (t *Tree) multi(d *protocol.Decoder, x *Txn) error {
	n := d.VectorLen(8)
	type sub struct {
		op   protocol.OpCode
		body []byte
	}
	subs := make([]sub, 0, max(n, 0))
	failed := false
	for range max(n, 0) {
		s := sub{op: protocol.OpCode(d.Int()), body: d.Buffer()}
		failed = failed || s.op == protocol.OpError
		subs = append(subs, s)
	}
	if err := d.Err(); err != nil {
		return fmt.Errorf("multi record: %w", err)
	}
	if failed {
		return nil
	}
	for _, s := range subs {
		if s.op == protocol.OpMulti {
			return fmt.Errorf("multi inside a multi")
		}
		if err := t.apply(s.op, s.body, x); err != nil {
			return err
		}
	}
	return nil
}

// create adds a node as DataTree.createNode does: the parent's cversion
// becomes parentCV (its persisted cversion + 1 when the txn was made, or
// -1 for "one more") with pzxid the txn's zxid, only if that raises it;
// an existing node is left alone.
func (t *Tree) create(path string, data []byte, acl []protocol.ACL, owner int64, parentCV int32, x *Txn) {
	parentPath, _ := split(path)
	parent := t.nodes[parentPath]
	if parent == nil || path == "/" {
		return
	}
	if parentCV == -1 {
		parentCV = parent.Cversion + 1
	}
	if parentCV > parent.Cversion {
		parent.Cversion, parent.Pzxid = parentCV, x.Zxid
	}
	if t.nodes[path] != nil {
		return
	}
	if data == nil {
		data = []byte{}
	}
	t.insert(fsm.ImageNode{Path: path, Data: data, ACL: acl, Czxid: x.Zxid, Mzxid: x.Zxid, Pzxid: x.Zxid,
		Ctime: x.Time, Mtime: x.Time, Owner: owner})
}

// delete removes a node; the parent's pzxid only grows (a fuzzy snapshot
// may already hold a later create's pzxid).
func (t *Tree) delete(path string, zxid int64) {
	if _, ok := t.remove(path); !ok {
		return
	}
	parentPath, _ := split(path)
	if p := t.nodes[parentPath]; p != nil && zxid > p.Pzxid {
		p.Pzxid = zxid
	}
}

// ZooKeeper's EphemeralType encodings of a node's owner.
const (
	containerOwner int64 = -1 << 63
	extendedMask   int64 = -0x0100000000000000
)

func ttlOwner(ttl int64) int64 { return extendedMask | ttl }
