package test

import (
	"fmt"
	"testing"

	"github.com/go-zookeeper/zk"
)

func TestMultiSuccess(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	if _, code := r.Create(root+"/a", []byte("x"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	res, rep := r.Multi(
		multiOp{Op: opCreate, Path: root + "/m1", Data: []byte("d"), ACL: worldAll},
		multiOp{Op: opCreate2, Path: root + "/m2", ACL: worldAll, Flags: modeEphemeral},
		multiOp{Op: opCheck, Path: root + "/a", Version: 0},
		multiOp{Op: opSetData, Path: root + "/a", Data: []byte("yy"), Version: 0},
		multiOp{Op: opDelete, Path: root + "/m1", Version: 0},
		multiOp{Op: opCreate, Path: root + "/q-", ACL: worldAll, Flags: modePersistentSequential},
	)
	wantCode(t, "multi reply header", rep.Err, errOK)
	// ZooKeeper 3.8 answers a create2 inside a multi with a create result
	// (op 1, path only).
	want := []struct {
		op   int32
		path string
	}{{opCreate, root + "/m1"}, {opCreate, root + "/m2"}, {opCheck, ""}, {opSetData, ""}, {opDelete, ""}, {opCreate, root + "/q-0000000003"}}
	if len(res) != len(want) {
		t.Fatalf("multi returned %d results, want %d: %+v", len(res), len(want), res)
	}
	for i, w := range want {
		if res[i].Op != w.op || res[i].Err != errOK || res[i].Path != w.path {
			t.Errorf("result %d = op %d err %d path %q; want op %d OK path %q", i, res[i].Op, res[i].Err, res[i].Path, w.op, w.path)
		}
	}
	if st := res[3].Stat; st.Version != 1 || st.DataLength != 2 || st.Mzxid != rep.Zxid {
		t.Errorf("setData result stat %+v: want version 1, dataLength 2, mzxid = the multi's zxid %d", st, rep.Zxid)
	}
	// All ops of one multi share one zxid.
	st, code := r.Exists(root+"/m2", false)
	if code != errOK || st.Czxid != rep.Zxid || st.EphemeralOwner != r.SessionID {
		t.Errorf("m2 stat %+v (%d): want czxid %d (the multi's zxid) and owner %#x", st, code, rep.Zxid, r.SessionID)
	}
	if _, code := r.Exists(root+"/m1", false); code != errNoNode {
		t.Errorf("m1 created and deleted in one multi: exists gives %d, want NoNode", code)
	}

	// An empty multi succeeds with no results.
	res, rep = r.Multi()
	if rep.Err != errOK || len(res) != 0 {
		t.Errorf("empty multi: err %d, %d results; want OK and none", rep.Err, len(res))
	}
}

// TestMultiFailure checks ZooKeeper's per-op results of a failed multi: the
// reply header says OK; every result is an error result; ops before the
// failing one are 0, the failing one has its code, later ones
// RuntimeInconsistency. Nothing is applied.
func TestMultiFailure(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	if _, code := r.Create(root+"/a", []byte("x"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	for _, tc := range []struct {
		name string
		ops  []multiOp
		want []errCode
	}{
		{"check with wrong version", []multiOp{
			{Op: opCreate, Path: root + "/new", ACL: worldAll},
			{Op: opCheck, Path: root + "/a", Version: 5},
			{Op: opSetData, Path: root + "/a", Data: []byte("y"), Version: -1},
		}, []errCode{errOK, errBadVersion, errRuntimeInconsistency}},
		{"create existing", []multiOp{
			{Op: opSetData, Path: root + "/a", Data: []byte("y"), Version: -1},
			{Op: opCreate, Path: root + "/a", ACL: worldAll},
		}, []errCode{errOK, errNodeExists}},
		{"delete missing first", []multiOp{
			{Op: opDelete, Path: root + "/missing", Version: -1},
			{Op: opCreate, Path: root + "/new", ACL: worldAll},
			{Op: opCreate, Path: root + "/new2", ACL: worldAll},
		}, []errCode{errNoNode, errRuntimeInconsistency, errRuntimeInconsistency}},
		{"later op sees earlier op", []multiOp{
			{Op: opCreate, Path: root + "/new", ACL: worldAll},
			{Op: opCreate, Path: root + "/new/k", ACL: worldAll},
			{Op: opDelete, Path: root + "/new", Version: -1},
		}, []errCode{errOK, errOK, errNotEmpty}},
		{"missing ACL", []multiOp{
			{Op: opCreate, Path: root + "/new"},
		}, []errCode{errInvalidACL}},
		{"check of a missing node", []multiOp{
			{Op: opCheck, Path: root + "/missing", Version: -1},
			{Op: opCreate, Path: root + "/new", ACL: worldAll},
		}, []errCode{errNoNode, errRuntimeInconsistency}},
		{"setData bad version", []multiOp{
			{Op: opSetData, Path: root + "/a", Data: []byte("y"), Version: 7},
		}, []errCode{errBadVersion}},
	} {
		before, _ := r.Exists(root+"/a", false)
		res, rep := r.Multi(tc.ops...)
		wantCode(t, tc.name+": reply header", rep.Err, errOK)
		if len(res) != len(tc.want) {
			t.Errorf("%s: %d results %+v, want %d", tc.name, len(res), res, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if res[i].Op != opError || res[i].Err != w {
				t.Errorf("%s: result %d = op %d err %d; want an error result (op -1) with %d", tc.name, i, res[i].Op, res[i].Err, w)
			}
		}
		after, _ := r.Exists(root+"/a", false)
		if after.Version != before.Version || after.Mzxid != before.Mzxid {
			t.Errorf("%s: failed multi changed /a: %+v -> %+v", tc.name, before, after)
		}
		if _, code := r.Exists(root+"/new", false); code != errNoNode {
			t.Errorf("%s: failed multi left %s/new behind", tc.name, root)
		}
	}
}

// TestMultiGoClient checks go-zookeeper's view of a failed multi, the path
// most Go users take.
func TestMultiGoClient(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	mustCreate(t, c, root+"/a", nil, 0)
	res, err := c.Multi(
		&zk.CreateRequest{Path: root + "/b", Acl: worldAll},
		&zk.CheckVersionRequest{Path: root + "/a", Version: 3},
	)
	wantErr(t, "multi with a failing check", err, zk.ErrBadVersion)
	if len(res) != 2 || res[0].Error != nil || res[1].Error != zk.ErrBadVersion {
		t.Fatalf("multi results %+v: want [nil, ErrBadVersion]", res)
	}
	res, err = c.Multi(
		&zk.CreateRequest{Path: root + "/b", Data: []byte("x"), Acl: worldAll},
		&zk.SetDataRequest{Path: root + "/a", Data: []byte("y"), Version: 0},
		&zk.CheckVersionRequest{Path: root + "/a", Version: 1},
	)
	if err != nil || len(res) != 3 || res[0].String != root+"/b" || res[1].Stat == nil || res[1].Stat.Version != 1 {
		t.Fatalf("multi = %+v, %v", res, err)
	}
}

// TestMultiRead checks multiRead (op 22): reads are not atomic, a failing
// read only fails its own result.
func TestMultiRead(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	if _, code := r.Create(root+"/a", []byte("x"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	if _, code := r.Create(root+"/a/k", nil, worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	res, rep := r.MultiRead(
		multiOp{Op: opGetData, Path: root + "/a"},
		multiOp{Op: opGetData, Path: root + "/missing"},
		multiOp{Op: opGetChildren, Path: root + "/a"},
	)
	wantCode(t, "multiRead reply header", rep.Err, errOK)
	if len(res) != 3 {
		t.Fatalf("multiRead: %d results %+v, want 3", len(res), res)
	}
	_, st, _ := r.GetData(root+"/a", false)
	if res[0].Op != opGetData || res[0].Err != errOK || string(res[0].Data) != "x" || res[0].Stat != st {
		t.Errorf("getData result %+v, want data x and stat %+v", res[0], st)
	}
	if res[1].Op != opError || res[1].Err != errNoNode {
		t.Errorf("getData of missing: result %+v, want error result NoNode", res[1])
	}
	if res[2].Op != opGetChildren || res[2].Err != errOK || fmt.Sprint(res[2].Children) != "[k]" {
		t.Errorf("getChildren result %+v, want [k]", res[2])
	}
}
