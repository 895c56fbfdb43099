package fsm

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// The initial tree of a fresh ZooKeeper 3.8 standalone server, as read from
// one: zero zxids and times, cversion 2*0-numChildren, /zookeeper/config
// read-only with aversion -1.
func TestInitialTree(t *testing.T) {
	h := newHarness(t, Options{})
	cases := []struct {
		path     string
		cversion int32
		aversion int32
		children []string
		acl      []protocol.ACL
	}{
		{"/", -1, 0, []string{"zookeeper"}, worldAll},
		{"/zookeeper", -2, 0, []string{"config", "quota"}, worldAll},
		{"/zookeeper/quota", 0, 0, []string{}, worldAll},
		{"/zookeeper/config", 0, -1, []string{}, worldRead},
	}
	for _, c := range cases {
		want := protocol.Stat{Cversion: c.cversion, Aversion: c.aversion, NumChildren: int32(len(c.children))}
		if got := h.stat(c.path); got != want {
			t.Errorf("%s: stat %+v, want %+v", c.path, got, want)
		}
		if got := h.children(c.path); !reflect.DeepEqual(got, c.children) {
			t.Errorf("%s: children %q, want %q", c.path, got, c.children)
		}
		if d := h.data(c.path); d != "" {
			t.Errorf("%s: data %q", c.path, d)
		}
		resp, code := h.read(protocol.OpGetACL, &protocol.PathRequest{Path: c.path})
		if code != protocol.ErrOK || !reflect.DeepEqual(resp.(*protocol.GetACLResponse).ACL, c.acl) {
			t.Errorf("%s: acl %v %+v", c.path, code, resp)
		}
	}
	st := h.f.Stats()
	if st.Nodes != 4 || st.LastZxid != 0 || st.Sessions != 0 || st.Ephemerals != 0 {
		t.Errorf("stats %+v", st)
	}
	if want := int64(len("/") + len("/zookeeper") + len("/zookeeper/quota") + len("/zookeeper/config")); st.DataSize != want {
		t.Errorf("data size %d, want %d", st.DataSize, want)
	}
}

func TestZxid(t *testing.T) {
	if z := Zxid(3, 7); z != 3<<32|7 {
		t.Errorf("zxid %#x", z)
	}
	if z := Zxid(2, 1<<32|5); z != 2<<32|5 {
		t.Errorf("zxid keeps only the low 32 bits of the index: %#x", z)
	}
	h := newHarness(t, Options{})
	h.term = 5
	r := h.mkdirResult("/a")
	if r.Zxid != 5<<32|1 || h.f.LastZxid() != r.Zxid {
		t.Errorf("result zxid %#x, last %#x", r.Zxid, h.f.LastZxid())
	}
	if s := h.stat("/a"); s.Czxid != r.Zxid || s.Mzxid != r.Zxid || s.Pzxid != r.Zxid {
		t.Errorf("stat zxids %+v", s)
	}
}

func (h *harness) mkdirResult(path string) *Result {
	h.t.Helper()
	return h.mustOK(h.create(path, "", 0, worldAll))
}

