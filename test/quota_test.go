package test

// Quotas as zkCli's setquota makes them: /zookeeper/quota/<path>/zookeeper_limits
// holds the limits and /zookeeper/quota/<path>/zookeeper_stats the counts the
// server keeps up to date (count includes the node itself, bytes is the sum
// of data lengths). The stats node changes without a version bump.

import (
	"testing"
)

func TestQuotaStats(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	q := root + "/q"
	mustRawCreate(t, r, q, modePersistent)
	r.SetData(q, []byte("12345"), -1)
	if _, code := r.Create(q+"/a", []byte("123"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	quota := "/zookeeper/quota" + q
	mkQuotaDirs(t, r, root, quota)
	t.Cleanup(func() { deleteTree(t, shared, "/zookeeper/quota"+root) })
	if _, code := r.Create(quota+"/zookeeper_limits", []byte("count=10,bytes=1000"), worldAll, 0); code != errOK {
		t.Fatalf("create limits: %d", code)
	}
	if _, code := r.Create(quota+"/zookeeper_stats", []byte("count=0,bytes=0"), worldAll, 0); code != errOK {
		t.Fatalf("create stats: %d", code)
	}
	stats := func() (string, int32) {
		t.Helper()
		data, st, rep := r.GetData(quota+"/zookeeper_stats", false)
		if rep.Err != errOK {
			t.Fatalf("get stats: %d", rep.Err)
		}
		return string(data), st.Version
	}
	wantStats := func(what, want string) {
		t.Helper()
		got, version := stats()
		if got != want || version != 0 {
			t.Errorf("%s: zookeeper_stats %q version %d, want %q version 0", what, got, version, want)
		}
	}
	// Creating the stats node counts what is already there.
	wantStats("initial", "count=2,bytes=8")
	r.Create(q+"/b", []byte("1234"), worldAll, 0)
	wantStats("after a create", "count=3,bytes=12")
	r.SetData(q+"/b", []byte("123456789"), -1)
	wantStats("after a setData", "count=3,bytes=17")
	r.Create(q+"/b/deep", []byte("1"), worldAll, 0)
	wantStats("after a grandchild", "count=4,bytes=18")
	r.Delete(q+"/b/deep", -1)
	r.Delete(q+"/a", -1)
	wantStats("after deletes", "count=2,bytes=14")
	// Soft limits only warn: going over count=10 is allowed.
	for i := range 10 {
		if _, code := r.Create(q+"/n-", nil, worldAll, modePersistentSequential); code != errOK {
			t.Fatalf("create %d over the soft count limit: %d", i, code)
		}
	}
	wantStats("over the soft limit", "count=12,bytes=14")
	limits, _, _ := r.GetData(quota+"/zookeeper_limits", false)
	if string(limits) != "count=10,bytes=1000" {
		t.Errorf("zookeeper_limits changed to %q", limits)
	}
}

// TestQuotaHardLimit: with enforceQuota on, countHardLimit and
// byteHardLimit refuse writes with QuotaExceeded.
func TestQuotaHardLimit(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	q := root + "/q"
	mustRawCreate(t, r, q, modePersistent)
	quota := "/zookeeper/quota" + q
	mkQuotaDirs(t, r, root, quota)
	t.Cleanup(func() { deleteTree(t, shared, "/zookeeper/quota"+root) })
	r.Create(quota+"/zookeeper_limits", []byte("count=-1,bytes=-1,countHardLimit=3,byteHardLimit=10"), worldAll, 0)
	r.Create(quota+"/zookeeper_stats", []byte("count=0,bytes=0"), worldAll, 0)

	mustRawCreate(t, r, q+"/a", modePersistent)
	mustRawCreate(t, r, q+"/b", modePersistent)
	_, code := r.Create(q+"/c", nil, worldAll, 0)
	wantCode(t, "create over countHardLimit", code, errQuotaExceeded)
	_, code = r.SetData(q+"/a", []byte("0123456789"), -1)
	wantCode(t, "setData up to byteHardLimit", code, errOK)
	_, code = r.SetData(q+"/b", []byte("x"), -1)
	wantCode(t, "setData over byteHardLimit", code, errQuotaExceeded)
	// ZooKeeper checks the quota against the tree as it was before the
	// multi: the delete earlier in the same multi does not make room.
	res, rep := r.Multi(multiOp{Op: opDelete, Path: q + "/b", Version: -1}, multiOp{Op: opCreate, Path: q + "/c", ACL: worldAll})
	if rep.Err != errOK || len(res) != 2 || res[0].Err != errOK || res[1].Err != errQuotaExceeded {
		t.Errorf("multi delete+create at the count limit: %+v, want results OK and QuotaExceeded", res)
	}
	if _, code := r.Exists(q+"/b", false); code != errOK {
		t.Errorf("the failed multi deleted %s/b", q)
	}
	data, _, _ := r.GetData(quota+"/zookeeper_stats", false)
	if string(data) != "count=3,bytes=10" {
		t.Errorf("zookeeper_stats %q, want count=3,bytes=10", data)
	}
}

// mkQuotaDirs creates the parents of a quota node under /zookeeper/quota.
func mkQuotaDirs(t testing.TB, r *rawConn, root, quota string) {
	t.Helper()
	for _, p := range []string{"/zookeeper/quota" + root, quota} {
		if _, code := r.Create(p, nil, worldAll, 0); code != errOK {
			t.Fatalf("create %s: %d", p, code)
		}
	}
}
