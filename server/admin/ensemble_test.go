package admin

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkraft/zkraft/server"
)

// freePorts returns n distinct free loopback ports. Every listener stays
// open until all are chosen: picking them one at a time can hand out one
// port twice (member 2's election port was member 1's quorum port once).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// threeMembers are the server lines of a 3-member ensemble on distinct free
// loopback ports.
func threeMembers(t *testing.T) []server.Member {
	ports := freePorts(t, 6)
	var members []server.Member
	for id := 1; id <= 3; id++ {
		members = append(members, server.Member{ID: id, QuorumAddr: fmt.Sprintf("127.0.0.1:%d", ports[2*id-2]),
			ElectionAddr: fmt.Sprintf("127.0.0.1:%d", ports[2*id-1])})
	}
	return members
}

// TestEnsembleCommands runs three members on loopback ports: leader,
// voting_view, zabstate and monitor describe the ensemble, and a write sent
// to a follower counts as forwarded in its metrics.
func TestEnsembleCommands(t *testing.T) {
	members := threeMembers(t)
	var zks []*server.Server
	var admins []*Server
	for id := 1; id <= 3; id++ {
		o := server.DefaultOptions()
		o.ClientAddr = "127.0.0.1:0"
		o.DataDir = t.TempDir()
		o.ServerID = id
		// A 400ms tick gives a 100ms leader lease: with 50ms a leader busy
		// starting its members under -race stepped down now and then.
		o.TickTime = 400 * time.Millisecond
		o.MinSessionTimeout = 800 * time.Millisecond
		o.Members = members
		s := startServer(t, o)
		zks = append(zks, s)
		admins = append(admins, startAdmin(t, s, Options{Addr: "127.0.0.1:0"}))
	}

	// Wait until every member names the same leader.
	deadline := time.Now().Add(20 * time.Second)
	leaderID := 0
	for {
		ids := map[float64]int{}
		leaders := 0
		for _, a := range admins {
			// Until the member serves, leader answers the not-serving
			// error without fields.
			m := runCommand(t, a, "leader")
			id, ok := m["leader_id"].(float64)
			if !ok {
				id = -1
			}
			ids[id]++
			if m["is_leader"] == true {
				leaders++
			}
		}
		if len(ids) == 1 && leaders == 1 && ids[-1] == 0 {
			for id := range ids {
				leaderID = int(id)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agreed leader after 20s: ids %v, %d leaders", ids, leaders)
		}
		time.Sleep(50 * time.Millisecond)
	}

	for i, a := range admins {
		id := i + 1
		want := "follower"
		if id == leaderID {
			want = "leader"
		}
		// Status commands answer once the member serves (the first leader
		// has proposed the cluster secret), a moment after the election.
		mon := runCommand(t, a, "monitor")
		for mon["error"] != nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			mon = runCommand(t, a, "monitor")
		}
		if st := mon["server_state"]; st != want {
			t.Errorf("member %d: monitor server_state %v, want %s", id, st, want)
		}
		zs := runCommand(t, a, "zabstate")
		if zs["zabstate"] != "broadcast" || zs["voting"] != true || zs["myid"] != float64(id) {
			t.Errorf("member %d: zabstate %v", id, zs)
		}
		vv, _ := runCommand(t, a, "voting_view")["current_config"].(map[string]any)
		if len(vv) != 3 {
			t.Errorf("member %d: voting_view %v, want 3 members", id, vv)
		}
		if m, _ := vv["1"].(map[string]any); m == nil || m["learnerType"] != "participant" {
			t.Errorf("member %d: voting_view entry 1 = %v", id, vv["1"])
		}
	}

	// Every member's ensemble command lists all three, alive, with the
	// leader leading and every member's admin address (gossip converges
	// within a few probe intervals on loopback).
	for i, a := range admins {
		var got map[string]any
		for {
			got = runCommand(t, a, "ensemble")
			if ensembleAgrees(got, admins) || time.Now().After(deadline.Add(10*time.Second)) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !ensembleAgrees(got, admins) {
			t.Errorf("member %d: ensemble %v, want 3 alive members, one leading", i+1, got)
		}
	}

	// A write through a follower is forwarded to the leader.
	f := 0
	if leaderID == 1 {
		f = 1
	}
	c, ev, err := zk.Connect([]string{zks[f].Addr().String()}, 5*time.Second, zk.WithLogger(quietLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for c.State() != zk.StateHasSession {
		select {
		case <-ev:
		case <-time.After(10 * time.Second):
			t.Fatalf("no session through member %d", f+1)
		}
	}
	before := scrape(t, "http://"+admins[f].Addr().String()+"/metrics")["zkraft_forwarded_writes_total"]
	// A forward attempted while the new leader is still taking over drops
	// the connection (the client retries, as with ZooKeeper's connection
	// loss); a retry may find the node already made.
	for try := 0; ; try++ {
		_, err := c.Create("/through-follower", nil, 0, zk.WorldACL(zk.PermAll))
		if err == nil || err == zk.ErrNodeExists {
			break
		}
		if try == 20 {
			t.Fatalf("create through member %d: %v", f+1, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after := scrape(t, "http://"+admins[f].Addr().String()+"/metrics")
	if got := after["zkraft_forwarded_writes_total"]; got < before+1 {
		t.Errorf("forwarded writes on the follower %v -> %v, want at least +1", before, got)
	}
	if after[`zkraft_raft_state{state="follower"}`] != 1 {
		t.Errorf("follower's raft state samples: %v", after[`zkraft_raft_state{state="follower"}`])
	}
}

// ensembleAgrees reports whether an ensemble answer lists the three members
// alive, the one named leader_id leading and the others following, each
// with its admin address. (The leader is not compared with the one found
// above: under load a lease can lapse and another member take over.)
func ensembleAgrees(got map[string]any, admins []*Server) bool {
	ms, _ := got["members"].([]any)
	if len(ms) != 3 {
		return false
	}
	for i, x := range ms {
		m, _ := x.(map[string]any)
		want := "following"
		if got["leader_id"] == float64(i+1) {
			want = "leading"
		}
		if m["sid"] != float64(i+1) || m["alive"] != true || m["state"] != want ||
			m["admin_address"] != admins[i].Addr().String() || m["role"] != "participant" {
			return false
		}
	}
	return true
}

// TestNotServing: a member alone (no quorum, no leader) answers the status
// commands with ZooKeeper's not-serving error; the commands ZooKeeper runs
// without a running server still answer.
func TestNotServing(t *testing.T) {
	members := threeMembers(t)
	o := server.DefaultOptions()
	o.ClientAddr = "127.0.0.1:0"
	o.DataDir = t.TempDir()
	o.Members = members
	s := startServer(t, o)
	a := startAdmin(t, s, Options{Addr: "127.0.0.1:0"})
	for _, name := range []string{"stats", "server_stats", "connections", "dump", "leader", "watches"} {
		m := runCommand(t, a, name)
		if m["error"] != server.NotServingMessage || m["command"] != name || len(m) != 2 {
			t.Errorf("%s without a leader = %v, want only command and the not-serving error", name, m)
		}
	}
	for _, name := range []string{"monitor", "environment", "get_trace_mask", "system_properties", "zabstate"} {
		if m := runCommand(t, a, name); m["error"] != nil {
			t.Errorf("%s without a leader = %v, want an answer", name, m)
		}
	}
	if zs := runCommand(t, a, "zabstate"); zs["zabstate"] != "election" {
		t.Errorf("zabstate without a leader = %v, want election", zs)
	}
	// The ensemble command answers too: this member looking, the two others
	// not reached.
	en := runCommand(t, a, "ensemble")
	ms, _ := en["members"].([]any)
	if en["error"] != nil || len(ms) != 3 || en["leader_id"] != float64(-1) {
		t.Fatalf("ensemble without a leader = %v", en)
	}
	for i, x := range ms {
		m, _ := x.(map[string]any)
		if m["sid"] != float64(i+1) || m["alive"] != (i == 0) || (i == 0 && m["state"] != "looking") {
			t.Errorf("ensemble member %d = %v", i+1, m)
		}
	}
}
