package fsm

import (
	"reflect"
	"strings"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

func multiOf(ops ...protocol.MultiOp) *protocol.MultiRequest { return &protocol.MultiRequest{Ops: ops} }

func mcreate(path string, flags int32) protocol.MultiOp {
	return protocol.MultiOp{Op: protocol.OpCreate, Req: &protocol.CreateRequest{Path: path, ACL: worldAll, Flags: flags}}
}

func TestMultiSuccess(t *testing.T) {
	h := newHarness(t, Options{ExtendedTypes: true})
	h.mustOK(h.create("/c", "", 0, worldAll))
	r := h.mustOK(h.do(0, protocol.OpMulti, multiOf(
		mcreate("/mm", 0),
		mcreate("/mm/a", 0),
		protocol.MultiOp{Op: protocol.OpDelete, Req: &protocol.DeleteRequest{Path: "/mm/a", Version: -1}},
		protocol.MultiOp{Op: protocol.OpSetData, Req: &protocol.SetDataRequest{Path: "/mm", Data: []byte("y"), Version: -1}},
		protocol.MultiOp{Op: protocol.OpCheck, Req: &protocol.CheckVersionRequest{Path: "/mm", Version: 1}},
		protocol.MultiOp{Op: protocol.OpCreate2, Req: &protocol.CreateRequest{Path: "/mm/s", ACL: worldAll, Flags: protocol.ModePersistentSequential}},
		protocol.MultiOp{Op: protocol.OpCreateContainer, Req: &protocol.CreateRequest{Path: "/cont", ACL: worldAll, Flags: protocol.ModeContainer}},
		protocol.MultiOp{Op: protocol.OpCreateTTL, Req: &protocol.CreateTTLRequest{Path: "/ttl", ACL: worldAll, Flags: protocol.ModePersistentWithTTL, TTL: 100}},
	)))
	res := r.Resp.(*protocol.MultiResponse).Results
	if len(res) != 8 {
		t.Fatalf("results %+v", res)
	}
	mm := h.stat("/mm")
	if res[0].Op != protocol.OpCreate || res[0].Resp.(*protocol.CreateResponse).Path != "/mm" ||
		res[1].Resp.(*protocol.CreateResponse).Path != "/mm/a" ||
		res[2].Op != protocol.OpDelete || res[2].Resp != nil ||
		res[3].Op != protocol.OpSetData || res[3].Resp.(*protocol.StatResponse).Stat.Version != 1 ||
		res[4].Op != protocol.OpCheck || res[4].Err != protocol.ErrOK {
		t.Errorf("results %+v", res)
	}
	// create2 of a sequential node answers as create (path only); containers
	// and TTL nodes answer as create2 with a stat.
	if res[5].Op != protocol.OpCreate || res[5].Resp.(*protocol.CreateResponse).Path != "/mm/s0000000001" {
		t.Errorf("create2 result %+v", res[5])
	}
	if c, ok := res[6].Resp.(*protocol.Create2Response); res[6].Op != protocol.OpCreate2 || !ok || c.Path != "/cont" || c.Stat != h.stat("/cont") {
		t.Errorf("container result %+v", res[6])
	}
	if c, ok := res[7].Resp.(*protocol.Create2Response); res[7].Op != protocol.OpCreate2 || !ok || c.Stat.Czxid != r.Zxid {
		t.Errorf("ttl result %+v", res[7])
	}
	// As in ZooKeeper: every op of the multi carries the multi's zxid.
	if mm.Czxid != r.Zxid || mm.Mzxid != r.Zxid || mm.Version != 1 || mm.Cversion != 3 || mm.NumChildren != 1 {
		t.Errorf("/mm %+v", mm)
	}
	want := []pathEvent{
		{protocol.EventNodeCreated, "/mm"}, {protocol.EventNodeChildrenChanged, "/"},
		{protocol.EventNodeCreated, "/mm/a"}, {protocol.EventNodeChildrenChanged, "/mm"},
		{protocol.EventNodeDeleted, "/mm/a"}, {protocol.EventNodeChildrenChanged, "/mm"},
		{protocol.EventNodeDataChanged, "/mm"},
		{protocol.EventNodeCreated, "/mm/s0000000001"}, {protocol.EventNodeChildrenChanged, "/mm"},
		{protocol.EventNodeCreated, "/cont"}, {protocol.EventNodeChildrenChanged, "/"},
		{protocol.EventNodeCreated, "/ttl"}, {protocol.EventNodeChildrenChanged, "/"},
	}
	if !reflect.DeepEqual(pathEvents(r.Events), want) {
		t.Errorf("events\n%+v\nwant\n%+v", r.Events, want)
	}
	// An empty multi succeeds with no results.
	r = h.mustOK(h.do(0, protocol.OpMulti, multiOf()))
	if len(r.Resp.(*protocol.MultiResponse).Results) != 0 {
		t.Errorf("empty multi %+v", r.Resp)
	}
}

// Checked against ZooKeeper 3.8: a failed multi answers OK in the header and
// gives OK error results before the failing op, its code, then
// RuntimeInconsistency; nothing of it is applied.
func TestMultiFailure(t *testing.T) {
	h := newHarness(t, Options{})
	h.mkdir("/x")
	before := h.snapshot()
	r := h.do(0, protocol.OpMulti, multiOf(
		mcreate("/m1", 0),
		protocol.MultiOp{Op: protocol.OpSetData, Req: &protocol.SetDataRequest{Path: "/x", Data: []byte("z"), Version: -1}},
		protocol.MultiOp{Op: protocol.OpCheck, Req: &protocol.CheckVersionRequest{Path: "/x", Version: 0}},
		mcreate("/m2", 0),
	))
	if r.Err != protocol.ErrOK {
		t.Fatalf("multi err %v", r.Err)
	}
	want := []protocol.MultiResult{
		{Op: protocol.OpError, Err: protocol.ErrOK},
		{Op: protocol.OpError, Err: protocol.ErrOK},
		{Op: protocol.OpError, Err: protocol.ErrBadVersion},
		{Op: protocol.OpError, Err: protocol.ErrRuntimeInconsistency},
	}
	if got := r.Resp.(*protocol.MultiResponse).Results; !reflect.DeepEqual(got, want) {
		t.Errorf("results %+v", got)
	}
	if r.Events != nil {
		t.Errorf("failed multi events %+v", r.Events)
	}
	if h.exists("/m1") || h.data("/x") != "" {
		t.Error("failed multi left changes")
	}
	after := h.snapshot()
	// Only lastZxid (bytes 12..20 of the stream) may differ.
	if !reflect.DeepEqual(before[20:len(before)-4], after[20:len(after)-4]) {
		t.Error("failed multi changed the state")
	}
	cases := []struct {
		name string
		ops  []protocol.MultiOp
		fail int
		code protocol.ErrCode
	}{
		{"missing node", []protocol.MultiOp{mcreate("/m1", 0), {Op: protocol.OpSetData, Req: &protocol.SetDataRequest{Path: "/nonexist", Version: -1}}, mcreate("/m2", 0)}, 1, protocol.ErrNoNode},
		{"check missing", []protocol.MultiOp{{Op: protocol.OpCheck, Req: &protocol.CheckVersionRequest{Path: "/nonexist", Version: -1}}}, 0, protocol.ErrNoNode},
		{"create then create again", []protocol.MultiOp{mcreate("/d", 0), mcreate("/d", 0)}, 1, protocol.ErrNodeExists},
		{"delete then use", []protocol.MultiOp{{Op: protocol.OpDelete, Req: &protocol.DeleteRequest{Path: "/x", Version: -1}}, mcreate("/x/c", 0)}, 1, protocol.ErrNoNode},
		{"wrong body type", []protocol.MultiOp{{Op: protocol.OpDelete, Req: &protocol.SetDataRequest{Path: "/x"}}}, 0, protocol.ErrBadArguments},
	}
	for _, c := range cases {
		// Built in-process: some of these cannot be encoded.
		tx := newTx(h.f.cur.Load(), &h.f.opts, 99, 99)
		resp := tx.multi(0, multiOf(c.ops...)).(*protocol.MultiResponse)
		if !tx.failed {
			t.Errorf("%s: multi did not fail", c.name)
			continue
		}
		for i, res := range resp.Results {
			want := protocol.ErrOK
			switch {
			case i == c.fail:
				want = c.code
			case i > c.fail:
				want = protocol.ErrRuntimeInconsistency
			}
			if res.Op != protocol.OpError || res.Err != want {
				t.Errorf("%s: result %d %+v, want error %v", c.name, i, res, want)
			}
		}
	}
}

func TestMalformedBodies(t *testing.T) {
	h := newHarness(t, Options{})
	// A body that does not decode is an error result on every replica, not
	// a panic.
	r := h.apply(EncodeRequest(&Header{Op: protocol.OpCreate, Time: 1}, []byte{0, 0, 0}))
	wantErr(t, "truncated create", r.Err, protocol.ErrMarshallingError)
	r = h.apply(EncodeRequest(&Header{SessionID: 5, Op: protocol.OpCreateSession, Time: 1}, []byte{1}))
	wantErr(t, "truncated session body", r.Err, protocol.ErrMarshallingError)
	if h.f.Stats().Nodes != 4 || len(h.f.Sessions()) != 0 {
		t.Error("malformed bodies changed the state")
	}
}

func TestEntryPanicsAndIgnorable(t *testing.T) {
	h := newHarness(t, Options{})
	mustPanic := func(name string, entry []byte) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		h.apply(entry)
	}
	mustPanic("empty", nil)
	mustPanic("unknown type", []byte{0x7f, 1, 2})
	mustPanic("truncated header", []byte{EntryRequest, 0, 0})
	mustPanic("truncated expire", []byte{EntryExpire, 0})
	mustPanic("reap with trailing bytes", append(EncodeReap(1, []string{"/a"}), 9))
	mustPanic("truncated auth vector", append(append([]byte{EntryRequest}, make([]byte, 24)...), 0x7f, 0xff, 0xff, 0xff))
	zxid := h.f.LastZxid()
	if r := h.apply([]byte{EntryIgnorable | 0x11, 1, 2, 3}); r != nil {
		t.Errorf("ignorable entry result %+v", r)
	}
	if h.f.LastZxid() == zxid || h.f.LastZxid() != h.zxid() {
		t.Error("ignorable entry did not advance the zxid")
	}
}

