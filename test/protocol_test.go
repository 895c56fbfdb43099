package test

import (
	"fmt"
	"testing"
	"time"
)

// TestPipelinedRequestsInOrder: requests written back to back on one
// connection are answered in request order, and each read sees the writes
// sent before it on the same session.
func TestPipelinedRequestsInOrder(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	p := root + "/p"
	mustRawCreate(t, r, p, modePersistent)

	type pending struct {
		xid  int32
		op   int32
		want string
		ch   chan rawReply
	}
	var sent []pending
	for i := range 100 {
		data := fmt.Sprint(i)
		xid := r.nextXid()
		ch, err := r.send(xid, opSetData, (&enc{}).str(p).buf([]byte(data)).i32(-1).b)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, pending{xid, opSetData, "", ch})
		xid = r.nextXid()
		ch, err = r.send(xid, opGetData, (&enc{}).str(p).boolean(false).b)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, pending{xid, opGetData, data, ch})
	}
	var lastSeq, lastZxid int64
	for _, s := range sent {
		rep, err := r.wait(s.op, s.ch)
		if err != nil {
			t.Fatalf("xid %d: %v", s.xid, err)
		}
		if rep.Err != errOK {
			t.Fatalf("xid %d op %d: error %d", s.xid, s.op, rep.Err)
		}
		if rep.Seq <= lastSeq {
			t.Fatalf("the reply to xid %d arrived before an earlier request's reply", s.xid)
		}
		if rep.Zxid < lastZxid {
			t.Fatalf("reply zxid went back from %#x to %#x at xid %d", lastZxid, rep.Zxid, s.xid)
		}
		lastSeq, lastZxid = rep.Seq, rep.Zxid
		if s.op == opGetData {
			if got := (&dec{b: rep.Body}).buf(); string(got) != s.want {
				t.Fatalf("pipelined get (xid %d) returned %q, want %q written just before it", s.xid, got, s.want)
			}
		}
	}
}

// TestUnknownOpCode: ZooKeeper answers an op code it does not know with
// Unimplemented and then closes the connection.
func TestUnknownOpCode(t *testing.T) {
	r := raw(t, shared)
	rep, err := r.callXid(r.nextXid(), 999, nil)
	if err != nil {
		t.Fatalf("op 999: %v (want an Unimplemented reply)", err)
	}
	wantCode(t, "op 999", rep.Err, errUnimplemented)
	if !r.Closed(5 * time.Second) {
		t.Errorf("connection still open after an unknown op code")
	}
}

// TestReconfigDisabled: reconfig (op 16) on a server without
// reconfigEnabled gives ReconfigDisabled.
func TestReconfigDisabled(t *testing.T) {
	r := raw(t, shared)
	rep := r.call(16, (&enc{}).str("").str("").str("server.1=127.0.0.1:2888:3888;2181").i64(-1).b)
	wantCode(t, "reconfig", rep.Err, -123)
}

// TestSystemNodes: /zookeeper holds config and quota; both are protected
// from deletion, /zookeeper/config is world-readable only, and ordinary
// nodes may be created under /zookeeper.
func TestSystemNodes(t *testing.T) {
	r := raw(t, shared)
	kids, code := r.GetChildren("/zookeeper", false)
	have := map[string]bool{}
	for _, k := range kids {
		have[k] = true
	}
	if code != errOK || !have["config"] || !have["quota"] {
		t.Fatalf("children of /zookeeper = %v %d, want config and quota", kids, code)
	}
	data, _, rep := r.GetData("/zookeeper/config", false)
	if rep.Err != errOK || len(data) != 0 {
		t.Errorf("/zookeeper/config on a standalone server = %q %d, want empty", data, rep.Err)
	}
	acl, _, code := r.GetACL("/zookeeper/config")
	if code != errOK || len(acl) != 1 || acl[0].Perms != 1 || acl[0].Scheme != "world" || acl[0].ID != "anyone" {
		t.Errorf("ACL of /zookeeper/config = %v %d, want world:anyone read", acl, code)
	}
	_, code = r.SetData("/zookeeper/config", []byte("x"), -1)
	wantCode(t, "setData /zookeeper/config", code, errNoAuth)
	wantCode(t, "delete /zookeeper/quota", r.Delete("/zookeeper/quota", -1), errBadArguments)
	wantCode(t, "delete /zookeeper", r.Delete("/zookeeper", -1), errBadArguments)
	name := fmt.Sprintf("/zookeeper/test-%d", time.Now().UnixNano())
	if _, code := r.Create(name, nil, worldAll, 0); code != errOK {
		t.Fatalf("create %s: %d", name, code)
	}
	wantCode(t, "delete "+name, r.Delete(name, -1), errOK)
}

// TestMalformedRequestBody: a request whose body cannot be decoded is
// answered with MarshallingError and the connection stays usable; a frame
// with a negative length closes the connection.
func TestMalformedRequestBody(t *testing.T) {
	root := testRoot(t, shared)
	r := raw(t, shared)
	for _, tc := range []struct {
		name string
		op   int32
		body []byte
	}{
		{"getData without a body", opGetData, nil},
		{"getData without the watch flag", opGetData, (&enc{}).str(root).b},
		{"create without ACL and flags", opCreate, (&enc{}).str(root + "/x").buf(nil).b},
		{"create with an ACL count past the end", opCreate, (&enc{}).str(root + "/x").buf(nil).i32(1000).b},
		{"setData without a body", opSetData, nil},
		{"delete without a body", opDelete, nil},
		{"multi without a body", opMulti, nil},
	} {
		rep, err := r.callXid(r.nextXid(), tc.op, tc.body)
		if err != nil {
			t.Fatalf("%s: %v (want a MarshallingError reply, connection kept)", tc.name, err)
		}
		checkCode(t, tc.name, rep.Err, -5)
		if _, code := r.Exists(root, false); code != errOK {
			t.Fatalf("after %s: exists %d", tc.name, code)
		}
	}
	if _, code := r.Exists(root+"/x", false); code != errNoNode {
		t.Errorf("a malformed create made %s/x", root)
	}
	// Trailing bytes after a complete body are ignored.
	rep, err := r.callXid(r.nextXid(), opExists, (&enc{}).str(root).boolean(false).i32(77).i32(88).b)
	if err != nil || rep.Err != errOK {
		t.Errorf("exists with trailing bytes: %d %v, want OK", rep.Err, err)
	}

	bad := raw(t, shared)
	_ = bad.SendRaw([]byte{0xff, 0xff, 0xff, 0xff})
	if !bad.Closed(5 * time.Second) {
		t.Errorf("the server kept a connection that sent a negative frame length")
	}
}
