package server

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/zkraft/zkraft/protocol"
)

// TestPopForeignResult: a result proposed through another server (a moved
// session's earlier write) neither answers nor drops this server's pending
// writes of the session; a later result still drops the lost heads before
// its own.
func TestPopForeignResult(t *testing.T) {
	c := &conn{}
	p := pendingWrites{m: map[int64]*writeQueue{}}
	for _, xid := range []int32{11, 12, 13} {
		c.beginWrite()
		p.push(7, pendingWrite{c: c, xid: xid, op: protocol.OpCreate})
	}
	if _, ok := p.pop(7, 10, protocol.OpCreate); ok {
		t.Fatal("a foreign result matched a pending write")
	}
	if n := c.outstanding(); n != 3 {
		t.Fatalf("a foreign result dropped pending writes: %d left", n)
	}
	if w, ok := p.pop(7, 12, protocol.OpCreate); !ok || w.xid != 12 {
		t.Fatalf("pop 12 = %v, %v", w, ok)
	}
	// 11 was lost (its proposal failed) and is dropped; 12 was taken but is
	// ended by onApply, not by pop.
	if n := c.outstanding(); n != 2 {
		t.Fatalf("after popping 12: %d outstanding, want 2", n)
	}
	if w, ok := p.pop(7, 13, protocol.OpCreate); !ok || w.xid != 13 {
		t.Fatalf("pop 13 = %v, %v", w, ok)
	}
}

func TestBootstrapConfiguration(t *testing.T) {
	o := DefaultOptions()
	if cfg := bootstrapConfiguration(&o, "1", "zkraft-1"); len(cfg.Servers) != 1 || cfg.Servers[0].Suffrage != raft.Voter {
		t.Fatalf("standalone: %+v", cfg)
	}
	o.ServerID = 2
	o.Members = []Member{
		{ID: 1, QuorumAddr: "h1:2888"}, {ID: 2, QuorumAddr: "h2:2888"}, {ID: 3, QuorumAddr: "h3:2888", Observer: true},
	}
	// Every member derives the same configuration, whatever its own id.
	want := []raft.Server{
		{Suffrage: raft.Voter, ID: "1", Address: "h1:2888"},
		{Suffrage: raft.Voter, ID: "2", Address: "h2:2888"},
		{Suffrage: raft.Nonvoter, ID: "3", Address: "h3:2888"},
	}
	for _, self := range []int{1, 2, 3} {
		o.ServerID = self
		cfg := bootstrapConfiguration(&o, "x", "y")
		if len(cfg.Servers) != len(want) {
			t.Fatalf("member %d: %+v", self, cfg)
		}
		for i := range want {
			if cfg.Servers[i] != want[i] {
				t.Fatalf("member %d server %d = %+v, want %+v", self, i, cfg.Servers[i], want[i])
			}
		}
	}
}

func TestClusterTimeouts(t *testing.T) {
	o := DefaultOptions()
	c := raft.DefaultConfig()
	clusterTimeouts(&o, c)
	if c.HeartbeatTimeout != time.Second || c.ElectionTimeout != time.Second ||
		c.LeaderLeaseTimeout != time.Second || c.CommitTimeout != 50*time.Millisecond {
		t.Fatalf("tickTime 2s: %v %v %v %v", c.HeartbeatTimeout, c.ElectionTimeout, c.LeaderLeaseTimeout, c.CommitTimeout)
	}
	c.LocalID = "1"
	if err := raft.ValidateConfig(c); err != nil {
		t.Fatal(err)
	}
	if o.syncTimeout() != 10*time.Second || o.initTimeout() != 20*time.Second {
		t.Fatalf("sync %v init %v", o.syncTimeout(), o.initTimeout())
	}
	o.TickTime = 10 * time.Millisecond
	clusterTimeouts(&o, c)
	if c.HeartbeatTimeout != 50*time.Millisecond {
		t.Fatalf("tiny tick: heartbeat %v", c.HeartbeatTimeout)
	}
}

func TestTrackerTouchReports(t *testing.T) {
	tr := newSessionTracker(1)
	t0 := time.Now()
	tr.attach(5, time.Second, nil, t0.Add(-time.Minute))
	tr.attach(6, time.Second, nil, t0)
	if got := tr.touchedSince(t0); len(got) != 1 || got[0] != 6 {
		t.Fatalf("touchedSince = %v", got)
	}
	// The leader renews reported sessions, creating unknown live ones.
	tr.touchIDs([]int64{5, 8, 9}, func(id int64) (time.Duration, bool) { return 3 * time.Second, id == 8 }, t0)
	if got := tr.touchedSince(t0); len(got) != 3 {
		t.Fatalf("after touchIDs: %v", got)
	}
	if _, ok := tr.m[9]; ok {
		t.Fatal("a session that is not live was tracked")
	}
	if d := time.Duration(tr.m[8].timeout.Load()); d != 3*time.Second {
		t.Fatalf("reported session timeout %v", d)
	}
}
