package fsm

import (
	"bytes"
	"io"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// TestConfigEntry: an EntryConfig gives /zookeeper/config ZooKeeper's
// content and Stat (version=<hex zxid>, mzxid, mtime, version -1), fires
// NodeDataChanged, answers the reconfig that asked for it, and survives a
// snapshot; a refused reconfig changes nothing.
func TestConfigEntry(t *testing.T) {
	h := newHarness(t, Options{SuperDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU="})
	if got := h.f.Config(); len(got) != 0 {
		t.Fatalf("fresh config %q, want empty", got)
	}
	if _, ok := ConfigVersion(h.f.Config()); ok {
		t.Fatal("a fresh tree has a config version")
	}
	lines := "server.1=127.0.0.1:1:2:participant;127.0.0.1:3\nserver.2=127.0.0.1:4:5:observer;127.0.0.1:6\n"
	h.listen = true
	res := h.apply(EncodeConfig(&ConfigChange{SessionID: 7, Cxid: 3, Time: 42, Members: lines}))
	zxid := h.zxid()
	want := lines + "version=" + "100000001"
	if got := h.data(configNode); got != want {
		t.Fatalf("config %q, want %q", got, want)
	}
	st := h.stat(configNode)
	if st.Mzxid != zxid || st.Mtime != 42 || st.Version != -1 || st.Aversion != -1 || st.Czxid != 0 || st.DataLength != int32(len(want)) {
		t.Fatalf("stat %+v", st)
	}
	if v, ok := ConfigVersion(h.f.Config()); !ok || v != zxid {
		t.Fatalf("ConfigVersion = %x, %v; want %x", v, ok, zxid)
	}
	if res.SessionID != 7 || res.Cxid != 3 || res.Op != protocol.OpReconfig || res.Err != protocol.ErrOK {
		t.Fatalf("result %+v", res)
	}
	if r, ok := res.Resp.(*protocol.GetConfigResponse); !ok || string(r.Data) != want || r.Stat != st {
		t.Fatalf("reply %+v", res.Resp)
	}
	if len(res.Events) != 1 || res.Events[0].Type != protocol.EventNodeDataChanged || res.Events[0].Path != configNode {
		t.Fatalf("events %+v", res.Events)
	}

	refused := h.apply(EncodeConfig(&ConfigChange{SessionID: 7, Cxid: 4, Err: protocol.ErrBadVersion, Members: "x"}))
	if refused.Err != protocol.ErrBadVersion || refused.Resp != nil || len(refused.Events) != 0 {
		t.Fatalf("refused result %+v", refused)
	}
	if got := h.data(configNode); got != want {
		t.Fatalf("a refused reconfig changed the config to %q", got)
	}

	g := New(Options{})
	if err := g.Restore(io.NopCloser(bytes.NewReader(h.snapshot()))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Config(), h.f.Config()) {
		t.Fatalf("restored config %q", g.Config())
	}

	if h.f.CanReconfig(nil) {
		t.Fatal("an anonymous client may reconfigure")
	}
	if !h.f.CanReconfig([]protocol.Id{{Scheme: "super", ID: "super"}}) {
		t.Fatal("the super user may not reconfigure")
	}
}

func TestConfigEntryUndecodablePanics(t *testing.T) {
	h := newHarness(t, Options{})
	defer func() {
		if recover() == nil {
			t.Fatal("an undecodable config entry did not panic")
		}
	}()
	h.apply([]byte{EntryConfig, 1, 2})
}
