package fsm

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

func TestSessionsAndEphemerals(t *testing.T) {
	h := newHarness(t, Options{})
	const a, b = int64(0x100000aef5e0000), int64(-0x7f00000000000005)
	h.mustOK(h.session(a, 6000))
	h.mustOK(h.session(b, 4000))
	wantErr(t, "duplicate session", h.session(a, 1).Err, protocol.ErrBadArguments)
	for _, bad := range []int64{0, containerOwner, -5, ttlOwner(3)} {
		wantErr(t, "unusable session id", h.session(bad, 1).Err, protocol.ErrBadArguments)
	}
	if got := h.f.Sessions(); !reflect.DeepEqual(got, []Session{{ID: b, Timeout: 4000}, {ID: a, Timeout: 6000}}) {
		t.Errorf("sessions %+v", got)
	}
	h.mkdir("/app")
	eph := func(sid int64, path string, flags int32) *Result {
		return h.do(sid, protocol.OpCreate, &protocol.CreateRequest{Path: path, ACL: worldAll, Flags: flags})
	}
	for _, p := range []string{"/app/z", "/app/b", "/e"} {
		h.mustOK(eph(a, p, protocol.ModeEphemeral))
	}
	r := h.mustOK(eph(a, "/app/s", protocol.ModeEphemeralSequential))
	if r.Resp.(*protocol.CreateResponse).Path != "/app/s0000000002" {
		t.Errorf("ephemeral sequential %+v", r.Resp)
	}
	h.mustOK(eph(b, "/app/other", protocol.ModeEphemeral))
	if s := h.stat("/app/z"); s.EphemeralOwner != a {
		t.Errorf("owner %#x", s.EphemeralOwner)
	}
	if got := h.f.Ephemerals(a, "/app"); !reflect.DeepEqual(got, []string{"/app/b", "/app/s0000000002", "/app/z"}) {
		t.Errorf("ephemerals %q", got)
	}
	if got := h.f.Ephemerals(a, "/"); len(got) != 4 {
		t.Errorf("all ephemerals %q", got)
	}
	if s, ok := h.f.Session(a); !ok || s.Ephemerals != 4 {
		t.Errorf("session row %+v %v", s, ok)
	}
	if st := h.f.Stats(); st.Ephemerals != 5 || st.Sessions != 2 {
		t.Errorf("stats %+v", st)
	}

	h.listen = true
	r = h.mustOK(h.do(a, protocol.OpCloseSession, nil))
	if !reflect.DeepEqual(r.Closed, []int64{a}) {
		t.Errorf("closed %v", r.Closed)
	}
	// Deleted in sorted path order, each with its parent's child event.
	want := []pathEvent{
		{protocol.EventNodeDeleted, "/app/b"}, {protocol.EventNodeChildrenChanged, "/app"},
		{protocol.EventNodeDeleted, "/app/s0000000002"}, {protocol.EventNodeChildrenChanged, "/app"},
		{protocol.EventNodeDeleted, "/app/z"}, {protocol.EventNodeChildrenChanged, "/app"},
		{protocol.EventNodeDeleted, "/e"}, {protocol.EventNodeChildrenChanged, "/"},
	}
	if !reflect.DeepEqual(pathEvents(r.Events), want) {
		t.Errorf("close events %+v", r.Events)
	}
	if len(h.heard) != 1 || h.heard[0] != r {
		t.Errorf("listener heard %v", h.heard)
	}
	if _, ok := h.f.Session(a); ok || h.exists("/e") || !h.exists("/app/other") {
		t.Error("close left the session or its nodes")
	}
	if st := h.f.Stats(); st.Ephemerals != 1 || st.Sessions != 1 {
		t.Errorf("stats after close %+v", st)
	}
	// A gone session can neither write nor close again.
	wantErr(t, "write from closed session", h.create("/x", "", 0, worldAll).Err, protocol.ErrOK)
	wantErr(t, "write from closed session", h.do(a, protocol.OpSetData, &protocol.SetDataRequest{Path: "/x", Version: -1}).Err, protocol.ErrSessionExpired)
	wantErr(t, "close closed session", h.do(a, protocol.OpCloseSession, nil).Err, protocol.ErrSessionExpired)
	wantErr(t, "ephemeral of unknown session", eph(77, "/y", protocol.ModeEphemeral).Err, protocol.ErrSessionExpired)

	// Expiry closes each live session listed, at the entry's time.
	h.mustOK(h.session(9, 100))
	h.mustOK(eph(9, "/nine", protocol.ModeEphemeral))
	r = h.apply(EncodeExpire(h.now, []int64{9, 12345, b}))
	if r.Op != protocol.OpCloseSession || !reflect.DeepEqual(r.Closed, []int64{9, b}) || len(r.Events) != 4 {
		t.Errorf("expire result %+v", r)
	}
	if len(h.f.Sessions()) != 0 || h.f.Stats().Ephemerals != 0 || h.exists("/nine") || h.exists("/app/other") {
		t.Error("expire left sessions or ephemerals")
	}
}

func TestPasswordAndSecret(t *testing.T) {
	h := newHarness(t, Options{})
	if h.f.HasSecret() || h.f.Password(1) != nil {
		t.Fatal("secret before init")
	}
	if r := h.apply(EncodeInit([]byte("first secret"))); r != nil {
		t.Errorf("init result %+v", r)
	}
	p1 := h.f.Password(1)
	if !h.f.HasSecret() || len(p1) != 16 || bytes.Equal(p1, h.f.Password(2)) || !bytes.Equal(p1, h.f.Password(1)) {
		t.Errorf("passwords %x %x", p1, h.f.Password(2))
	}
	h.apply(EncodeInit([]byte("second secret")))
	if !bytes.Equal(p1, h.f.Password(1)) {
		t.Error("a second init replaced the secret")
	}
	other := newHarness(t, Options{})
	other.apply(EncodeInit([]byte("first secret")))
	if !bytes.Equal(p1, other.f.Password(1)) {
		t.Error("password is not a function of secret and id")
	}
}
