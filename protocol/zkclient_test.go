package protocol

import (
	"bytes"
	"errors"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// These tests put go-zookeeper/zk, an independent implementation of the
// protocol, on the other end of a socket: every frame it sends must decode
// with this package and re-encode to the same bytes, and every reply this
// package encodes must decode in the client to the values sent.

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

type captured struct {
	h    RequestHeader
	body Record
}

// fakeServer answers one go-zookeeper/zk connection: the handshake, pings,
// closeSession, and every other request with replies[op].
type fakeServer struct {
	t       *testing.T
	ln      net.Listener
	replies map[OpCode]Record
	connect chan ConnectRequest
	reqs    chan captured
	done    chan struct{}
}

func startFakeServer(t *testing.T, replies map[OpCode]Record) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln, replies: replies, connect: make(chan ConnectRequest, 1),
		reqs: make(chan captured, 16), done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		<-s.done
	})
	return s
}

func (s *fakeServer) serve() {
	defer close(s.done)
	c, err := s.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	frame, err := ReadFrame(c, DefaultMaxBuffer, nil)
	if err != nil {
		s.t.Errorf("read connect frame: %v", err)
		return
	}
	var cr ConnectRequest
	if err := Unmarshal(frame, &cr); err != nil {
		s.t.Errorf("decode connect request: %v", err)
		return
	}
	if re := AppendFrame(nil, &cr); !bytes.Equal(re[4:], frame) {
		s.t.Errorf("connect request re-encodes as %x, client sent %x", re[4:], frame)
	}
	s.connect <- cr
	resp := ConnectResponse{TimeOut: cr.TimeOut, SessionID: 0x1234, Passwd: bytes.Repeat([]byte{7}, 16),
		HasReadOnly: cr.HasReadOnly}
	if _, err := c.Write(AppendFrame(nil, &resp)); err != nil {
		return
	}
	buf := make([]byte, 0, 4096)
	for {
		frame, err := ReadFrame(c, DefaultMaxBuffer, buf)
		if err != nil {
			return // the client closed the connection
		}
		h, body, err := ParseRequest(frame)
		if err != nil {
			s.t.Errorf("request %+v %x: %v", h, frame, err)
			return
		}
		if re := AppendRequest(nil, h, body); !bytes.Equal(re[4:], frame) {
			s.t.Errorf("%v request re-encodes as %x, client sent %x", h.Type, re[4:], frame)
		}
		var reply Record
		switch h.Type {
		case OpPing, OpCloseSession:
		default:
			s.reqs <- captured{h, body}
			reply = s.replies[h.Type]
		}
		if _, err := c.Write(AppendReply(nil, ReplyHeader{Xid: h.Xid, Zxid: 0x500000001}, reply)); err != nil {
			return
		}
		if h.Type == OpCloseSession {
			return
		}
	}
}

// next returns the next captured request, failing after a deadline.
func (s *fakeServer) next(t *testing.T, op OpCode) Record {
	t.Helper()
	select {
	case c := <-s.reqs:
		if c.h.Type != op {
			t.Fatalf("got op %v, want %v", c.h.Type, op)
		}
		return c.body
	case <-time.After(5 * time.Second):
		t.Fatalf("no %v request", op)
		return nil
	}
}

