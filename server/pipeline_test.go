package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

var openACL = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}

// Many writes and reads sent without waiting come back in request order, and
// each read sees the writes sent before it on the same connection.
func TestPipelineOrder(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	if resp := r.connect(5000, 0, nil); resp.SessionID == 0 {
		t.Fatal("no session")
	}
	const n = 200
	var out []byte
	xid := int32(1)
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("/p%d", i)
		out = protocol.AppendRequest(out, protocol.RequestHeader{Xid: xid, Type: protocol.OpCreate},
			&protocol.CreateRequest{Path: p, Data: []byte("v0"), ACL: openACL})
		xid++
		out = protocol.AppendRequest(out, protocol.RequestHeader{Xid: xid, Type: protocol.OpSetData},
			&protocol.SetDataRequest{Path: p, Data: []byte(fmt.Sprint("v", i)), Version: -1})
		xid++
		out = protocol.AppendRequest(out, protocol.RequestHeader{Xid: xid, Type: protocol.OpGetData},
			&protocol.PathWatchRequest{Path: p})
		xid++
	}
	r.write(out)
	var lastZxid int64
	for want := int32(1); want < xid; want++ {
		var body protocol.Record
		if (want-1)%3 == 2 {
			body = &protocol.GetDataResponse{}
		}
		h := r.recv(body)
		if h.Xid != want {
			t.Fatalf("reply %d arrived when %d was due", h.Xid, want)
		}
		if h.Err != protocol.ErrOK {
			t.Fatalf("xid %d: %v", h.Xid, h.Err)
		}
		if h.Zxid < lastZxid {
			t.Fatalf("xid %d: zxid went back from 0x%x to 0x%x", h.Xid, lastZxid, h.Zxid)
		}
		lastZxid = h.Zxid
		if gd, ok := body.(*protocol.GetDataResponse); ok {
			i := (want - 1) / 3
			if got := string(gd.Data); got != fmt.Sprint("v", i) {
				t.Fatalf("read of /p%d saw %q, not the write before it", i, got)
			}
		}
	}
}

// A watch event reaches the client before any reply that reflects the
// change, on the writer's own connection and on another one.
func TestWatchEventBeforeReply(t *testing.T) {
	s := startServer(t, testOptions(t))
	a := dialRaw(t, s.Addr().String())
	a.connect(5000, 0, nil)
	b := dialRaw(t, s.Addr().String())
	b.connect(5000, 0, nil)

	a.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/w", Data: []byte("0"), ACL: openACL})
	a.recv(nil)
	a.send(2, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/w", Watch: true})
	a.recv(&protocol.GetDataResponse{})

	// Another connection changes /w; a's next read must come after the event.
	b.send(1, protocol.OpSetData, &protocol.SetDataRequest{Path: "/w", Data: []byte("1"), Version: -1})
	if h := b.recv(nil); h.Err != protocol.ErrOK {
		t.Fatal(h.Err)
	}
	a.send(3, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/w", Watch: true})
	if ev := a.recvEvent(); ev.Type != protocol.EventNodeDataChanged || ev.Path != "/w" {
		t.Fatalf("event %+v", ev)
	}
	var gd protocol.GetDataResponse
	if h := a.recv(&gd); h.Xid != 3 || string(gd.Data) != "1" {
		t.Fatalf("reply xid %d data %q", h.Xid, gd.Data)
	}

	// The watcher's own write: the event precedes the write's reply.
	a.send(4, protocol.OpSetData, &protocol.SetDataRequest{Path: "/w", Data: []byte("2"), Version: -1})
	if ev := a.recvEvent(); ev.Type != protocol.EventNodeDataChanged {
		t.Fatalf("event %+v", ev)
	}
	if h := a.recv(nil); h.Xid != 4 {
		t.Fatalf("reply xid %d", h.Xid)
	}
}

// A frame longer than MaxBuffer closes that connection only.
func TestFrameTooLarge(t *testing.T) {
	o := testOptions(t)
	o.MaxBuffer = 4096
	s := startServer(t, o)
	good := dialRaw(t, s.Addr().String())
	good.connect(5000, 0, nil)
	bad := dialRaw(t, s.Addr().String())
	bad.connect(5000, 0, nil)
	bad.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/big", Data: make([]byte, 5000), ACL: openACL})
	if !bad.waitClosed(5 * time.Second) {
		t.Fatal("connection with an oversized frame stayed open")
	}
	good.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/small", Data: make([]byte, 1000), ACL: openACL})
	if h := good.recv(nil); h.Err != protocol.ErrOK {
		t.Fatalf("other connection: %v", h.Err)
	}
	if !strings.Contains(fourLetter(t, s, "mntr"), "zk_large_requests_rejected\t1\n") {
		t.Error("mntr does not count the rejected frame")
	}
}

// A request whose body does not decode gets MarshallingError in its place
// in the reply order, and the connection stays usable, as in ZooKeeper.
func TestUndecodableBodyAnswered(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	r.send(1, protocol.OpCreate, &protocol.CreateRequest{Path: "/a", ACL: openACL})
	r.send(2, protocol.OpGetData, nil)  // no body at all
	r.send(3, protocol.OpSetData, nil)  // a write with no body
	r.send(4, protocol.OpAddWatch, nil) // decoded by the pipeline itself
	r.send(5, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/a"})
	want := []protocol.ErrCode{protocol.ErrOK, protocol.ErrMarshallingError, protocol.ErrMarshallingError,
		protocol.ErrMarshallingError, protocol.ErrOK}
	for i, code := range want {
		var body protocol.Record
		if i == 4 {
			body = &protocol.GetDataResponse{}
		}
		h := r.recv(body)
		if h.Xid != int32(i+1) || h.Err != code {
			t.Fatalf("reply %d: xid %d err %v, want xid %d err %v", i, h.Xid, h.Err, i+1, code)
		}
	}
}
