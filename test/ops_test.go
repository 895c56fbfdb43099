package test

// Every basic op and its error paths. Expectations were checked against
// Apache ZooKeeper 3.8 (ZKRAFT_TARGET=zookeeper).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestCreatePersistentAndEphemeral(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)

	if got := mustCreate(t, c, root+"/p", []byte("data"), 0); got != root+"/p" {
		t.Fatalf("create returned %q, want %q", got, root+"/p")
	}
	_, err := c.Create(root+"/p", nil, 0, worldAll)
	wantErr(t, "create existing", err, zk.ErrNodeExists)
	_, err = c.Create(root+"/missing/child", nil, 0, worldAll)
	wantErr(t, "create under missing parent", err, zk.ErrNoNode)

	data, st, err := c.Get(root + "/p")
	if err != nil || string(data) != "data" {
		t.Fatalf("get = %q, %v; want data", data, err)
	}
	if st.EphemeralOwner != 0 {
		t.Errorf("persistent node ephemeralOwner = %#x, want 0", st.EphemeralOwner)
	}

	mustCreate(t, c, root+"/e", nil, zk.FlagEphemeral)
	_, st, err = c.Exists(root + "/e")
	if err != nil || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("ephemeral ephemeralOwner = %#x, %v; want session %#x", st.EphemeralOwner, err, c.SessionID())
	}
	_, err = c.Create(root+"/e/child", nil, 0, worldAll)
	wantErr(t, "child of ephemeral", err, zk.ErrNoChildrenForEphemerals)
	_, err = c.Create(root+"/e/child", nil, zk.FlagEphemeral|zk.FlagSequence, worldAll)
	wantErr(t, "ephemeral sequential child of ephemeral", err, zk.ErrNoChildrenForEphemerals)
}

func TestSequentialNumbering(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	dir := root + "/s"
	if _, code := r.Create(dir, nil, worldAll, 0); code != errOK {
		t.Fatalf("create %s: %d", dir, code)
	}
	seq := func(prefix string, flags int32, want string) {
		t.Helper()
		got, code := r.Create(dir+"/"+prefix, nil, worldAll, flags)
		wantCode(t, "sequential create "+prefix, code, errOK)
		if got != dir+"/"+want {
			t.Fatalf("sequential create %q returned %q, want %q", prefix, got, dir+"/"+want)
		}
	}
	seq("q-", modePersistentSequential, "q-0000000000")
	seq("q-", modePersistentSequential, "q-0000000001")
	seq("q-", modePersistentSequential, "q-0000000002")
	wantCode(t, "delete q-1", r.Delete(dir+"/q-0000000001", -1), errOK)

	// The visible cversion counts the delete too, but the suffix counts only
	// the creates under the parent.
	_, st, _ := r.GetData(dir, false)
	if st.Cversion != 4 || st.NumChildren != 2 {
		t.Fatalf("after 3 creates and 1 delete: cversion %d numChildren %d, want 4 and 2", st.Cversion, st.NumChildren)
	}
	seq("q-", modePersistentSequential, "q-0000000003")
	// A sequential path may end in "/": the name is the bare counter.
	seq("", modePersistentSequential, "0000000004")
	// A plain create advances the counter as well.
	if _, code := r.Create(dir+"/plain", nil, worldAll, 0); code != errOK {
		t.Fatalf("create plain: %d", code)
	}
	seq("e-", modeEphemeralSequential, "e-0000000006")
	_, st, _ = r.GetData(dir, false)
	if st.Cversion != 8 || st.NumChildren != 6 {
		t.Fatalf("after 7 creates and 1 delete: cversion %d numChildren %d, want 8 and 6", st.Cversion, st.NumChildren)
	}
}