func TestGoZookeeperInterop(t *testing.T) {
	stat := sampleStat
	replies := map[OpCode]Record{
		OpCreate:          &CreateResponse{Path: "/a"},
		OpCreateContainer: &Create2Response{Path: "/c", Stat: stat}, // as ZooKeeper answers it
		OpCreateTTL:       &Create2Response{Path: "/t", Stat: stat},
		OpGetData:         &GetDataResponse{Data: []byte("hello"), Stat: stat},
		OpSetData:         &StatResponse{Stat: stat},
		OpExists:          &StatResponse{Stat: stat},
		OpGetChildren2:    &GetChildren2Response{Children: []string{"x", "y"}, Stat: stat},
		OpGetACL:          &GetACLResponse{ACL: sampleACL, Stat: stat},
		OpSetACL:          &StatResponse{Stat: stat},
		OpSync:            &PathResponse{Path: "/s"},
		OpDelete:          nil,
		OpMulti: &MultiResponse{Results: []MultiResult{
			{Op: OpCreate, Resp: &CreateResponse{Path: "/m1"}},
			{Op: OpSetData, Resp: &StatResponse{Stat: stat}},
			{Op: OpDelete},
			{Op: OpCheck},
		}},
	}
	s := startFakeServer(t, replies)
	conn, _, err := zk.Connect([]string{s.ln.Addr().String()}, 4*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	select {
	case cr := <-s.connect:
		want := ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}
		if !reflect.DeepEqual(cr, want) {
			t.Fatalf("connect request %+v, want %+v", cr, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connect request")
	}

	acl := zk.WorldACL(zk.PermAll)
	wantACL := []ACL{{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}}}
	check := func(got, want Record) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("request %#v, want %#v", got, want)
		}
	}
	wantStat := zk.Stat{Czxid: stat.Czxid, Mzxid: stat.Mzxid, Ctime: stat.Ctime, Mtime: stat.Mtime,
		Version: stat.Version, Cversion: stat.Cversion, Aversion: stat.Aversion,
		EphemeralOwner: stat.EphemeralOwner, DataLength: stat.DataLength,
		NumChildren: stat.NumChildren, Pzxid: stat.Pzxid}

	p, err := conn.Create("/a", []byte("x"), zk.FlagEphemeral, acl)
	if err != nil || p != "/a" {
		t.Fatalf("Create: %q %v", p, err)
	}
	check(s.next(t, OpCreate), &CreateRequest{Path: "/a", Data: []byte("x"), ACL: wantACL, Flags: ModeEphemeral})

	if p, err = conn.CreateContainer("/c", nil, zk.FlagContainer, acl); err != nil || p != "/c" {
		t.Fatalf("CreateContainer: %q %v", p, err)
	}
	check(s.next(t, OpCreateContainer), &CreateRequest{Path: "/c", ACL: wantACL, Flags: ModeContainer})

	if p, err = conn.CreateTTL("/t", []byte{}, zk.FlagTTL, acl, 90*time.Second); err != nil || p != "/t" {
		t.Fatalf("CreateTTL: %q %v", p, err)
	}
	check(s.next(t, OpCreateTTL), &CreateTTLRequest{Path: "/t", Data: []byte{}, ACL: wantACL, Flags: ModePersistentWithTTL, TTL: 90000})

	data, st, _, err := conn.GetW("/g")
	if err != nil || string(data) != "hello" || *st != wantStat {
		t.Fatalf("GetW: %q %+v %v", data, st, err)
	}
	check(s.next(t, OpGetData), &PathWatchRequest{Path: "/g", Watch: true})

	if st, err = conn.Set("/g", []byte("v"), 3); err != nil || *st != wantStat {
		t.Fatalf("Set: %+v %v", st, err)
	}
	check(s.next(t, OpSetData), &SetDataRequest{Path: "/g", Data: []byte("v"), Version: 3})

	ok, st, err := conn.Exists("/e")
	if err != nil || !ok || *st != wantStat {
		t.Fatalf("Exists: %v %+v %v", ok, st, err)
	}
	check(s.next(t, OpExists), &PathWatchRequest{Path: "/e"})

	children, st, _, err := conn.ChildrenW("/")
	if err != nil || !reflect.DeepEqual(children, []string{"x", "y"}) || *st != wantStat {
		t.Fatalf("ChildrenW: %v %+v %v", children, st, err)
	}
	check(s.next(t, OpGetChildren2), &PathWatchRequest{Path: "/", Watch: true})

	gotACL, st, err := conn.GetACL("/a")
	if err != nil || len(gotACL) != 2 || gotACL[1].Scheme != "digest" || *st != wantStat {
		t.Fatalf("GetACL: %+v %+v %v", gotACL, st, err)
	}
	check(s.next(t, OpGetACL), &PathRequest{Path: "/a"})

	if _, err = conn.SetACL("/a", zk.DigestACL(zk.PermRead, "u", "p"), 1); err != nil {
		t.Fatalf("SetACL: %v", err)
	}
	sa := s.next(t, OpSetACL).(*SetACLRequest)
	if sa.Path != "/a" || sa.Version != 1 || len(sa.ACL) != 1 || sa.ACL[0].ID.Scheme != "digest" || sa.ACL[0].Perms != PermRead {
		t.Fatalf("SetACL request %+v", sa)
	}

	if p, err = conn.Sync("/s"); err != nil || p != "/s" {
		t.Fatalf("Sync: %q %v", p, err)
	}
	check(s.next(t, OpSync), &PathRequest{Path: "/s"})

	if err = conn.Delete("/d", -1); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	check(s.next(t, OpDelete), &DeleteRequest{Path: "/d", Version: -1})

	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/m1", Data: []byte("1"), Acl: acl, Flags: zk.FlagSequence},
		&zk.SetDataRequest{Path: "/m2", Data: []byte("2"), Version: 4},
		&zk.DeleteRequest{Path: "/m3", Version: 5},
		&zk.CheckVersionRequest{Path: "/m4", Version: 6},
	)
	if err != nil || len(res) != 4 || res[0].String != "/m1" || res[1].Stat == nil || *res[1].Stat != wantStat {
		t.Fatalf("Multi: %+v %v", res, err)
	}
	check(s.next(t, OpMulti), &MultiRequest{Ops: []MultiOp{
		{Op: OpCreate, Req: &CreateRequest{Path: "/m1", Data: []byte("1"), ACL: wantACL, Flags: ModePersistentSequential}},
		{Op: OpSetData, Req: &SetDataRequest{Path: "/m2", Data: []byte("2"), Version: 4}},
		{Op: OpDelete, Req: &DeleteRequest{Path: "/m3", Version: 5}},
		{Op: OpCheck, Req: &CheckVersionRequest{Path: "/m4", Version: 6}},
	}})
}

