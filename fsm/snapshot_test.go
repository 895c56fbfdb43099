package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

type memSink struct {
	bytes.Buffer
	closed, cancelled bool
}

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Close() error  { s.closed = true; return nil }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }

func persist(t testing.TB, f *FSM) []byte {
	t.Helper()
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil || !sink.closed || sink.cancelled {
		t.Fatalf("persist: %v closed=%v cancelled=%v", err, sink.closed, sink.cancelled)
	}
	snap.Release()
	return sink.Bytes()
}

// richState builds a tree with every kind of node, sessions, a secret and a
// quota.
func richState(t testing.TB) *harness {
	h := newHarness(t, Options{ExtendedTypes: true})
	h.apply(EncodeInit([]byte("cluster secret")))
	h.mustOK(h.session(0x101, 5000))
	h.mustOK(h.session(-0x7f00000000000001, 7000))
	h.mkdir("/app", "/app/cfg")
	h.mustOK(h.do(0, protocol.OpCreate, &protocol.CreateRequest{Path: "/null", ACL: worldAll}))
	h.mustOK(h.create("/app/data", "payload", 0, aclOf(31, "digest", DigestID("u:p"))))
	h.mustOK(h.do(0x101, protocol.OpCreate, &protocol.CreateRequest{Path: "/app/lock-", ACL: worldAll, Flags: protocol.ModeEphemeralSequential}))
	h.mustOK(h.do(-0x7f00000000000001, protocol.OpCreate, &protocol.CreateRequest{Path: "/app/e", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	h.mustOK(h.createContainer("/cont"))
	h.mkdir("/cont/x")
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/cont/x", Version: -1}))
	h.mustOK(h.createTTL("/ttl", protocol.ModePersistentWithTTL, 50))
	h.setQuota("/app", "count=10,bytes=-1")
	h.mustOK(h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/app/cfg", ACL: worldRead, Version: -1}))
	return h
}

func TestSnapshotRoundTrip(t *testing.T) {
	h := richState(t)
	snap := persist(t, h.f)
	if !bytes.Equal(snap, h.snapshot()) {
		t.Fatal("Persist and writeSnapshot differ")
	}
	g := New(Options{ExtendedTypes: true})
	if err := g.Restore(io.NopCloser(bytes.NewReader(snap))); err != nil {
		t.Fatal(err)
	}
	if again := persist(t, g); !bytes.Equal(snap, again) {
		t.Fatal("restored state persists differently")
	}
	if !reflect.DeepEqual(h.f.Stats(), g.Stats()) || !reflect.DeepEqual(h.f.Sessions(), g.Sessions()) {
		t.Errorf("stats %+v / %+v, sessions %+v / %+v", h.f.Stats(), g.Stats(), h.f.Sessions(), g.Sessions())
	}
	if !bytes.Equal(h.f.Password(0x101), g.Password(0x101)) || !g.HasSecret() {
		t.Error("secret lost")
	}
	if !reflect.DeepEqual(g.Ephemerals(0x101, "/"), []string{"/app/lock-0000000002"}) {
		t.Errorf("ephemerals %q", g.Ephemerals(0x101, "/"))
	}
	if got := g.ReapCandidates(1<<50, 10); !reflect.DeepEqual(got, []string{"/cont", "/ttl"}) {
		t.Errorf("reap candidates after restore %q", got)
	}
	if d, _, _ := g.Read(protocol.OpGetData, &protocol.PathWatchRequest{Path: "/null"}, nil, nil); d.(*protocol.GetDataResponse).Data != nil {
		t.Error("null data came back non-null")
	}
	for _, p := range []string{"/", "/app", "/app/cfg", "/app/data", "/cont", "/zookeeper/config"} {
		a, _, _ := h.f.Read(protocol.OpGetACL, &protocol.PathRequest{Path: p}, []protocol.Id{{Scheme: "super"}}, nil)
		b, _, _ := g.Read(protocol.OpGetACL, &protocol.PathRequest{Path: p}, []protocol.Id{{Scheme: "super"}}, nil)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: %+v / %+v", p, a, b)
		}
	}
	// The restored FSM keeps working: quota roots, sessions and sequence
	// counters came back.
	h2 := &harness{t: t, f: g, term: h.term, index: h.index, now: h.now}
	h2.mkdir("/app/more")
	if d := h2.data("/zookeeper/quota/app/zookeeper_stats"); d != "count=6,bytes=7" {
		t.Errorf("quota stats after restore %q", d)
	}
	r := h2.mustOK(h2.do(0x101, protocol.OpCreate, &protocol.CreateRequest{Path: "/app/lock-", ACL: worldAll, Flags: protocol.ModeEphemeralSequential}))
	if r.Resp.(*protocol.CreateResponse).Path != "/app/lock-0000000005" {
		t.Errorf("sequence after restore %+v", r.Resp)
	}
	r = h2.mustOK(h2.do(0x101, protocol.OpCloseSession, nil))
	if len(r.Events) != 4 || g.Stats().Ephemerals != 1 {
		t.Errorf("close after restore %+v", r)
	}
}

// Snapshot captures a state; later applies do not leak into it.
func TestSnapshotIsolation(t *testing.T) {
	h := richState(t)
	want := h.snapshot()
	snap, _ := h.f.Snapshot()
	h.mkdir("/later")
	h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/app", Data: []byte("changed"), Version: -1}))
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sink.Bytes(), want) {
		t.Error("snapshot saw applies made after it was taken")
	}
}

func TestSnapshotCorruption(t *testing.T) {
	h := richState(t)
	good := h.snapshot()
	g := newHarness(t, Options{})
	g.mkdir("/keep")
	before := g.snapshot()
	check := func(name string, data []byte) {
		t.Helper()
		err := g.f.Restore(io.NopCloser(bytes.NewReader(data)))
		if err == nil {
			t.Errorf("%s: accepted", name)
			return
		}
		if !bytes.Equal(g.snapshot(), before) {
			t.Fatalf("%s: state changed by a failed restore", name)
		}
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		bad := bytes.Clone(good)
		pos := rng.Intn(len(bad))
		bad[pos] ^= 1 << rng.Intn(8)
		check(fmt.Sprintf("bit flip at %d", pos), bad)
	}
	for _, n := range []int{0, 5, 12, 40, len(good) / 2, len(good) - 4, len(good) - 1} {
		check(fmt.Sprintf("truncated to %d", n), good[:n])
	}
	check("trailing byte", append(bytes.Clone(good), 0))
	bad := bytes.Clone(good)
	bad[11] = 9
	err := g.f.Restore(io.NopCloser(bytes.NewReader(bad)))
	if err == nil || errors.Is(err, ErrSnapshotCorrupt) {
		t.Errorf("unknown version: %v", err)
	}
	if err := g.f.Restore(io.NopCloser(bytes.NewReader(good))); err != nil {
		t.Fatalf("good snapshot: %v", err)
	}
	if !bytes.Equal(g.snapshot(), good) {
		t.Error("good snapshot did not restore")
	}
}

// Two replicas applying the same log end in byte-identical states and give
// identical results.
func TestDeterminism(t *testing.T) {
	entries := randomLog(rand.New(rand.NewSource(7)), 3000)
	a := newHarness(t, Options{ExtendedTypes: true, EnforceQuota: true})
	b := newHarness(t, Options{ExtendedTypes: true, EnforceQuota: true})
	for i, e := range entries {
		ra, rb := a.apply(e), b.apply(e)
		if !reflect.DeepEqual(ra, rb) {
			t.Fatalf("entry %d: results differ\n%+v\n%+v", i, ra, rb)
		}
	}
	sa, sb := a.snapshot(), b.snapshot()
	if !bytes.Equal(sa, sb) {
		t.Fatal("snapshots differ")
	}
	if st := a.f.Stats(); st.Nodes < 20 {
		t.Errorf("random log did too little: %+v", st)
	}
	// And a replica restored from a snapshot halfway continues identically.
	c := newHarness(t, Options{ExtendedTypes: true, EnforceQuota: true})
	for _, e := range entries[:1500] {
		c.apply(e)
	}
	d := newHarness(t, Options{ExtendedTypes: true, EnforceQuota: true})
	if err := d.f.Restore(io.NopCloser(bytes.NewReader(c.snapshot()))); err != nil {
		t.Fatal(err)
	}
	d.index = c.index
	for _, e := range entries[1500:] {
		d.apply(e)
	}
	if !bytes.Equal(d.snapshot(), sa) {
		t.Fatal("restored replica diverged")
	}
}

// randomLog makes a mix of every entry kind over a small path space so that
// ops collide, fail and succeed.
func randomLog(rng *rand.Rand, n int) [][]byte {
	paths := []string{"/a", "/b", "/a/x", "/a/y", "/b/z", "/a/x/q", "/c"}
	sessions := []int64{0x11, 0x22, 0x33}
	var out [][]byte
	now := int64(1000)
	req := func(sid int64, op protocol.OpCode, body protocol.Record) {
		out = append(out, EncodeRequest(&Header{SessionID: sid, Op: op, Time: now}, protocol.Marshal(body)))
	}
	out = append(out, EncodeInit([]byte("k")))
	for len(out) < n {
		now += int64(rng.Intn(50))
		p := paths[rng.Intn(len(paths))]
		sid := sessions[rng.Intn(len(sessions))]
		switch rng.Intn(12) {
		case 0:
			req(sid, protocol.OpCreateSession, &CreateSessionBody{Timeout: 3000})
		case 1, 2:
			flags := []int32{0, 1, 2, 3, 4, 5}[rng.Intn(6)]
			ttl := int64(-1)
			op := protocol.OpCreate
			if flags == 5 {
				op, ttl = protocol.OpCreateTTL, 100
				req(sid, op, &protocol.CreateTTLRequest{Path: p, Data: []byte("d"), ACL: worldAll, Flags: flags, TTL: ttl})
				continue
			}
			req(sid, op, &protocol.CreateRequest{Path: p, Data: []byte("data"), ACL: worldAll, Flags: flags})
		case 3:
			req(sid, protocol.OpDelete, &protocol.DeleteRequest{Path: p, Version: -1})
		case 4:
			req(sid, protocol.OpSetData, &protocol.SetDataRequest{Path: p, Data: make([]byte, rng.Intn(20)), Version: int32(rng.Intn(3)) - 1})
		case 5:
			req(sid, protocol.OpMulti, &protocol.MultiRequest{Ops: []protocol.MultiOp{
				{Op: protocol.OpCreate, Req: &protocol.CreateRequest{Path: p + "/m", ACL: worldAll, Flags: protocol.ModePersistentSequential}},
				{Op: protocol.OpCheck, Req: &protocol.CheckVersionRequest{Path: p, Version: int32(rng.Intn(2)) - 1}},
			}})
		case 6:
			req(sid, protocol.OpCloseSession, &protocol.EmptyRecord{})
		case 7:
			out = append(out, EncodeExpire(now, []int64{sessions[rng.Intn(len(sessions))]}))
		case 8:
			out = append(out, EncodeReap(now, []string{p, paths[rng.Intn(len(paths))]}))
		case 9:
			req(sid, protocol.OpSetACL, &protocol.SetACLRequest{Path: p, ACL: worldAll, Version: -1})
		case 10:
			req(0, protocol.OpCreate, &protocol.CreateRequest{Path: "/zookeeper/quota" + p, ACL: worldAll})
			req(0, protocol.OpCreate, &protocol.CreateRequest{Path: "/zookeeper/quota" + p + "/zookeeper_limits", Data: []byte("count=-1,bytes=-1=;countHardLimit=4"), ACL: worldAll})
			req(0, protocol.OpCreate, &protocol.CreateRequest{Path: "/zookeeper/quota" + p + "/zookeeper_stats", ACL: worldAll})
		case 11:
			out = append(out, []byte{EntryIgnorable | 0x20, 1})
		}
	}
	return out
}

// Persist runs beside Apply and Read (run with -race).
func TestPersistBesideApply(t *testing.T) {
	h := richState(t)
	for i := 0; i < 500; i++ {
		h.mkdir(fmt.Sprintf("/bulk%03d", i))
	}
	want := h.snapshot()
	snap, _ := h.f.Snapshot()
	done := make(chan []byte)
	go func() {
		var sink memSink
		if err := snap.Persist(&sink); err != nil {
			t.Error(err)
		}
		done <- sink.Bytes()
	}()
	for i := 0; i < 500; i++ {
		h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: fmt.Sprintf("/bulk%03d", i), Version: -1}))
		h.read(protocol.OpGetChildren, &protocol.PathWatchRequest{Path: "/"})
	}
	if got := <-done; !bytes.Equal(got, want) {
		t.Error("snapshot persisted beside applies is not the captured state")
	}
}

type failingSink struct{ memSink }

func (s *failingSink) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

func TestPersistFailureCancels(t *testing.T) {
	h := richState(t)
	snap, _ := h.f.Snapshot()
	var sink failingSink
	if err := snap.Persist(&sink); err == nil || !sink.cancelled || sink.closed {
		t.Errorf("persist to a failing sink: err %v cancelled %v closed %v", err, sink.cancelled, sink.closed)
	}
}
