package server

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// setWatches against a relative zxid fires at once what changed after it
// and registers the rest.
func TestSetWatches(t *testing.T) {
	s := startServer(t, testOptions(t))
	w := dialRaw(t, s.Addr().String())
	w.connect(5000, 0, nil)
	create := func(xid int32, p string) {
		w.send(xid, protocol.OpCreate, &protocol.CreateRequest{Path: p, ACL: openACL})
		if h := w.recv(nil); h.Err != protocol.ErrOK {
			t.Fatalf("create %s: %v", p, h.Err)
		}
	}
	create(1, "/d")
	create(2, "/same")
	create(3, "/c")
	create(4, "/gone")
	rel := s.fsm.LastZxid()
	w.send(5, protocol.OpSetData, &protocol.SetDataRequest{Path: "/d", Data: []byte("x"), Version: -1})
	w.recv(nil)
	w.send(6, protocol.OpDelete, &protocol.DeleteRequest{Path: "/gone", Version: -1})
	w.recv(nil)

	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	r.send(protocol.XidSetWatches, protocol.OpSetWatches2, &protocol.SetWatches2{
		RelativeZxid:               rel,
		DataWatches:                []string{"/d", "/gone", "/same"},
		ExistWatches:               []string{"/c", "/nx"},
		ChildWatches:               []string{"/same"},
		PersistentRecursiveWatches: []string{"/tree"},
	})
	want := []protocol.WatcherEvent{
		ev(protocol.EventNodeDataChanged, "/d"),
		ev(protocol.EventNodeDeleted, "/gone"),
		ev(protocol.EventNodeCreated, "/c"),
	}
	for _, we := range want {
		if got := r.recvEvent(); got != we {
			t.Fatalf("event %+v, want %+v", got, we)
		}
	}
	if h := r.recv(nil); h.Xid != protocol.XidSetWatches || h.Err != protocol.ErrOK {
		t.Fatalf("setWatches reply %+v", h)
	}
	// What was registered fires on the next change.
	create(7, "/nx")
	create(8, "/same/kid")
	create(9, "/tree")
	w.send(10, protocol.OpSetData, &protocol.SetDataRequest{Path: "/same", Data: []byte("y"), Version: -1})
	w.recv(nil)
	for _, we := range []protocol.WatcherEvent{
		ev(protocol.EventNodeCreated, "/nx"),
		ev(protocol.EventNodeChildrenChanged, "/same"),
		ev(protocol.EventNodeCreated, "/tree"),
		ev(protocol.EventNodeDataChanged, "/same"),
	} {
		if got := r.recvEvent(); got != we {
			t.Fatalf("event %+v, want %+v", got, we)
		}
	}
}

func TestAddWatchAndRemoveWatches(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	var er protocol.ErrorResponse
	r.send(1, protocol.OpAddWatch, &protocol.AddWatchRequest{Path: "/t", Mode: protocol.AddWatchPersistentRecursive})
	if h := r.recv(&er); h.Err != protocol.ErrOK || er.Err != 0 {
		t.Fatalf("addWatch %+v %+v", h, er)
	}
	r.send(2, protocol.OpCreate, &protocol.CreateRequest{Path: "/t", ACL: openACL})
	if e := r.recvEvent(); e != ev(protocol.EventNodeCreated, "/t") {
		t.Fatalf("event %+v", e)
	}
	r.recv(nil)
	r.send(3, protocol.OpCreate, &protocol.CreateRequest{Path: "/t/a", ACL: openACL})
	if e := r.recvEvent(); e != ev(protocol.EventNodeCreated, "/t/a") {
		t.Fatalf("event %+v", e)
	}
	r.recv(nil)
	r.send(4, protocol.OpCheckWatches, &protocol.WatchesRequest{Path: "/t", Type: protocol.WatcherPersistentRecursive})
	if h := r.recv(nil); h.Err != protocol.ErrOK {
		t.Fatalf("checkWatches: %v", h.Err)
	}
	// A recursive watch lives in both tables, as in ZooKeeper 3.8: removing
	// its child half leaves the data half firing.
	r.send(5, protocol.OpRemoveWatches, &protocol.WatchesRequest{Path: "/t", Type: protocol.WatcherChildren})
	if h := r.recv(nil); h.Err != protocol.ErrOK {
		t.Fatalf("removeWatches Children of a recursive watch: %v", h.Err)
	}
	r.send(6, protocol.OpCreate, &protocol.CreateRequest{Path: "/t/c", ACL: openACL})
	if e := r.recvEvent(); e != ev(protocol.EventNodeCreated, "/t/c") {
		t.Fatalf("event %+v", e)
	}
	r.recv(nil)
	r.send(6, protocol.OpRemoveWatches, &protocol.WatchesRequest{Path: "/t", Type: protocol.WatcherAny})
	if h := r.recv(nil); h.Err != protocol.ErrOK {
		t.Fatalf("removeWatches: %v", h.Err)
	}
	// No event now: the next frame is the reply.
	r.send(7, protocol.OpCreate, &protocol.CreateRequest{Path: "/t/b", ACL: openACL})
	if h := r.recv(nil); h.Xid != 7 {
		t.Fatalf("got xid %d, a removed watch fired", h.Xid)
	}
}

