package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/protocol"
)

// The ops answered by the server itself rather than by fsm.Read.
func TestLocalOps(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	for i, p := range []string{"/x", "/x/e1", "/x/e2"} {
		flags := protocol.ModeEphemeral
		if i == 0 {
			flags = protocol.ModePersistent
		}
		r.send(int32(i+1), protocol.OpCreate, &protocol.CreateRequest{Path: p, ACL: openACL, Flags: flags})
		if h := r.recv(nil); h.Err != protocol.ErrOK {
			t.Fatalf("create %s: %v", p, h.Err)
		}
	}
	var eph protocol.GetEphemeralsResponse
	r.send(10, protocol.OpGetEphemerals, &protocol.PathRequest{Path: "/x"})
	if h := r.recv(&eph); h.Err != protocol.ErrOK || !reflect.DeepEqual(eph.Ephemerals, []string{"/x/e1", "/x/e2"}) {
		t.Fatalf("getEphemerals: %v %v", h.Err, eph.Ephemerals)
	}
	var n protocol.GetAllChildrenNumberResponse
	r.send(11, protocol.OpGetAllChildrenNumber, &protocol.PathRequest{Path: "/x"})
	if h := r.recv(&n); h.Err != protocol.ErrOK || n.TotalNumber != 2 {
		t.Fatalf("getAllChildrenNumber: %v %d", h.Err, n.TotalNumber)
	}
	var sp protocol.PathResponse
	r.send(12, protocol.OpSync, &protocol.PathRequest{Path: "/x"})
	if h := r.recv(&sp); h.Err != protocol.ErrOK || sp.Path != "/x" || h.Zxid != s.fsm.LastZxid() {
		t.Fatalf("sync: %+v %q", h, sp.Path)
	}
	r.send(protocol.XidPing, protocol.OpPing, nil)
	if h := r.recv(nil); h.Xid != protocol.XidPing || h.Err != protocol.ErrOK || h.Zxid != s.fsm.LastZxid() {
		t.Fatalf("ping: %+v", h)
	}
	// Without SASL configured ZooKeeper answers OK with a null token.
	var tok protocol.SASLRequest
	r.send(13, protocol.OpSASL, &protocol.SASLRequest{Token: []byte("t")})
	if h := r.recv(&tok); h.Err != protocol.ErrOK || tok.Token != nil {
		t.Fatalf("sasl: %+v %v", h, tok.Token)
	}
	// An unknown op: Unimplemented with zxid -1, then the connection closes.
	r.send(14, protocol.OpCode(999), nil)
	if h := r.recv(nil); h.Err != protocol.ErrUnimplemented || h.Zxid != -1 {
		t.Fatalf("unknown op: %+v", h)
	}
	if !r.waitClosed(5 * time.Second) {
		t.Fatal("connection open after an unknown op")
	}
}

// Empty containers and expired TTL nodes are reaped.
func TestReaper(t *testing.T) {
	o := testOptions(t)
	o.ContainerCheckInterval = 50 * time.Millisecond
	o.ExtendedTypes = true
	s := startServer(t, o)
	c, _ := connect(t, s, 5*time.Second)
	acl := zk.WorldACL(zk.PermAll)
	if _, err := c.CreateContainer("/box", nil, zk.FlagContainer, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/box/item", nil, 0, acl); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, acl, 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/box/item", -1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		box, _, _ := c.Exists("/box")
		ttl, _, _ := c.Exists("/ttl")
		if !box && !ttl {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: container exists %v, TTL node exists %v", box, ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