func TestEntryCodecs(t *testing.T) {
	hdr := Header{SessionID: -7, Cxid: 42, Op: protocol.OpSetData, Time: 1234,
		Auth: []protocol.Id{{Scheme: "digest", ID: "u:h"}, {Scheme: "ip", ID: "10.0.0.1"}}}
	body := []byte("raw body")
	entry := EncodeRequest(&hdr, body)
	if entry[0] != EntryRequest {
		t.Fatalf("type %d", entry[0])
	}
	got, gotBody, err := DecodeRequest(entry)
	if err != nil || !reflect.DeepEqual(got, hdr) || string(gotBody) != "raw body" {
		t.Errorf("request round trip: %+v %q %v", got, gotBody, err)
	}
	got, gotBody, err = DecodeRequest(EncodeRequest(&Header{Op: protocol.OpCloseSession}, nil))
	if err != nil || got.Auth != nil || len(gotBody) != 0 {
		t.Errorf("empty request: %+v %v", got, err)
	}
	secret, err := DecodeInit(EncodeInit([]byte("s3cret")))
	if err != nil || string(secret) != "s3cret" {
		t.Errorf("init %q %v", secret, err)
	}
	tm, ids, err := DecodeExpire(EncodeExpire(99, []int64{3, -1}))
	if err != nil || tm != 99 || !reflect.DeepEqual(ids, []int64{3, -1}) {
		t.Errorf("expire %d %v %v", tm, ids, err)
	}
	tm, paths, err := DecodeReap(EncodeReap(77, []string{"/a", "/b/c"}))
	if err != nil || tm != 77 || !reflect.DeepEqual(paths, []string{"/a", "/b/c"}) {
		t.Errorf("reap %d %v %v", tm, paths, err)
	}
	if _, _, err := DecodeReap(EncodeExpire(1, nil)); err == nil {
		t.Error("reap decoder accepted an expire entry")
	}
	// The jute header is what DESIGN.md promises: sessionID, cxid, op, time.
	want := "01fffffffffffffff90000002a00000005"
	if got := strings.ToLower(hexString(entry[:17])); got != want {
		t.Errorf("wire layout %s, want %s", got, want)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func FuzzDecodeEntries(f *testing.F) {
	f.Add(EncodeRequest(&Header{SessionID: 1, Op: protocol.OpCreate, Auth: []protocol.Id{{Scheme: "a", ID: "b"}}}, []byte{1, 2}))
	f.Add(EncodeExpire(5, []int64{1, 2}))
	f.Add(EncodeReap(5, []string{"/x"}))
	f.Add(EncodeInit([]byte("k")))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, body, err := DecodeRequest(b); err == nil {
			h2, body2, err := DecodeRequest(EncodeRequest(&h, body))
			if err != nil || !reflect.DeepEqual(h, h2) || string(body) != string(body2) {
				t.Errorf("request does not survive a re-encode: %v", err)
			}
		}
		DecodeInit(b)
		DecodeExpire(b)
		DecodeReap(b)
	})
}