// A failed multi as ZooKeeper sends it must surface in go-zookeeper/zk as the
// failing op's error.
func TestGoZookeeperFailedMulti(t *testing.T) {
	s := startFakeServer(t, map[OpCode]Record{OpMulti: &MultiResponse{Results: []MultiResult{
		{Op: OpError, Err: ErrOK},
		{Op: OpError, Err: ErrBadVersion},
		{Op: OpError, Err: ErrRuntimeInconsistency},
	}}})
	conn, _, err := zk.Connect([]string{s.ln.Addr().String()}, 4*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	<-s.connect
	res, err := conn.Multi(
		&zk.CheckVersionRequest{Path: "/a", Version: 1},
		&zk.SetDataRequest{Path: "/b", Version: 2},
		&zk.DeleteRequest{Path: "/c", Version: 3},
	)
	if !errors.Is(err, zk.ErrBadVersion) || len(res) != 3 || res[0].Error != nil ||
		!errors.Is(res[1].Error, zk.ErrBadVersion) || res[2].Error == nil {
		t.Fatalf("failed multi: %+v %v", res, err)
	}
	s.next(t, OpMulti)
}

func TestReadFrameFromPipe(t *testing.T) {
	// ReadFrame against a real stream delivering a frame in pieces.
	a, b := net.Pipe()
	defer a.Close()
	frame := AppendRequest(nil, RequestHeader{Xid: 9, Type: OpGetData}, &PathWatchRequest{Path: "/p"})
	go func() {
		for _, c := range frame {
			if _, err := b.Write([]byte{c}); err != nil {
				return
			}
		}
		b.Close()
	}()
	got, err := ReadFrame(a, 100, nil)
	if err != nil || !bytes.Equal(got, frame[4:]) {
		t.Fatalf("ReadFrame: %x %v", got, err)
	}
	if _, err := ReadFrame(a, 100, nil); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}