func TestCreate2Stat(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	before := time.Now().UnixMilli()
	path, st, code := r.Create2(root+"/n", []byte("hello"), worldAll, 0)
	after := time.Now().UnixMilli()
	wantCode(t, "create2", code, errOK)
	if path != root+"/n" {
		t.Fatalf("create2 path %q, want %q", path, root+"/n")
	}
	if st.Czxid <= 0 || st.Mzxid != st.Czxid || st.Pzxid != st.Czxid {
		t.Errorf("create2 stat zxids czxid %d mzxid %d pzxid %d: want all equal and > 0", st.Czxid, st.Mzxid, st.Pzxid)
	}
	if st.Version != 0 || st.Cversion != 0 || st.Aversion != 0 || st.NumChildren != 0 || st.EphemeralOwner != 0 {
		t.Errorf("create2 stat %+v: want versions, numChildren and ephemeralOwner 0", st)
	}
	if st.DataLength != 5 {
		t.Errorf("create2 dataLength %d, want 5", st.DataLength)
	}
	if st.Ctime != st.Mtime || st.Ctime < before-1000 || st.Ctime > after+1000 {
		t.Errorf("create2 ctime %d mtime %d, want equal and within [%d, %d]", st.Ctime, st.Mtime, before, after)
	}
	ex, code := r.Exists(root+"/n", false)
	if code != errOK || ex != st {
		t.Errorf("exists stat %+v (%d) differs from the create2 stat %+v", ex, code, st)
	}
	_, _, code = r.Create2(root+"/n", nil, worldAll, 0)
	wantCode(t, "create2 existing", code, errNodeExists)

	path, st, code = r.Create2(root+"/e", nil, worldAll, modeEphemeralSequential)
	wantCode(t, "create2 ephemeral sequential", code, errOK)
	if path != root+"/e0000000001" || st.EphemeralOwner != r.SessionID {
		t.Errorf("create2 ephemeral sequential: path %q owner %#x, want %q and %#x", path, st.EphemeralOwner, root+"/e0000000001", r.SessionID)
	}
}

// TestCreateContainerAndTTL covers the extended create modes. Containers and
// TTL nodes report ephemeralOwner 0 to clients: the internal encoding of
// their type does not leak into stats.
func TestCreateContainerAndTTL(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)

	rep := r.call(opCreateContainer, (&enc{}).str(root+"/c").buf([]byte("x")).acls(worldAll).i32(modeContainer).b)
	wantCode(t, "createContainer", rep.Err, errOK)
	d := &dec{b: rep.Body}
	if p, st := d.str(), d.stat(); p != root+"/c" || st.EphemeralOwner != 0 || st.DataLength != 1 {
		t.Errorf("createContainer returned %q %+v, want path %q, ephemeralOwner 0, dataLength 1", p, st, root+"/c")
	}

	path, st, code := r.CreateTTL(root+"/t", nil, worldAll, modePersistentTTL, 600000)
	wantCode(t, "createTTL", code, errOK)
	if path != root+"/t" || st.EphemeralOwner != 0 {
		t.Errorf("createTTL returned %q owner %#x, want %q owner 0", path, st.EphemeralOwner, root+"/t")
	}
	path, _, code = r.CreateTTL(root+"/ts-", nil, worldAll, 6, 600000)
	wantCode(t, "createTTL persistent sequential", code, errOK)
	if path != root+"/ts-0000000002" {
		t.Errorf("createTTL sequential path %q, want %q", path, root+"/ts-0000000002")
	}
	if _, _, code = r.CreateTTL(root+"/max", nil, worldAll, modePersistentTTL, 1<<40-1); code != errOK {
		t.Errorf("createTTL with the largest TTL (2^40-1 ms): %d, want OK", code)
	}

	for _, tc := range []struct {
		name  string
		flags int32
		ttl   int64
	}{
		{"ttl 0", modePersistentTTL, 0},
		{"negative ttl", modePersistentTTL, -5},
		{"ttl 2^40", modePersistentTTL, 1 << 40},
		{"createTTL with persistent mode", modePersistent, 1000},
		{"createTTL with ephemeral mode", modeEphemeral, 1000},
	} {
		_, _, code := r.CreateTTL(root+"/bad", nil, worldAll, tc.flags, tc.ttl)
		wantCode(t, tc.name, code, errBadArguments)
	}
	for _, flags := range []int32{modePersistentTTL, 6, 7} {
		_, code := r.Create(root+"/bad", nil, worldAll, flags)
		wantCode(t, fmt.Sprintf("plain create with flags %d", flags), code, errBadArguments)
	}
}

func TestDelete(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	mustCreate(t, c, root+"/d", nil, 0)
	wantErr(t, "delete with wrong version", c.Delete(root+"/d", 5), zk.ErrBadVersion)
	if _, err := c.Set(root+"/d", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "delete with stale version", c.Delete(root+"/d", 0), zk.ErrBadVersion)
	if err := c.Delete(root+"/d", 1); err != nil {
		t.Fatalf("delete with the current version: %v", err)
	}
	wantErr(t, "delete missing", c.Delete(root+"/d", -1), zk.ErrNoNode)

	mustCreate(t, c, root+"/parent", nil, 0)
	mustCreate(t, c, root+"/parent/kid", nil, 0)
	wantErr(t, "delete non-empty", c.Delete(root+"/parent", -1), zk.ErrNotEmpty)
	if err := c.Delete(root+"/parent/kid", -1); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(root+"/parent", -1); err != nil {
		t.Fatalf("delete emptied parent: %v", err)
	}
	if ok, _, err := c.Exists(root + "/parent"); err != nil || ok {
		t.Fatalf("exists after delete = %v, %v; want false", ok, err)
	}
}

