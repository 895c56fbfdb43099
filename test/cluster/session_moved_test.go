package cluster

import (
	"testing"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/protocol"
)

// TestSessionMoved: a session resumed on another member while its first
// connection is still open. Writes through the old connection are refused
// with SessionMoved (and change nothing); the new connection writes, and
// reads through the old one still work, as ZooKeeper's.
func TestSessionMoved(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	acl := []protocol.ACL{{Perms: zk.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

	old, resp, ok := dialSession(t, e.members[fs[0]-1].clientAddr(), 0, nil, false)
	if !ok || resp.SessionID == 0 {
		t.Fatalf("no session on member %d: %+v", fs[0], resp)
	}
	if h := old.call(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/before-move", ACL: acl}, &protocol.CreateResponse{}); h.Err != protocol.ErrOK {
		t.Fatalf("create before the move: %v", h.Err)
	}
	moved, resp2, ok := dialSession(t, e.members[fs[1]-1].clientAddr(), resp.SessionID, resp.Passwd, false)
	if !ok || resp2.SessionID != resp.SessionID {
		t.Fatalf("resume on member %d: %+v", fs[1], resp2)
	}
	if h := moved.call(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/after-move", ACL: acl}, &protocol.CreateResponse{}); h.Err != protocol.ErrOK {
		t.Fatalf("create through the new connection: %v", h.Err)
	}
	// The old connection is still open on its member: its write must not
	// apply.
	if h := old.call(2, protocol.OpCreate, &protocol.CreateRequest{Path: "/stale", ACL: acl}, &protocol.CreateResponse{}); h.Err != protocol.ErrSessionMoved {
		t.Fatalf("create through the old connection: %v, want SessionMoved", h.Err)
	}
	if h := old.call(3, protocol.OpSetData, &protocol.SetDataRequest{Path: "/before-move", Data: []byte("x"), Version: -1}, &protocol.StatResponse{}); h.Err != protocol.ErrSessionMoved {
		t.Fatalf("setData through the old connection: %v, want SessionMoved", h.Err)
	}
	if h := old.call(4, protocol.OpExists, &protocol.PathWatchRequest{Path: "/after-move"}, &protocol.StatResponse{}); h.Err != protocol.ErrOK {
		t.Fatalf("exists through the old connection: %v", h.Err)
	}
	c := e.connect(leader)
	if _, err := c.Sync("/"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Exists("/stale"); err != nil || ok {
		t.Fatalf("the refused write applied: exists %v, %v", ok, err)
	}
	data, _, err := c.Get("/before-move")
	if err != nil || len(data) != 0 {
		t.Fatalf("the refused setData applied: %q, %v", data, err)
	}
	// The new owner keeps writing.
	if h := moved.call(2, protocol.OpDelete, &protocol.DeleteRequest{Path: "/after-move", Version: -1}, nil); h.Err != protocol.ErrOK {
		t.Fatalf("delete through the new connection: %v", h.Err)
	}
}
