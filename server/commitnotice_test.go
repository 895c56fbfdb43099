package server

import (
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestFollowerWriteNeedsNoCommitTimeout: a write sent to a follower is
// answered as soon as the leader committed it, not when raft's next
// AppendEntries brings the commit index. With CommitTimeout at 2s and no
// other traffic, a follower without commit notices would answer each write
// after 2-4s.
func TestFollowerWriteNeedsNoCommitTimeout(t *testing.T) {
	follower := startSlowHeartbeatEnsemble(t)[0]
	c, _ := connect(t, follower, 10*time.Second)
	if _, err := c.Create("/cn", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		start := time.Now()
		if _, err := c.Set("/cn", []byte{byte('1' + i)}, -1); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("set %d through a follower took %v (CommitTimeout is 2s)", i, d)
		}
		// Answered from the follower's own apply: it reads its write.
		if data, _, err := c.Get("/cn"); err != nil || string(data) != string([]byte{byte('1' + i)}) {
			t.Fatalf("get after set %d = %q, %v", i, data, err)
		}
	}
	// One notice per set, unless raft's own AppendEntries happened to bring
	// the commit first.
	if n := follower.stats.notices.Load(); n < 3 {
		t.Fatalf("the follower's raft accepted %d commit notices for 5 sets", n)
	}
}

// A write through one follower reaches a watcher on the other at once: the
// leader pushes the commit when its log is applied and no batch is in
// flight (commitpush.go), where raft would tell that follower only with its
// next heartbeat, CommitTimeout (2s here) later.
func TestOtherFollowerSeesCommitWithoutCommitTimeout(t *testing.T) {
	followers := startSlowHeartbeatEnsemble(t)
	writer, _ := connect(t, followers[0], 10*time.Second)
	watcher, _ := connect(t, followers[1], 10*time.Second)
	if _, err := writer.Create("/seen", []byte("0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		// The watcher's server must have the node before it can watch it.
		if _, err := watcher.Sync("/seen"); err != nil {
			t.Fatal(err)
		}
		_, _, ev, err := watcher.GetW("/seen")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := writer.Set("/seen", []byte{byte('1' + i)}, -1); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-ev:
			if e.Type != zk.EventNodeDataChanged {
				t.Fatalf("watch event %v, want a data change", e)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("set %d reached the other follower's watcher after %v (CommitTimeout is 2s)", i, d)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("set %d: no watch event on the other follower within 10s", i)
		}
	}
}

// startSlowHeartbeatEnsemble starts three members whose leader sends an
// AppendEntries without new entries only every 2s (CommitTimeout) and
// returns the two followers once every member serves.
func startSlowHeartbeatEnsemble(t *testing.T) []*Server {
	t.Helper()
	const n = 3
	var members []Member
	addrs := freeLoopbackAddrs(t, n)
	for i := 1; i <= n; i++ {
		members = append(members, Member{ID: i, QuorumAddr: addrs[i-1]})
	}
	servers := make([]*Server, n)
	for i := range servers {
		o := testOptions(t)
		o.ServerID = i + 1
		o.Members = members
		o.TickTime = 600 * time.Millisecond // heartbeats every 300ms: no step-downs on a busy machine
		o.MinSessionTimeout = 2 * o.TickTime
		o.commitTimeout = 2 * time.Second
		servers[i] = startServer(t, o)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("no leader with every member serving after 20s")
		}
		time.Sleep(10 * time.Millisecond)
		var followers []*Server
		ready := true
		for _, s := range servers {
			ready = ready && s.serving()
			if !s.node.isLeader() {
				followers = append(followers, s)
			}
		}
		if ready && len(followers) == n-1 {
			return followers
		}
	}
}

// freeLoopbackAddrs returns n distinct free loopback addresses. Every
// listener stays open until all are chosen, so no port is handed out twice.
func freeLoopbackAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
}
