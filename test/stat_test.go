package test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestStatFields follows one node through its life and checks how each
// change moves the zxids, versions and counters of its Stat.
func TestStatFields(t *testing.T) {
	c := connect(t, shared)
	root := testRoot(t, shared)
	p := root + "/n"
	before := time.Now().UnixMilli()
	mustCreate(t, c, p, []byte("abc"), 0)
	_, created, err := c.Get(p)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	if created.Czxid <= 0 || created.Mzxid != created.Czxid || created.Pzxid != created.Czxid {
		t.Fatalf("new node: czxid %d mzxid %d pzxid %d, want all equal and > 0", created.Czxid, created.Mzxid, created.Pzxid)
	}
	if created.Ctime < before-1000 || created.Ctime > after+1000 || created.Mtime != created.Ctime {
		t.Errorf("new node: ctime %d mtime %d, want equal and within [%d, %d]", created.Ctime, created.Mtime, before, after)
	}
	if created.DataLength != 3 || created.Version != 0 || created.NumChildren != 0 {
		t.Errorf("new node stat %+v: want dataLength 3, version 0, numChildren 0", created)
	}

	// setData moves mzxid and version; czxid, pzxid and cversion stay.
	set, err := c.Set(p, []byte("abcdef"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if set.Czxid != created.Czxid || set.Mzxid <= created.Mzxid || set.Pzxid != created.Pzxid {
		t.Errorf("after setData: czxid %d mzxid %d pzxid %d; want czxid and pzxid kept (%d), mzxid above %d",
			set.Czxid, set.Mzxid, set.Pzxid, created.Czxid, created.Mzxid)
	}
	if set.Version != 1 || set.DataLength != 6 || set.Cversion != 0 || set.Mtime < set.Ctime {
		t.Errorf("after setData stat %+v: want version 1, dataLength 6, cversion 0, mtime >= ctime", set)
	}

	// A child create moves pzxid, cversion and numChildren, not mzxid.
	mustCreate(t, c, p+"/k1", nil, 0)
	_, kid, _ := c.Get(p + "/k1")
	_, parent, _ := c.Get(p)
	if parent.Pzxid != kid.Czxid || parent.Mzxid != set.Mzxid || parent.Cversion != 1 || parent.NumChildren != 1 {
		t.Errorf("after child create: parent %+v; want pzxid = child czxid %d, mzxid %d, cversion 1, numChildren 1",
			parent, kid.Czxid, set.Mzxid)
	}
	if kid.Czxid <= set.Mzxid {
		t.Errorf("child czxid %d not above the earlier setData zxid %d", kid.Czxid, set.Mzxid)
	}
	// A child's setData does not touch the parent.
	if _, err := c.Set(p+"/k1", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	_, parent2, _ := c.Get(p)
	if *parent2 != *parent {
		t.Errorf("a child's setData changed the parent stat: %+v -> %+v", parent, parent2)
	}

	// A child delete moves pzxid and cversion too.
	if err := c.Delete(p+"/k1", -1); err != nil {
		t.Fatal(err)
	}
	_, parent3, _ := c.Get(p)
	if parent3.Pzxid <= parent.Pzxid || parent3.Cversion != 2 || parent3.NumChildren != 0 || parent3.Mzxid != set.Mzxid {
		t.Errorf("after child delete: parent %+v; want pzxid above %d, cversion 2, numChildren 0, mzxid %d",
			parent3, parent.Pzxid, set.Mzxid)
	}

	// setACL moves aversion only.
	aclStat, err := c.SetACL(p, zk.WorldACL(zk.PermAll), -1)
	if err != nil {
		t.Fatal(err)
	}
	if aclStat.Aversion != 1 || aclStat.Version != 1 || aclStat.Mzxid != set.Mzxid || aclStat.Cversion != 2 {
		t.Errorf("after setACL stat %+v: want aversion 1, version 1, mzxid %d, cversion 2", aclStat, set.Mzxid)
	}

	// An ephemeral's owner is the session; a persistent node's is 0.
	mustCreate(t, c, p+"/e", nil, zk.FlagEphemeral)
	_, e, _ := c.Get(p + "/e")
	if e.EphemeralOwner != c.SessionID() {
		t.Errorf("ephemeral owner %#x, want session %#x", e.EphemeralOwner, c.SessionID())
	}
}
