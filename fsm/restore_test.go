package fsm

import (
	"testing"

	"github.com/zkraft/zkraft/protocol"
)

// TestRestoreEntry: an EntryRestore gives the snapshot's znodes with every
// Stat field, keeps this ensemble's sessions, secret and /zookeeper/config,
// drops the snapshot's ephemerals of sessions that do not live here, and
// moves the zxid forward.
func TestRestoreEntry(t *testing.T) {
	src := newHarness(t, Options{})
	src.session(0x50, 4000)
	src.session(0x51, 4000)
	src.mkdir("/app", "/app/a")
	src.mustOK(src.do(0, protocol.OpSetData, &protocol.SetDataRequest{Path: "/app/a", Data: []byte("v2"), Version: -1}))
	src.mustOK(src.do(0x50, protocol.OpCreate, &protocol.CreateRequest{Path: "/app/e50", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	src.mustOK(src.do(0x51, protocol.OpCreate, &protocol.CreateRequest{Path: "/app/e51", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	src.createContainer("/box")
	src.mkdir("/box/c")
	src.mustOK(src.do(0, protocol.OpDelete, &protocol.DeleteRequest{Path: "/box/c", Version: -1}))
	snap := src.snapshot()
	wantStat := src.stat("/app/a")

	dst := newHarness(t, Options{})
	dst.index += 1000 // the live ensemble is further along
	dst.session(0x50, 9000)
	dst.session(0x99, 9000)
	dst.mkdir("/old")
	dst.mustOK(dst.do(0x99, protocol.OpCreate, &protocol.CreateRequest{Path: "/e99", ACL: worldAll, Flags: protocol.ModeEphemeral}))
	dst.f.cur.Load().secret = []byte("live-secret")
	live := dst.f.cur.Load()
	cfgNode, _ := live.nodes.Get(nodeKey(configNode))
	cfgNode = cfgNode.clone()
	cfgNode.data = []byte("server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nversion=1")
	txn := live.nodes.Txn()
	txn.Insert(nodeKey(configNode), cfgNode)
	live.nodes = txn.CommitOnly()
	password := dst.f.Password(0x50)

	before := dst.zxid()
	if err := CheckSnapshot(snap); err != nil {
		t.Fatal(err)
	}
	if r := dst.apply(EncodeRestore(snap)); r != nil {
		t.Fatalf("restore answered %+v", r)
	}
	if dst.f.LastZxid() <= before {
		t.Fatalf("zxid %#x did not move past %#x", dst.f.LastZxid(), before)
	}
	if dst.exists("/old") || dst.exists("/e99") {
		t.Fatal("the old tree survived the restore")
	}
	if got := dst.stat("/app/a"); got != wantStat || dst.data("/app/a") != "v2" {
		t.Fatalf("/app/a: stat %+v data %q, want %+v", got, dst.data("/app/a"), wantStat)
	}
	if !dst.exists("/app/e50") || dst.exists("/app/e51") {
		t.Fatal("want the live session's ephemeral kept and the dead one's dropped")
	}
	if got := dst.children("/app"); len(got) != 2 {
		t.Fatalf("children of /app: %v", got)
	}
	sessions := dst.f.Sessions()
	if len(sessions) != 2 || sessions[0].ID != 0x50 || sessions[0].Timeout != 9000 || sessions[0].Ephemerals != 1 || sessions[1].ID != 0x99 || sessions[1].Ephemerals != 0 {
		t.Fatalf("sessions after restore: %+v", sessions)
	}
	if string(dst.f.Password(0x50)) != string(password) {
		t.Fatal("the cluster secret changed")
	}
	if dst.data(configNode) != string(cfgNode.data) {
		t.Fatal("/zookeeper/config is not the ensemble's own")
	}
	if len(dst.f.ReapCandidates(1<<62, 10)) != 1 {
		t.Fatal("the restored container is not tracked for reaping")
	}
	// The restored tree takes writes as any other.
	dst.mkdir("/app/after")
	if st := dst.stat("/app/after"); st.Czxid != dst.zxid() {
		t.Fatalf("czxid %#x after restore", st.Czxid)
	}
}

func TestCheckSnapshotRefusesDamage(t *testing.T) {
	snap := newHarness(t, Options{}).snapshot()
	snap[len(snap)/2] ^= 0xff
	if err := CheckSnapshot(snap); err == nil {
		t.Fatal("a damaged snapshot passed the check")
	}
	if err := CheckSnapshot([]byte("zk")); err == nil {
		t.Fatal("two bytes passed the check")
	}
}
