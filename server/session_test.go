package server

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/protocol"
)

// A session survives a server restart: the client resumes it with its id
// and password, and its data and ephemerals are still there.
func TestRestartKeepsSessionAndData(t *testing.T) {
	o := testOptions(t)
	s1 := startServer(t, o)
	addr := s1.Addr().String()
	r := dialRaw(t, addr)
	resp := r.connect(5000, 0, nil)
	r.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/keep", Data: []byte("data"), ACL: openACL})
	r.recv(nil)
	r.send(2, protocol.OpCreate, &protocol.CreateRequest{Path: "/eph", ACL: openACL, Flags: protocol.ModeEphemeral})
	if h := r.recv(nil); h.Err != protocol.ErrOK {
		t.Fatal(h.Err)
	}
	zxid := s1.fsm.LastZxid()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	if !r.waitClosed(5 * time.Second) {
		t.Fatal("Close left the connection open")
	}

	o.ClientAddr = addr
	s2 := startServer(t, o)
	// As in ZooKeeper, the zxid stays until the next write (the new term's
	// raft no-op is not a transaction).
	if got := s2.fsm.LastZxid(); got < zxid {
		t.Fatalf("zxid after restart 0x%x, before 0x%x", got, zxid)
	}
	r2 := dialRaw(t, addr)
	resp2 := r2.connect(5000, resp.SessionID, resp.Passwd)
	if resp2.SessionID != resp.SessionID || resp2.TimeOut == 0 || !bytes.Equal(resp2.Passwd, resp.Passwd) {
		t.Fatalf("resume after restart: %+v (was %+v)", resp2, resp)
	}
	var gd protocol.GetDataResponse
	r2.send(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/keep"})
	if h := r2.recv(&gd); h.Err != protocol.ErrOK || string(gd.Data) != "data" {
		t.Fatalf("/keep after restart: %v %q", h.Err, gd.Data)
	}
	var st protocol.StatResponse
	r2.send(2, protocol.OpExists, &protocol.PathWatchRequest{Path: "/eph"})
	if h := r2.recv(&st); h.Err != protocol.ErrOK || st.Stat.EphemeralOwner != resp.SessionID {
		t.Fatalf("/eph after restart: %v owner 0x%x", h.Err, st.Stat.EphemeralOwner)
	}
}

// An unknown or expired session and a wrong password get ZooKeeper's
// answer: timeout 0, id 0, 16 zero bytes, then the connection closes.
func TestResumeRefused(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	resp := r.connect(5000, 0, nil)

	for name, c := range map[string]struct {
		id int64
		pw []byte
	}{
		"unknown id":     {0x1234, make([]byte, 16)},
		"wrong password": {resp.SessionID, make([]byte, 16)},
	} {
		r2 := dialRaw(t, s.Addr().String())
		got := r2.connect(5000, c.id, c.pw)
		if got.TimeOut != 0 || got.SessionID != 0 || !bytes.Equal(got.Passwd, make([]byte, 16)) {
			t.Errorf("%s: %+v", name, got)
		}
		if !r2.waitClosed(5 * time.Second) {
			t.Errorf("%s: connection stayed open", name)
		}
	}
}

// A client that stops pinging loses its session after the timeout: its
// ephemerals go, its connection is closed, and a resume is refused.
func TestExpiryRemovesEphemerals(t *testing.T) {
	s := startServer(t, testOptions(t))
	silent := dialRaw(t, s.Addr().String())
	resp := silent.connect(500, 0, nil)
	if resp.TimeOut != 500 {
		t.Fatalf("negotiated %d, want 500", resp.TimeOut)
	}
	silent.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/e", ACL: openACL, Flags: protocol.ModeEphemeral})
	silent.recv(nil)

	watcher, _ := connect(t, s, 5*time.Second)
	ok, _, ev, err := watcher.ExistsW("/e")
	if err != nil || !ok {
		t.Fatalf("exists /e: %v %v", ok, err)
	}
	start := time.Now()
	select {
	case e := <-ev:
		if e.Type != zk.EventNodeDeleted {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ephemeral still there 5s after its session went silent")
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Fatalf("expired after %v, before the 500ms timeout", took)
	}
	if !silent.waitClosed(5 * time.Second) {
		t.Fatal("the expired session's connection stayed open")
	}
	r := dialRaw(t, s.Addr().String())
	if got := r.connect(500, resp.SessionID, resp.Passwd); got.TimeOut != 0 {
		t.Fatalf("resume of an expired session: %+v", got)
	}
}

// A connected client that pings keeps its session well past its timeout.
func TestPingKeepsSession(t *testing.T) {
	s := startServer(t, testOptions(t))
	c, _ := connect(t, s, 500*time.Millisecond)
	if _, err := c.Create("/live", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if ok, _, err := c.Exists("/live"); !ok || err != nil {
		t.Fatalf("ephemeral of a pinging session: %v %v", ok, err)
	}
}

// closeSession removes the session's ephemerals, is answered, and the
// server closes the connection.
func TestCloseSession(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	resp := r.connect(5000, 0, nil)
	r.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/e", ACL: openACL, Flags: protocol.ModeEphemeral})
	r.recv(nil)
	r.send(2, protocol.OpCloseSession, nil)
	if h := r.recv(nil); h.Xid != 2 || h.Err != protocol.ErrOK {
		t.Fatalf("closeSession reply %+v", h)
	}
	if !r.waitClosed(5 * time.Second) {
		t.Fatal("connection open after closeSession")
	}
	if _, ok := s.fsm.Session(resp.SessionID); ok {
		t.Fatal("session still live")
	}
	c, _ := connect(t, s, 5*time.Second)
	if ok, _, _ := c.Exists("/e"); ok {
		t.Fatal("ephemeral survived closeSession")
	}
}

// Session ids follow ZooKeeper's layout: server id in the top byte.
func TestSessionIDLayout(t *testing.T) {
	o := testOptions(t)
	o.ServerID = 3
	s := startServer(t, o)
	a := dialRaw(t, s.Addr().String()).connect(5000, 0, nil)
	b := dialRaw(t, s.Addr().String()).connect(5000, 0, nil)
	if a.SessionID>>56 != 3 || b.SessionID != a.SessionID+1 {
		t.Fatalf("ids 0x%x 0x%x", a.SessionID, b.SessionID)
	}
	if len(a.Passwd) != 16 {
		t.Fatalf("password of %d bytes", len(a.Passwd))
	}
}

func TestMaxClientCnxns(t *testing.T) {
	o := testOptions(t)
	o.MaxClientCnxns = 2
	s := startServer(t, o)
	a := dialRaw(t, s.Addr().String())
	a.connect(5000, 0, nil)
	b := dialRaw(t, s.Addr().String())
	b.connect(5000, 0, nil)
	c := dialRaw(t, s.Addr().String())
	if !c.waitClosed(5 * time.Second) {
		t.Fatal("third connection from one IP accepted with maxClientCnxns=2")
	}
	a.nc.Close()
	// The slot frees once the server notices a's close.
	deadline := time.Now().Add(5 * time.Second)
	for s.conns.count() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("closed connection still counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := dialRaw(t, s.Addr().String())
	if resp := d.connect(5000, 0, nil); resp.SessionID == 0 {
		t.Fatal("no session after a slot freed")
	}
}

// A restart after raft has snapshotted restores the snapshot and replays the
// log after it: every node, the session and the zxid come back.
func TestRestartFromSnapshot(t *testing.T) {
	o := testOptions(t)
	o.SnapshotThreshold = 50
	o.SnapshotInterval = 20 * time.Millisecond
	s1 := startServer(t, o)
	o.ClientAddr = s1.Addr().String()
	r := dialRaw(t, o.ClientAddr)
	resp := r.connect(5000, 0, nil)
	const n = 300
	for i := 0; i < n; i++ {
		r.send(int32(i+1), protocol.OpCreate, &protocol.CreateRequest{Path: fmt.Sprintf("/n%03d", i), Data: []byte{byte(i)}, ACL: openACL})
		if h := r.recv(nil); h.Err != protocol.ErrOK {
			t.Fatal(h.Err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		snaps, err := s1.node.snaps.List()
		if err != nil {
			t.Fatal(err)
		}
		if len(snaps) > 0 && snaps[0].Index > 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot after 10s: %v", snaps)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A few more writes that only the log holds.
	r.send(1000, protocol.OpSetData, &protocol.SetDataRequest{Path: "/n000", Data: []byte("last"), Version: -1})
	r.recv(nil)
	zxid := s1.fsm.LastZxid()
	s1.Close()

	s2 := startServer(t, o)
	if got := s2.fsm.LastZxid(); got != zxid {
		t.Fatalf("zxid 0x%x after restart, want 0x%x", got, zxid)
	}
	if got := s2.fsm.Stats().Nodes; got != n+4 {
		t.Fatalf("%d nodes after restart, want %d", got, n+4)
	}
	r2 := dialRaw(t, o.ClientAddr)
	if got := r2.connect(5000, resp.SessionID, resp.Passwd); got.SessionID != resp.SessionID {
		t.Fatalf("resume after restart: %+v", got)
	}
	var gd protocol.GetDataResponse
	r2.send(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/n000"})
	if r2.recv(&gd); string(gd.Data) != "last" {
		t.Fatalf("/n000 = %q after restart", gd.Data)
	}
}

// Resuming a session on a new connection closes the old one, which is stale.
func TestResumeReplacesConnection(t *testing.T) {
	s := startServer(t, testOptions(t))
	a := dialRaw(t, s.Addr().String())
	resp := a.connect(5000, 0, nil)
	a.send(1, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/", Watch: true})
	a.recv(&protocol.GetDataResponse{})
	b := dialRaw(t, s.Addr().String())
	if got := b.connect(5000, resp.SessionID, resp.Passwd); got.SessionID != resp.SessionID || got.TimeOut != 5000 {
		t.Fatalf("resume: %+v", got)
	}
	if !a.waitClosed(5 * time.Second) {
		t.Fatal("old connection of a resumed session stayed open")
	}
	b.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/after", ACL: openACL, Flags: protocol.ModeEphemeral})
	if h := b.recv(nil); h.Err != protocol.ErrOK {
		t.Fatal(h.Err)
	}
	var st protocol.StatResponse
	b.send(2, protocol.OpExists, &protocol.PathWatchRequest{Path: "/after"})
	if b.recv(&st); st.Stat.EphemeralOwner != resp.SessionID {
		t.Fatalf("ephemeral owner 0x%x, want 0x%x", st.Stat.EphemeralOwner, resp.SessionID)
	}
}

func TestMaxCnxns(t *testing.T) {
	o := testOptions(t)
	o.MaxCnxns = 1
	s := startServer(t, o)
	a := dialRaw(t, s.Addr().String())
	a.connect(5000, 0, nil)
	b := dialRaw(t, s.Addr().String())
	if !b.waitClosed(5 * time.Second) {
		t.Fatal("second connection accepted with maxCnxns=1")
	}
}
