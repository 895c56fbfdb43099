package fsm

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// owned applies one write of session through connection owner.
func (h *harness) owned(session, owner int64, op protocol.OpCode, body protocol.Record) *Result {
	h.t.Helper()
	h.cxid++
	var raw []byte
	if body != nil {
		raw = protocol.Marshal(body)
	}
	hdr := &Header{SessionID: session, Cxid: h.cxid, Op: op, Time: h.now + 1, Owner: owner}
	entry := EncodeRequest(hdr, raw)
	if entry[0] != EntryRequestOwned {
		h.t.Fatalf("owned entry has type %d", entry[0])
	}
	got, _, err := DecodeRequest(entry)
	if err != nil || got.Owner != owner || got.Op != op {
		h.t.Fatalf("decoded %+v, %v", got, err)
	}
	return h.apply(entry)
}

// TestSessionOwner: a session's writes through a connection that no longer
// owns it are SessionMoved and change nothing; an owner-less (older) entry
// is not checked; the owner survives a snapshot, and a version 1 snapshot
// (no owners) still restores.
func TestSessionOwner(t *testing.T) {
	h := newHarness(t, Options{})
	const sid, a, b = 0x101, 11, 22
	h.mustOK(h.owned(sid, a, protocol.OpCreateSession, &CreateSessionBody{Timeout: 5000}))
	h.mustOK(h.owned(sid, a, protocol.OpCreate, &protocol.CreateRequest{Path: "/a", ACL: worldAll}))
	h.mustOK(h.owned(sid, b, OpMoveSession, nil))
	r := h.owned(sid, a, protocol.OpCreate, &protocol.CreateRequest{Path: "/stale", ACL: worldAll})
	wantErr(t, "create through the old owner", r.Err, protocol.ErrSessionMoved)
	wantErr(t, "close through the old owner", h.owned(sid, a, protocol.OpCloseSession, nil).Err, protocol.ErrSessionMoved)
	if h.exists("/stale") || len(h.f.Sessions()) != 1 {
		t.Fatal("a refused write changed the tree or the sessions")
	}
	h.mustOK(h.owned(sid, b, protocol.OpCreate, &protocol.CreateRequest{Path: "/b", ACL: worldAll}))
	h.mustOK(h.do(sid, protocol.OpSetData, &protocol.SetDataRequest{Path: "/b", Data: []byte("x"), Version: -1}))

	snap := h.snapshot()
	g := New(Options{})
	if err := g.Restore(io.NopCloser(bytes.NewReader(snap))); err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, f: g, term: h.term, index: h.index, now: h.now, cxid: h.cxid}
	wantErr(t, "old owner after restore", h2.owned(sid, a, protocol.OpDelete, &protocol.DeleteRequest{Path: "/b", Version: -1}).Err, protocol.ErrSessionMoved)
	h2.mustOK(h2.owned(sid, b, protocol.OpDelete, &protocol.DeleteRequest{Path: "/b", Version: -1}))

	// Version 1: the same stream without the owner of each session.
	v1 := v1Snapshot(t, snap)
	k := New(Options{})
	if err := k.Restore(io.NopCloser(bytes.NewReader(v1))); err != nil {
		t.Fatalf("version 1 snapshot: %v", err)
	}
	h3 := &harness{t: t, f: k, term: h.term, index: h.index, now: h.now, cxid: h.cxid}
	h3.mustOK(h3.owned(sid, a, protocol.OpDelete, &protocol.DeleteRequest{Path: "/b", Version: -1}))
}

// v1Snapshot rewrites a version 2 snapshot of one session as version 1.
func v1Snapshot(t *testing.T, snap []byte) []byte {
	t.Helper()
	body := snap[:len(snap)-4]
	out := append([]byte(nil), body[:8]...)
	out = binary.BigEndian.AppendUint32(out, 1)
	d := protocol.NewDecoder(body[12:])
	d.Long()
	d.Buffer()
	headLen := len(body[12:]) - d.Remaining()
	out = append(out, body[12:12+headLen]...)
	if d.Int() != 1 {
		t.Fatal("want one session")
	}
	rest := body[12+headLen+4:]
	out = binary.BigEndian.AppendUint32(out, 1)
	out = append(out, rest[:12]...) // id, timeout
	out = append(out, rest[20:]...) // without the owner
	return binary.BigEndian.AppendUint32(out, crcOf(out))
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