// go-zookeeper/zk resends its watches with setWatches after reconnecting to
// a restarted server, and a change made after the restart reaches it.
func TestWatchSurvivesRestart(t *testing.T) {
	o := testOptions(t)
	s1 := startServer(t, o)
	o.ClientAddr = s1.Addr().String()
	a, _ := connect(t, s1, 5*time.Second)
	if _, err := a.Create("/s", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, _, ch, err := a.GetW("/s")
	if err != nil {
		t.Fatal(err)
	}
	sid := a.SessionID()
	s1.Close()
	s2 := startServer(t, o)
	b, _ := connect(t, s2, 5*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	for a.State() != zk.StateHasSession || a.SessionID() != sid {
		if time.Now().After(deadline) {
			t.Fatalf("client did not resume its session: state %v id 0x%x", a.State(), a.SessionID())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// No request goes through a here: go-zookeeper's receive loop writes
	// the last zxid it saw without a lock while sendSetWatches reads it, a
	// race -race reports when a reply comes in meanwhile. The
	// write below may reach the server before or after setWatches does;
	// either way the watch fires, at once for a change setWatches missed.
	if _, err := b.Set("/s", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-ch:
		if e.Type != zk.EventNodeDataChanged || e.Path != "/s" {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event after restart")
	}
}

// A watcher without READ on the node is not told of its change (its
// one-shot watch is used up all the same), as ZooKeeper since
// CVE-2024-23944.
func TestWatchEventNeedsRead(t *testing.T) {
	s := startServer(t, testOptions(t))
	a := dialRaw(t, s.Addr().String())
	a.connect(5000, 0, nil)
	b := dialRaw(t, s.Addr().String())
	b.connect(5000, 0, nil)
	b.send(protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: "digest", Auth: []byte("alice:pw")})
	if h := b.recv(nil); h.Err != protocol.ErrOK {
		t.Fatalf("auth: %v", h.Err)
	}
	for i, p := range []string{"/x", "/y"} {
		a.send(int32(i+1), protocol.OpExists, &protocol.PathWatchRequest{Path: p, Watch: true})
		if h := a.recv(nil); h.Err != protocol.ErrNoNode {
			t.Fatalf("exists %s: %v", p, h.Err)
		}
	}
	aliceOnly := []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "digest", ID: fsm.DigestID("alice:pw")}}}
	b.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/x", ACL: aliceOnly})
	b.send(2, protocol.OpCreate, &protocol.CreateRequest{Path: "/y", ACL: openACL})
	for i := 0; i < 2; i++ {
		if h := b.recv(nil); h.Err != protocol.ErrOK {
			t.Fatalf("create %d: %v", i, h.Err)
		}
	}
	a.send(3, protocol.OpExists, &protocol.PathWatchRequest{Path: "/y"})
	if ev := a.recvEvent(); ev.Type != protocol.EventNodeCreated || ev.Path != "/y" {
		t.Fatalf("first event %+v, want NodeCreated /y (the /x event must be withheld)", ev)
	}
	if h := a.recv(&protocol.StatResponse{}); h.Xid != 3 {
		t.Fatalf("want the exists reply next, got xid %d", h.Xid)
	}
	// The withheld watch is gone: a later change to /x tells nobody, so the
	// next frame is the reply to the next request.
	b.send(3, protocol.OpDelete, &protocol.DeleteRequest{Path: "/x", Version: -1})
	b.recv(nil)
	a.send(4, protocol.OpExists, &protocol.PathWatchRequest{Path: "/y"})
	if h := a.recv(&protocol.StatResponse{}); h.Xid != 4 {
		t.Fatalf("want the exists reply, got xid %d", h.Xid)
	}
}