func TestGetSetVersions(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	p := root + "/v"
	mustCreate(t, c, p, []byte("one"), 0)

	st, err := c.Set(p, []byte("two"), 0)
	if err != nil || st.Version != 1 || st.DataLength != 3 {
		t.Fatalf("set version 0: %+v, %v; want version 1", st, err)
	}
	_, err = c.Set(p, []byte("three"), 0)
	wantErr(t, "set with stale version", err, zk.ErrBadVersion)
	st, err = c.Set(p, []byte("three"), -1)
	if err != nil || st.Version != 2 {
		t.Fatalf("set version -1: %+v, %v; want version 2", st, err)
	}
	data, gst, err := c.Get(p)
	if err != nil || string(data) != "three" || *gst != *st {
		t.Fatalf("get = %q %+v %v; want three and the set's stat %+v", data, gst, err, st)
	}
	st, err = c.Set(p, nil, 2)
	if err != nil || st.DataLength != 0 || st.Version != 3 {
		t.Fatalf("set empty data: %+v, %v", st, err)
	}
	_, err = c.Set(root+"/missing", nil, -1)
	wantErr(t, "set missing", err, zk.ErrNoNode)
	_, _, err = c.Get(root + "/missing")
	wantErr(t, "get missing", err, zk.ErrNoNode)
	ok, _, err := c.Exists(root + "/missing")
	if err != nil || ok {
		t.Fatalf("exists missing = %v, %v; want false, nil", ok, err)
	}

	big := bytes.Repeat([]byte("z"), 512*1024)
	if _, err := c.Set(p, big, -1); err != nil {
		t.Fatalf("set 512 KiB: %v", err)
	}
	if data, _, err := c.Get(p); err != nil || !bytes.Equal(data, big) {
		t.Fatalf("get 512 KiB: %d bytes, %v", len(data), err)
	}
}