func TestCreate(t *testing.T) {
	h := newHarness(t, Options{})
	r := h.mustOK(h.create("/a", "hello", 0, worldAll))
	if resp, ok := r.Resp.(*protocol.CreateResponse); !ok || resp.Path != "/a" {
		t.Fatalf("create response %#v", r.Resp)
	}
	wantEvents := []pathEvent{{protocol.EventNodeCreated, "/a"}, {protocol.EventNodeChildrenChanged, "/"}}
	if !reflect.DeepEqual(pathEvents(r.Events), wantEvents) {
		t.Errorf("events %+v", r.Events)
	}
	createTime := h.now
	want := protocol.Stat{Czxid: r.Zxid, Mzxid: r.Zxid, Pzxid: r.Zxid, Ctime: createTime, Mtime: createTime, DataLength: 5}
	if got := h.stat("/a"); got != want {
		t.Errorf("stat %+v, want %+v", got, want)
	}
	root := h.stat("/")
	if root.NumChildren != 2 || root.Cversion != 0 || root.Pzxid != r.Zxid {
		t.Errorf("root after create %+v", root)
	}
	if h.data("/a") != "hello" {
		t.Errorf("data %q", h.data("/a"))
	}

	r = h.mustOK(h.do(0, protocol.OpCreate2, &protocol.CreateRequest{Path: "/a/b", Data: []byte("x"), ACL: worldAll}))
	c2, ok := r.Resp.(*protocol.Create2Response)
	if !ok || c2.Path != "/a/b" || c2.Stat != h.stat("/a/b") || c2.Stat.Czxid != r.Zxid {
		t.Errorf("create2 response %#v", r.Resp)
	}
	// Null data stays null (ZooKeeper's zkCli prints "null"); the initial
	// nodes hold empty data.
	h.mustOK(h.do(0, protocol.OpCreate, &protocol.CreateRequest{Path: "/nil", ACL: worldAll}))
	resp, _ := h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: "/nil"})
	if d := resp.(*protocol.GetDataResponse); d.Data != nil || d.Stat.DataLength != 0 {
		t.Errorf("null data %#v", d)
	}
	resp, _ = h.read(protocol.OpGetData, &protocol.PathWatchRequest{Path: "/zookeeper"})
	if d := resp.(*protocol.GetDataResponse); d.Data == nil || len(d.Data) != 0 {
		t.Errorf("initial data %#v", d)
	}
	// Creating under /zookeeper is allowed.
	h.mkdir("/zookeeper/x")
	if got := h.f.Stats(); got.Nodes != 8 {
		t.Errorf("nodes %d", got.Nodes)
	}
}

