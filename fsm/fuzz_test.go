package fsm

import (
	"bytes"
	"io"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// FuzzApplyRequestBody: a client's request body is client input. Whatever it
// holds, applying it must give a result, never a panic.
func FuzzApplyRequestBody(f *testing.F) {
	f.Add(int32(protocol.OpCreate), protocol.Marshal(&protocol.CreateRequest{Path: "/a", ACL: worldAll}))
	f.Add(int32(protocol.OpMulti), protocol.Marshal(&protocol.MultiRequest{Ops: []protocol.MultiOp{mcreate("/a", 0), mcreate("/a/b", 2)}}))
	f.Add(int32(protocol.OpCreateTTL), protocol.Marshal(&protocol.CreateTTLRequest{Path: "/t", ACL: worldAll, Flags: 5, TTL: 10}))
	f.Add(int32(protocol.OpSetACL), protocol.Marshal(&protocol.SetACLRequest{Path: "/", ACL: aclOf(31, "ip", "1.2.3.4/8"), Version: -1}))
	f.Add(int32(protocol.OpDelete), protocol.Marshal(&protocol.DeleteRequest{Path: "/zookeeper", Version: -1}))
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		fsm := New(Options{ExtendedTypes: true, EnforceQuota: true})
		fsm.Apply(&raft.Log{Term: 1, Index: 1, Data: EncodeRequest(&Header{SessionID: 0x10, Op: protocol.OpCreateSession}, protocol.Marshal(&CreateSessionBody{Timeout: 1}))})
		for i, sid := range []int64{0x10, 0} {
			out := fsm.Apply(&raft.Log{Term: 1, Index: uint64(2 + i), Data: EncodeRequest(&Header{SessionID: sid, Op: protocol.OpCode(op), Auth: []protocol.Id{{Scheme: "digest", ID: "u:h"}}}, body)})
			if out == nil {
				t.Fatal("no result")
			}
		}
		var buf bytes.Buffer
		if err := writeSnapshot(&buf, fsm.cur.Load()); err != nil {
			t.Fatal(err)
		}
		if err := New(Options{}).Restore(io.NopCloser(&buf)); err != nil {
			t.Fatalf("state after a fuzzed request does not restore: %v", err)
		}
	})
}

// FuzzRestore: a damaged snapshot is an error, never a panic.
func FuzzRestore(f *testing.F) {
	h := richState(f)
	f.Add(h.snapshot())
	f.Add(newHarness(f, Options{}).snapshot())
	f.Fuzz(func(t *testing.T, data []byte) {
		g := New(Options{})
		if err := g.Restore(io.NopCloser(bytes.NewReader(data))); err != nil {
			return
		}
		// Accepted: it must write back to the same bytes.
		var buf bytes.Buffer
		if err := writeSnapshot(&buf, g.cur.Load()); err != nil || !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("accepted snapshot does not round trip: %v", err)
		}
	})
}
