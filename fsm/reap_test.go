package fsm

import (
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

func (h *harness) createTTL(path string, flags int32, ttl int64) *Result {
	h.t.Helper()
	return h.do(0, protocol.OpCreateTTL, &protocol.CreateTTLRequest{Path: path, ACL: worldAll, Flags: flags, TTL: ttl})
}

func (h *harness) createContainer(path string) *Result {
	h.t.Helper()
	return h.do(0, protocol.OpCreateContainer, &protocol.CreateRequest{Path: path, ACL: worldAll, Flags: protocol.ModeContainer})
}

// TTL bounds and modes as measured on ZooKeeper 3.8 with extendedTypesEnabled:
// 1..2^40-1 accepted, 0, negative and 2^40 BadArguments; without the option
// every TTL create is Unimplemented.
func TestTTLAndContainerCreate(t *testing.T) {
	off := newHarness(t, Options{})
	wantErr(t, "ttl disabled", off.createTTL("/t", protocol.ModePersistentWithTTL, 100).Err, protocol.ErrUnimplemented)
	wantErr(t, "ttl 0 disabled", off.createTTL("/t", protocol.ModePersistentWithTTL, 0).Err, protocol.ErrUnimplemented)

	h := newHarness(t, Options{ExtendedTypes: true})
	for _, c := range []struct {
		ttl   int64
		flags int32
		want  protocol.ErrCode
	}{
		{0, protocol.ModePersistentWithTTL, protocol.ErrBadArguments},
		{-1, protocol.ModePersistentWithTTL, protocol.ErrBadArguments},
		{1 << 40, protocol.ModePersistentWithTTL, protocol.ErrBadArguments},
		{1<<40 - 1, protocol.ModePersistentWithTTL, protocol.ErrOK},
		{5, protocol.ModePersistent, protocol.ErrBadArguments},
		{5, protocol.ModeEphemeral, protocol.ErrBadArguments},
		{5, protocol.ModeContainer, protocol.ErrBadArguments},
	} {
		wantErr(t, "createTTL", h.createTTL("/t", c.flags, c.ttl).Err, c.want)
	}
	r := h.mustOK(h.createTTL("/ttl", protocol.ModePersistentWithTTL, 5000))
	c2 := r.Resp.(*protocol.Create2Response)
	// Clients see ephemeralOwner 0 for TTL nodes and containers.
	if c2.Path != "/ttl" || c2.Stat.EphemeralOwner != 0 {
		t.Errorf("ttl response %+v", c2)
	}
	if n, _ := h.f.cur.Load().get("/ttl"); n.owner != -0x0100000000000000|5000 || n.kind() != kindTTL {
		t.Errorf("ttl owner %#x", uint64(n.owner))
	}
	r = h.mustOK(h.createTTL("/seqttl-", protocol.ModePersistentSequentialWithTTL, 10))
	if r.Resp.(*protocol.Create2Response).Path != "/seqttl-0000000002" {
		t.Errorf("sequential ttl %+v", r.Resp)
	}
	wantErr(t, "create op with ttl flag", h.create("/t", "", protocol.ModePersistentWithTTL, worldAll).Err, protocol.ErrBadArguments)
	// The op decides the kind (checked by the system tests against
	// ZooKeeper 3.8): createContainer with flags 0 makes a container, a plain
	// create with the container flag a persistent node.
	h.mustOK(h.do(0, protocol.OpCreateContainer, &protocol.CreateRequest{Path: "/flag0", ACL: worldAll}))
	if n, _ := h.f.cur.Load().get("/flag0"); n.kind() != kindContainer {
		t.Error("createContainer with flags 0 is not a container")
	}
	r = h.mustOK(h.createContainer("/cont"))
	if s := r.Resp.(*protocol.Create2Response).Stat; s.EphemeralOwner != 0 {
		t.Errorf("container stat %+v", s)
	}
	if n, _ := h.f.cur.Load().get("/cont"); n.owner != containerOwner {
		t.Errorf("container owner %#x", uint64(n.owner))
	}
	h.mustOK(h.create("/cont2", "", protocol.ModeContainer, worldAll))
	if n, _ := h.f.cur.Load().get("/cont2"); n.kind() != kindPersistent {
		t.Error("create with flag 4 is not persistent")
	}
	// Inside a multi ZooKeeper rebuilds each create from its flags: there
	// flag 4 makes a container, answered as create2 with a stat.
	r = h.mustOK(h.do(0, protocol.OpMulti, multiOf(mcreate("/mc", protocol.ModeContainer),
		protocol.MultiOp{Op: protocol.OpCreateContainer, Req: &protocol.CreateRequest{Path: "/mp", ACL: worldAll}})))
	res := r.Resp.(*protocol.MultiResponse).Results
	if res[0].Op != protocol.OpCreate2 || res[1].Op != protocol.OpCreate {
		t.Errorf("multi create results %+v", res)
	}
	if n, _ := h.f.cur.Load().get("/mc"); n.kind() != kindContainer {
		t.Error("multi create with flag 4 is not a container")
	}
	if n, _ := h.f.cur.Load().get("/mp"); n.kind() != kindPersistent {
		t.Error("multi createContainer with flags 0 is not persistent")
	}
	// Containers and TTL nodes may have children.
	h.mkdir("/cont/kid", "/ttl/kid")
}

func TestReaping(t *testing.T) {
	h := newHarness(t, Options{ExtendedTypes: true})
	h.mustOK(h.createContainer("/never")) // never had a child: stays
	h.mustOK(h.createContainer("/used"))  // had a child, now empty: due
	h.mustOK(h.createContainer("/busy"))  // has a child: stays
	h.mustOK(h.createTTL("/t1", protocol.ModePersistentWithTTL, 100))
	t1 := h.stat("/t1").Mtime
	h.mustOK(h.createTTL("/t2", protocol.ModePersistentWithTTL, 100000))
	h.mkdir("/used/c", "/busy/c")
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/used/c", Version: -1}))

	if got := h.f.ReapCandidates(t1+100, 10); !reflect.DeepEqual(got, []string{"/used"}) {
		t.Errorf("candidates at ttl edge %q", got)
	}
	got := h.f.ReapCandidates(t1+101, 10)
	if !reflect.DeepEqual(got, []string{"/t1", "/used"}) {
		t.Errorf("candidates %q", got)
	}
	if got := h.f.ReapCandidates(t1+101, 1); len(got) != 1 {
		t.Errorf("max ignored: %q", got)
	}
	// Between listing and applying, /used got a child again and /t1 was
	// touched: the reap entry re-checks and keeps both.
	h.mkdir("/used/again")
	h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/t1", Version: -1}))
	r := h.apply(EncodeReap(t1+101, got))
	if r.Op != protocol.OpDeleteContainer || len(r.Events) != 0 || !h.exists("/t1") || !h.exists("/used") {
		t.Errorf("reap of no-longer-due nodes %+v", r)
	}
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/used/again", Version: -1}))
	later := h.stat("/t1").Mtime + 101
	got = h.f.ReapCandidates(later, 10)
	r = h.apply(EncodeReap(later, append(got, "/busy", "/never", "/missing")))
	want := []pathEvent{
		{protocol.EventNodeDeleted, "/t1"}, {protocol.EventNodeChildrenChanged, "/"},
		{protocol.EventNodeDeleted, "/used"}, {protocol.EventNodeChildrenChanged, "/"},
	}
	if !reflect.DeepEqual(pathEvents(r.Events), want) {
		t.Errorf("reap events %+v", r.Events)
	}
	if h.exists("/t1") || h.exists("/used") || !h.exists("/busy") || !h.exists("/never") || !h.exists("/t2") {
		t.Error("reap deleted the wrong nodes")
	}
	if got := h.f.ReapCandidates(later+1_000_000, 10); !reflect.DeepEqual(got, []string{"/t2"}) {
		t.Errorf("candidates after reap %q", got)
	}
}

func TestDeleteContainerOp(t *testing.T) {
	const sid = 0x42
	h := newHarness(t, Options{ExtendedTypes: true})
	h.mustOK(h.session(sid, 1000))
	h.mustOK(h.createContainer("/c"))
	h.mkdir("/c/kid", "/plain")
	h.mustOK(h.do(sid, protocol.OpCreate, &protocol.CreateRequest{Path: "/e", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	del := func(p string) protocol.ErrCode {
		return h.do(0, protocol.OpDeleteContainer, &protocol.PathRequest{Path: p}).Err
	}
	wantErr(t, "not empty", del("/c"), protocol.ErrNotEmpty)
	wantErr(t, "missing", del("/nope"), protocol.ErrNoNode)
	wantErr(t, "ephemeral", del("/e"), protocol.ErrBadVersion)
	wantErr(t, "persistent", del("/plain"), protocol.ErrBadArguments)
	wantErr(t, "protected", del("/zookeeper"), protocol.ErrBadArguments)
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/c/kid", Version: -1}))
	wantErr(t, "empty container", del("/c"), protocol.ErrOK)
	if h.exists("/c") || len(h.f.ReapCandidates(1<<62, 10)) != 0 {
		t.Error("container left behind")
	}
}