func TestCreateErrors(t *testing.T) {
	const sid = 0x100
	h := newHarness(t, Options{})
	h.mustOK(h.session(sid, 10000))
	h.mkdir("/p")
	h.mustOK(h.do(sid, protocol.OpCreate, &protocol.CreateRequest{Path: "/eph", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	h.mustOK(h.create("/readonly", "", 0, worldRead))
	h.mustOK(h.create("/readonly/kid", "", 0, worldAll, protocol.Id{Scheme: "super"}))
	cases := []struct {
		name  string
		path  string
		flags int32
		acl   []protocol.ACL
		auth  []protocol.Id
		want  protocol.ErrCode
	}{
		{"trailing slash", "/p/", 0, worldAll, nil, protocol.ErrBadArguments},
		{"dot", "/p/.", 0, worldAll, nil, protocol.ErrBadArguments},
		{"double slash is a missing parent", "/p//b", 0, worldAll, nil, protocol.ErrNoNode},
		{"dot element is a missing parent", "/p/./b", 0, worldAll, nil, protocol.ErrNoNode},
		{"bad path under a missing parent", "/nope/", 0, worldAll, nil, protocol.ErrNoNode},
		{"relative", "p", 0, worldAll, nil, protocol.ErrBadArguments},
		{"empty", "", 0, worldAll, nil, protocol.ErrBadArguments},
		{"nul", "/p/a\x00b", 0, worldAll, nil, protocol.ErrBadArguments},
		{"root", "/", 0, worldAll, nil, protocol.ErrNodeExists},
		{"no parent", "/nope/c", 0, worldAll, nil, protocol.ErrNoNode},
		{"exists", "/p", 0, worldAll, nil, protocol.ErrNodeExists},
		{"ephemeral parent", "/eph/c", 0, worldAll, nil, protocol.ErrNoChildrenForEphemerals},
		{"no create permission", "/readonly/c", 0, worldAll, nil, protocol.ErrNoAuth},
		{"no create permission beats exists", "/readonly/kid", 0, worldAll, nil, protocol.ErrNoAuth},
		{"super may create anywhere", "/readonly/c", 0, worldAll, []protocol.Id{{Scheme: "super"}}, protocol.ErrOK},
		{"empty acl", "/x", 0, []protocol.ACL{}, nil, protocol.ErrInvalidACL},
		{"unknown scheme", "/x", 0, aclOf(31, "foo", "x"), nil, protocol.ErrInvalidACL},
		{"super scheme", "/x", 0, aclOf(31, "super", "x"), nil, protocol.ErrInvalidACL},
		{"world not anyone", "/x", 0, aclOf(31, "world", "someone"), nil, protocol.ErrInvalidACL},
		{"auth without identity", "/x", 0, aclOf(31, "auth", ""), nil, protocol.ErrInvalidACL},
		{"auth with ip only", "/x", 0, aclOf(31, "auth", ""), []protocol.Id{{Scheme: "ip", ID: "127.0.0.1"}}, protocol.ErrInvalidACL},
		{"digest without colon", "/x", 0, aclOf(31, "digest", "nocolon"), nil, protocol.ErrInvalidACL},
		{"digest two colons", "/x", 0, aclOf(31, "digest", "a:b:c"), nil, protocol.ErrInvalidACL},
		{"digest empty hash", "/x", 0, aclOf(31, "digest", "user:"), nil, protocol.ErrInvalidACL},
		{"ip short", "/x", 0, aclOf(31, "ip", "1.2.3"), nil, protocol.ErrInvalidACL},
		{"ip octet", "/x", 0, aclOf(31, "ip", "300.1.1.1"), nil, protocol.ErrInvalidACL},
		{"ip bits", "/x", 0, aclOf(31, "ip", "10.0.0.0/33"), nil, protocol.ErrInvalidACL},
		{"ip negative bits", "/x", 0, aclOf(31, "ip", "1.2.3.4/-1"), nil, protocol.ErrInvalidACL},
		{"ipv6", "/x", 0, aclOf(31, "ip", "::1"), nil, protocol.ErrInvalidACL},
		{"hostname", "/x", 0, aclOf(31, "ip", "localhost"), nil, protocol.ErrInvalidACL},
		{"invalid acl beats no parent", "/nope/x", 0, []protocol.ACL{}, nil, protocol.ErrInvalidACL},
		{"flag 9", "/x", 9, worldAll, nil, protocol.ErrBadArguments},
		{"flag -1", "/x", -1, worldAll, nil, protocol.ErrBadArguments},
		{"ttl flag without ttl types", "/x", protocol.ModePersistentWithTTL, worldAll, nil, protocol.ErrUnimplemented},
		{"ephemeral from session 0", "/x", protocol.ModeEphemeral, worldAll, nil, protocol.ErrSessionExpired},
	}
	for _, c := range cases {
		r := h.create(c.path, "", c.flags, c.acl, c.auth...)
		wantErr(t, c.name, r.Err, c.want)
		if c.want != protocol.ErrOK && (r.Resp != nil || r.Events != nil) {
			t.Errorf("%s: failed create has response %v / events %v", c.name, r.Resp, r.Events)
		}
	}
	// Valid odd ACLs ZooKeeper accepts.
	for i, acl := range [][]protocol.ACL{
		aclOf(0, "world", "anyone"), aclOf(99, "world", "anyone"), aclOf(31, "digest", ":x"),
		aclOf(31, "digest", "user:notbase64"), aclOf(31, "ip", "10.0.0.0/0"), aclOf(31, "ip", "10.1.2.3/24"),
	} {
		h.mustOK(h.create(fmt.Sprintf("/ok%d", i), "", 0, acl, protocol.Id{Scheme: "super"}))
	}
}

// Checked against ZooKeeper 3.8: create -s x, x, delete the second, create
// and delete a plain child, create -s x gives x0000000003 and the parent shows
// cversion 6; a sequential path may end in '/'.
func TestSequentialNumbering(t *testing.T) {
	h := newHarness(t, Options{})
	h.mkdir("/seq")
	seq := func(path string) string {
		r := h.mustOK(h.create(path, "", protocol.ModePersistentSequential, worldAll))
		return r.Resp.(*protocol.CreateResponse).Path
	}
	a, b := seq("/seq/x"), seq("/seq/x")
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: b, Version: -1}))
	h.mkdir("/seq/plain")
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/seq/plain", Version: -1}))
	d := seq("/seq/x")
	if a != "/seq/x0000000000" || b != "/seq/x0000000001" || d != "/seq/x0000000003" {
		t.Errorf("names %s %s %s", a, b, d)
	}
	if s := h.stat("/seq"); s.Cversion != 6 || s.NumChildren != 2 {
		t.Errorf("parent %+v", s)
	}
	if e := seq("/seq/"); e != "/seq/0000000004" {
		t.Errorf("trailing slash: %s", e)
	}
	if e := seq("/"); e != "/0000000001" {
		t.Errorf("under the root: %s", e)
	}
	// The suffix comes from the create count, so a sequential create can
	// collide with a node made by hand, as in ZooKeeper: NodeExists.
	h.mkdir("/seq2", "/seq2/n0000000001")
	wantErr(t, "colliding sequential", h.create("/seq2/n", "", protocol.ModePersistentSequential, worldAll).Err, protocol.ErrNodeExists)
}

