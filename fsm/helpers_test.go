package fsm

import (
	"bytes"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

var (
	worldAll  = []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}
	worldRead = []protocol.ACL{{Perms: protocol.PermRead, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}
)

func aclOf(perms int32, scheme, id string) []protocol.ACL {
	return []protocol.ACL{{Perms: perms, ID: protocol.Id{Scheme: scheme, ID: id}}}
}

// harness applies hand-built raft entries to an FSM, one index at a time.
type harness struct {
	t      testing.TB
	f      *FSM
	term   uint64
	index  uint64
	now    int64
	cxid   int32
	heard  []*Result // what the OnApply listener saw
	listen bool
}

func newHarness(t testing.TB, opts Options) *harness {
	h := &harness{t: t, f: New(opts), term: 1, now: 1_000_000}
	h.f.OnApply(func(r *Result) {
		if h.listen {
			h.heard = append(h.heard, r)
		}
	})
	return h
}

func (h *harness) apply(entry []byte) *Result {
	h.index++
	h.now++
	out := h.f.Apply(&raft.Log{Term: h.term, Index: h.index, Data: entry})
	if out == nil {
		return nil
	}
	return out.(*Result)
}

func (h *harness) zxid() int64 { return Zxid(h.term, h.index) }

// do applies one client write from session with the given identities.
func (h *harness) do(session int64, op protocol.OpCode, body protocol.Record, auth ...protocol.Id) *Result {
	h.t.Helper()
	h.cxid++
	var raw []byte
	if body != nil {
		raw = protocol.Marshal(body)
	}
	hdr := &Header{SessionID: session, Cxid: h.cxid, Op: op, Time: h.now + 1, Auth: auth}
	r := h.apply(EncodeRequest(hdr, raw))
	if r == nil {
		h.t.Fatalf("%v: no result", op)
	}
	if r.Op != op || r.SessionID != session || r.Cxid != h.cxid || r.Zxid != h.zxid() {
		h.t.Fatalf("%v: result header %+v", op, r)
	}
	return r
}

func (h *harness) mustOK(r *Result) *Result {
	h.t.Helper()
	if r.Err != protocol.ErrOK {
		h.t.Fatalf("%v: err %v", r.Op, r.Err)
	}
	return r
}

func (h *harness) create(path string, data string, flags int32, acl []protocol.ACL, auth ...protocol.Id) *Result {
	h.t.Helper()
	return h.do(0, protocol.OpCreate, &protocol.CreateRequest{Path: path, Data: []byte(data), ACL: acl, Flags: flags}, auth...)
}

func (h *harness) mkdir(paths ...string) {
	h.t.Helper()
	for _, p := range paths {
		h.mustOK(h.create(p, "", 0, worldAll))
	}
}

func (h *harness) session(id int64, timeout int32) *Result {
	h.t.Helper()
	return h.do(id, protocol.OpCreateSession, &CreateSessionBody{Timeout: timeout})
}

func (h *harness) read(op protocol.OpCode, req protocol.Record, auth ...protocol.Id) (protocol.Record, protocol.ErrCode) {
	resp, zxid, code := h.f.Read(op, req, auth, nil)
	if zxid != h.f.LastZxid() {
		h.t.Fatalf("read zxid %#x, last %#x", zxid, h.f.LastZxid())
	}
	return resp, code
}

func (h *harness) stat(path string) protocol.Stat {
	h.t.Helper()
	resp, code := h.read(protocol.OpExists, &protocol.PathWatchRequest{Path: path})
	if code != protocol.ErrOK {
		h.t.Fatalf("exists %s: %v", path, code)
	}
	return resp.(*protocol.StatResponse).Stat
}

func (h *harness) exists(path string) bool {
	_, code := h.read(protocol.OpExists, &protocol.PathWatchRequest{Path: path})
	return code == protocol.ErrOK
}

func (h *harness) data(path string) string {
	h.t.Helper()
	resp, code := h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: path}, protocol.Id{Scheme: "super"})
	if code != protocol.ErrOK {
		h.t.Fatalf("getData %s: %v", path, code)
	}
	return string(resp.(*protocol.GetDataResponse).Data)
}

func (h *harness) children(path string) []string {
	h.t.Helper()
	resp, code := h.read(protocol.OpGetChildren, &protocol.PathWatchRequest{Path: path}, protocol.Id{Scheme: "super"})
	if code != protocol.ErrOK {
		h.t.Fatalf("getChildren %s: %v", path, code)
	}
	return resp.(*protocol.GetChildrenResponse).Children
}

func (h *harness) snapshot() []byte {
	h.t.Helper()
	var buf bytes.Buffer
	if err := writeSnapshot(&buf, h.f.cur.Load()); err != nil {
		h.t.Fatal(err)
	}
	return buf.Bytes()
}

func wantErr(t testing.TB, what string, got, want protocol.ErrCode) {
	t.Helper()
	if got != want {
		t.Errorf("%s: err %v (%d), want %v (%d)", what, got, got, want, want)
	}
}
