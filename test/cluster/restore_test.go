package cluster

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// TestRestoreSeedsEnsemble restores one snapshot into every member of a new
// 3-node ensemble with "zkraft snapshot restore --config": the members
// form an ensemble that serves the tree, and new writes get zxids above the
// snapshot's and reach every member.
func TestRestoreSeedsEnsemble(t *testing.T) {
	const lastZxid = 0x5_0000_0010 // term 5, as if from a long-lived ensemble
	img := fsm.InitialImage()
	img.LastZxid = lastZxid
	world := []protocol.ACL{{Perms: protocol.PermAll, ID: protocol.Id{Scheme: "world", ID: "anyone"}}}
	img.Nodes[0].Cversion++ // "/" gains a child
	img.Nodes = append(img.Nodes,
		fsm.ImageNode{Path: "/restored", Data: []byte("from backup"), ACL: world, Czxid: 0x5_0000_0001,
			Mzxid: 0x5_0000_000f, Pzxid: 0x5_0000_0002, Ctime: 1700000000000, Mtime: 1700000001000, Version: 3, Cversion: 1},
		fsm.ImageNode{Path: "/restored/child", Data: []byte{}, ACL: world, Czxid: 0x5_0000_0002,
			Mzxid: 0x5_0000_0002, Pzxid: 0x5_0000_0002, Ctime: 1700000000500, Mtime: 1700000000500})
	snap := filepath.Join(t.TempDir(), "backup.snap")
	f, err := os.Create(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := fsm.WriteImage(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()

	e := newEnsemble(t, 3, "")
	for _, m := range e.members {
		out, err := exec.Command(binary, "snapshot", "restore", snap, "--config", filepath.Join(m.dir, "zoo.cfg"),
			"--output", "json").CombinedOutput()
		if err != nil {
			t.Fatalf("restore into member %d: %v\n%s", m.id, err, out)
		}
		var rep struct {
			Seed struct {
				Term, Index uint64
				Servers     []string
			}
		}
		if err := json.Unmarshal(out, &rep); err != nil || rep.Seed.Term != 5 || rep.Seed.Index != 0x10 || len(rep.Seed.Servers) != 3 {
			t.Fatalf("member %d: restore reported %s (%v)", m.id, out, err)
		}
	}
	for _, m := range e.members {
		e.start(m.id)
	}
	leader := e.waitLeader(30 * time.Second)
	c := e.connect(leader)
	data, st, err := c.Get("/restored")
	if err != nil || string(data) != "from backup" || st.Version != 3 || st.Czxid != 0x5_0000_0001 || st.NumChildren != 1 {
		t.Fatalf("/restored on the leader: %q %+v %v", data, st, err)
	}
	p, err := c.Create("/written-after", []byte("new"), 0, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	_, st, _ = c.Get(p)
	if st.Czxid <= lastZxid || st.Czxid>>32 <= 5 {
		t.Errorf("first write has zxid %#x, want a later term than the snapshot's %#x", st.Czxid, int64(lastZxid))
	}
	for _, m := range e.members {
		mc := e.connect(m.id)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := mc.Sync("/"); err != nil {
				t.Fatalf("member %d: sync: %v", m.id, err)
			}
			ok1, _, err1 := mc.Exists("/restored/child")
			ok2, _, err2 := mc.Exists("/written-after")
			if ok1 && ok2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d: restored child %v (%v), new node %v (%v)", m.id, ok1, err1, ok2, err2)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