func TestDelete(t *testing.T) {
	h := newHarness(t, Options{})
	h.mkdir("/a", "/a/b")
	h.mustOK(h.create("/nodel", "", 0, aclOf(protocol.PermAll&^protocol.PermDelete, "world", "anyone")))
	h.mkdir("/nodel/c")
	cases := []struct {
		name    string
		path    string
		version int32
		want    protocol.ErrCode
	}{
		{"root", "/", -1, protocol.ErrBadArguments},
		{"/zookeeper", "/zookeeper", -1, protocol.ErrBadArguments},
		{"quota", "/zookeeper/quota", -1, protocol.ErrBadArguments},
		{"config", "/zookeeper/config", -1, protocol.ErrBadArguments},
		// Checked against ZooKeeper 3.8 by the system tests: delete only
		// refuses a path without '/' or with a NUL; other bad paths are
		// not found.
		{"no slash", "a", -1, protocol.ErrBadArguments},
		{"empty", "", -1, protocol.ErrBadArguments},
		{"nul", "/a\x00", -1, protocol.ErrBadArguments},
		{"trailing slash", "/a/", -1, protocol.ErrNoNode},
		{"dot", "/a/.", -1, protocol.ErrNoNode},
		{"double slash", "/a//b", -1, protocol.ErrNoNode},
		{"missing", "/zz", -1, protocol.ErrNoNode},
		{"missing parent", "/zz/y", -1, protocol.ErrNoNode},
		{"version before children", "/a", 5, protocol.ErrBadVersion},
		{"not empty", "/a", -1, protocol.ErrNotEmpty},
		{"no delete permission", "/nodel/c", -1, protocol.ErrNoAuth},
		{"no delete permission beats missing", "/nodel/missing", -1, protocol.ErrNoAuth},
	}
	for _, c := range cases {
		r := h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: c.path, Version: c.version})
		wantErr(t, c.name, r.Err, c.want)
	}
	r := h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/a/b", Version: 0}))
	want := []pathEvent{{protocol.EventNodeDeleted, "/a/b"}, {protocol.EventNodeChildrenChanged, "/a"}}
	if !reflect.DeepEqual(pathEvents(r.Events), want) || r.Resp != nil {
		t.Errorf("delete result %+v", r)
	}
	if s := h.stat("/a"); s.NumChildren != 0 || s.Cversion != 2 || s.Pzxid != r.Zxid || s.Mzxid == r.Zxid {
		t.Errorf("parent after delete %+v", s)
	}
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/a", Version: -1}))
	if h.exists("/a") {
		t.Error("/a still there")
	}
	h.mkdir("/zookeeper/x")
	h.mustOK(h.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/zookeeper/x", Version: -1}))
}