func TestGetChildren(t *testing.T) {
	c := connect(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	for _, k := range []string{"c", "a", "b"} {
		mustCreate(t, c, root+"/"+k, nil, 0)
	}
	kids, st, err := c.Children(root)
	if err != nil || !equalStrings(sorted(kids), []string{"a", "b", "c"}) {
		t.Fatalf("children = %v, %v", kids, err)
	}
	if st.NumChildren != 3 || st.Cversion != 3 {
		t.Errorf("getChildren2 stat numChildren %d cversion %d, want 3 and 3", st.NumChildren, st.Cversion)
	}
	rkids, code := r.GetChildren(root, false)
	if code != errOK || !equalStrings(sorted(rkids), []string{"a", "b", "c"}) {
		t.Errorf("getChildren (op 8) = %v, %d", rkids, code)
	}
	leaf, _, err := c.Children(root + "/a")
	if err != nil || len(leaf) != 0 {
		t.Errorf("children of a leaf = %v, %v; want none", leaf, err)
	}
	_, _, err = c.Children(root + "/missing")
	wantErr(t, "children of missing", err, zk.ErrNoNode)
	if _, code := r.GetChildren(root+"/missing", false); code != errNoNode {
		t.Errorf("getChildren (op 8) of missing: %d, want NoNode", code)
	}
}

func TestGetSetACL(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	p := root + "/acl"
	mustCreate(t, c, p, nil, 0)
	acl, st, err := c.GetACL(p)
	if err != nil || len(acl) != 1 || acl[0] != worldAll[0] || st.Aversion != 0 {
		t.Fatalf("getACL = %v %+v %v; want world:anyone all, aversion 0", acl, st, err)
	}
	readAdmin := zk.WorldACL(zk.PermRead | zk.PermAdmin)
	st, err = c.SetACL(p, readAdmin, 0)
	if err != nil || st.Aversion != 1 || st.Version != 0 {
		t.Fatalf("setACL version 0: %+v %v; want aversion 1, version 0", st, err)
	}
	_, err = c.SetACL(p, readAdmin, 0)
	wantErr(t, "setACL with stale aversion", err, zk.ErrBadVersion)
	acl, _, _ = c.GetACL(p)
	if len(acl) != 1 || acl[0] != readAdmin[0] {
		t.Fatalf("getACL after setACL = %v, want %v", acl, readAdmin)
	}
	// The permission check comes before the version check.
	if _, err := c.SetACL(p, zk.WorldACL(zk.PermRead), 1); err != nil {
		t.Fatal(err)
	}
	_, err = c.SetACL(p, worldAll, 0)
	wantErr(t, "setACL without ADMIN and with a stale aversion", err, zk.ErrNoAuth)
	_, err = c.SetACL(p, []zk.ACL{}, -1)
	wantErr(t, "setACL with an empty list", err, zk.ErrInvalidACL)
	_, _, err = c.GetACL(root + "/missing")
	wantErr(t, "getACL missing", err, zk.ErrNoNode)
	_, err = c.SetACL(root+"/missing", worldAll, -1)
	wantErr(t, "setACL missing", err, zk.ErrNoNode)
}

func TestSync(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	for _, p := range []string{root, root + "/missing", "/"} {
		got, code := r.Sync(p)
		if code != errOK || got != p {
			t.Errorf("sync(%q) = %q, %d; want the path back and OK (sync does not look the node up)", p, got, code)
		}
	}
}

// TestPathValidation sends malformed paths with the raw client, since
// go-zookeeper validates paths before sending. Each op checks paths its own
// way in ZooKeeper: create validates the final path after looking up the
// parent, setData validates first, reads only look the path up.
func TestPathValidation(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	if _, code := r.Create(root+"/s", nil, worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	type codes struct{ create, exists, getData, setData, delete, children errCode }
	for _, tc := range []struct {
		path string
		want codes
	}{
		{"", codes{errBadArguments, errOK, errOK, errBadArguments, errBadArguments, errOK}},
		{"rel", codes{errBadArguments, errNoNode, errNoNode, errBadArguments, errBadArguments, errNoNode}},
		{root + "/", codes{errBadArguments, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{root + "/.", codes{errBadArguments, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{root + "/..", codes{errBadArguments, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{root + "/a\x00b", codes{errBadArguments, errBadArguments, errNoNode, errBadArguments, errBadArguments, errNoNode}},
		{root + "//b", codes{errNoNode, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{root + "/./a", codes{errNoNode, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{root + "/s/../x", codes{errNoNode, errNoNode, errNoNode, errBadArguments, errNoNode, errNoNode}},
		{"/", codes{errNodeExists, errOK, errOK, errOK, errBadArguments, errOK}},
	} {
		_, create := r.Create(tc.path, nil, worldAll, 0)
		_, exists := r.Exists(tc.path, false)
		_, _, get := r.GetData(tc.path, false)
		_, set := r.SetData(tc.path, nil, -1)
		del := r.Delete(tc.path, -1)
		_, kids := r.GetChildren(tc.path, false)
		got := codes{create, exists, get.Err, set, del, kids}
		if got != tc.want {
			t.Errorf("path %q: got {create exists getData setData delete children} = %v, want %v", tc.path, got, tc.want)
		}
	}
}

// TestNullAndEmptyData: null data (jute length -1) and empty data (length 0)
// are kept apart, as Java clients see null and an empty array differently.
func TestNullAndEmptyData(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	lengthField := func(path string) int32 {
		t.Helper()
		rep := r.call(opGetData, (&enc{}).str(path).boolean(false).b)
		if rep.Err != errOK || len(rep.Body) < 4 {
			t.Fatalf("getData %s: %d", path, rep.Err)
		}
		return int32(binary.BigEndian.Uint32(rep.Body))
	}
	r.Create(root+"/nil", nil, worldAll, 0)
	r.Create(root+"/empty", []byte{}, worldAll, 0)
	if n := lengthField(root + "/nil"); n != -1 {
		t.Errorf("data created as null comes back with length %d, want -1 (null)", n)
	}
	if n := lengthField(root + "/empty"); n != 0 {
		t.Errorf("data created empty comes back with length %d, want 0", n)
	}
	r.SetData(root+"/empty", nil, -1)
	if n := lengthField(root + "/empty"); n != -1 {
		t.Errorf("data set to null comes back with length %d, want -1", n)
	}
	rep := r.call(opGetChildren, (&enc{}).str(root+"/nil").boolean(false).b)
	if rep.Err != errOK || int32(binary.BigEndian.Uint32(rep.Body)) != 0 {
		t.Errorf("children of a leaf: vector length %d, want 0 (empty, not null)", int32(binary.BigEndian.Uint32(rep.Body)))
	}
}