func TestSetDataAndACL(t *testing.T) {
	h := newHarness(t, Options{})
	h.mustOK(h.create("/a", "one", 0, worldAll))
	r := h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/a", Data: []byte("two!"), Version: 0}))
	s := r.Resp.(*protocol.StatResponse).Stat
	if s.Version != 1 || s.Mzxid != r.Zxid || s.DataLength != 4 || s.Mtime != h.now || s.Czxid == r.Zxid {
		t.Errorf("setData stat %+v", s)
	}
	if !reflect.DeepEqual(pathEvents(r.Events), []pathEvent{{protocol.EventNodeDataChanged, "/a"}}) {
		t.Errorf("events %+v", r.Events)
	}
	// The same payload again is still a change.
	r = h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/a", Data: []byte("two!"), Version: -1}))
	if r.Resp.(*protocol.StatResponse).Stat.Version != 2 || len(r.Events) != 1 {
		t.Errorf("same data %+v", r)
	}
	wantErr(t, "bad version", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/a", Version: 7}).Err, protocol.ErrBadVersion)
	wantErr(t, "missing", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/b", Version: -1}).Err, protocol.ErrNoNode)
	wantErr(t, "bad path", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "b", Version: -1}).Err, protocol.ErrBadArguments)
	wantErr(t, "config is read-only", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/zookeeper/config", Version: -1}).Err, protocol.ErrNoAuth)
	h.mustOK(h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/", Data: []byte("r"), Version: -1}))
	if size := h.f.Stats().DataSize; size != int64(len("/")+len("/zookeeper")+len("/zookeeper/quota")+len("/zookeeper/config")+len("/a")+len("two!")+len("r")) {
		t.Errorf("data size %d", size)
	}

	r = h.mustOK(h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/a", ACL: worldRead, Version: 0}))
	s = r.Resp.(*protocol.StatResponse).Stat
	if s.Aversion != 1 || s.Version != 2 || s.Mzxid == r.Zxid || r.Events != nil {
		t.Errorf("setACL %+v events %v", s, r.Events)
	}
	wantErr(t, "setACL bad version", h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/a", ACL: worldAll, Version: 0}).Err, protocol.ErrNoAuth)
	super := protocol.Id{Scheme: "super"}
	wantErr(t, "setACL bad version", h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/a", ACL: worldAll, Version: 0}, super).Err, protocol.ErrBadVersion)
	wantErr(t, "setACL empty", h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/a", ACL: nil, Version: -1}, super).Err, protocol.ErrInvalidACL)
	wantErr(t, "setACL missing", h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/b", ACL: worldAll, Version: -1}).Err, protocol.ErrNoNode)
	wantErr(t, "setData without write", h.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/a", Version: -1}).Err, protocol.ErrNoAuth)
	// Duplicate ACL entries collapse.
	dup := append(append([]protocol.ACL{}, worldAll...), worldAll...)
	r = h.mustOK(h.do(0, protocol.OpSetACL, &protocol.SetACLRequest{Path: "/a", ACL: dup, Version: -1}, super))
	resp, _ := h.read(protocol.OpGetACL, &protocol.PathRequest{Path: "/a"})
	if got := resp.(*protocol.GetACLResponse); !reflect.DeepEqual(got.ACL, worldAll) || got.Stat.Aversion != 2 {
		t.Errorf("acl after setACL %+v", got)
	}
}

func TestReconfigSyncAndUnknownOps(t *testing.T) {
	h := newHarness(t, Options{})
	wantErr(t, "reconfig", h.do(0, protocol.OpReconfig, &protocol.ReconfigRequest{JoiningServers: "server.2=x:1:2", CurConfigID: -1}).Err, protocol.ErrReconfigDisabled)
	r := h.mustOK(h.do(0, protocol.OpSync, &protocol.PathRequest{Path: "/"}))
	if p, ok := r.Resp.(*protocol.PathResponse); !ok || p.Path != "/" {
		t.Errorf("sync %#v", r.Resp)
	}
	wantErr(t, "getData as a write", h.do(0, protocol.OpGetData, &protocol.PathWatchRequest{Path: "/"}).Err, protocol.ErrUnimplemented)
	wantErr(t, "op 999", h.do(0, protocol.OpCode(999), nil).Err, protocol.ErrUnimplemented)
	r = h.do(0, protocol.OpCheck, &protocol.CheckVersionRequest{Path: "/", Version: 0})
	if r.Err != protocol.ErrOK || r.Resp.(*protocol.StatResponse).Stat.NumChildren != 1 {
		t.Errorf("standalone check %+v", r)
	}
	if h.f.LastZxid() != h.zxid() {
		t.Error("failed entries still advance the zxid")
	}
}
