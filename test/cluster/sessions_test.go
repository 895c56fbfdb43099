package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestSilentSessionExpires: a client of a follower that goes silent is
// expired by the leader after its timeout, and its ephemeral disappears on
// every member.
func TestSilentSessionExpires(t *testing.T) {
	e, leader := started(t)
	f := followers(leader)[0]
	p := newGate(t, e.members[f-1].clientAddr(), true)
	c, _, err := zk.Connect([]string{p.addr()}, 4*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Create("/silent", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sid := c.SessionID()
	watcher := e.connect(leader)
	ok, _, ev, err := watcher.ExistsW("/silent")
	if err != nil || !ok {
		t.Fatalf("leader does not show /silent: %v %v", ok, err)
	}
	p.set(false) // the client goes silent, without a closeSession
	cut := time.Now()
	select {
	case got := <-ev:
		if got.Type != zk.EventNodeDeleted {
			t.Fatalf("event %+v", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("session 0x%x not expired 20s after its client went silent", sid)
	}
	took := time.Since(cut)
	t.Logf("session with a 4s timeout expired %v after its client went silent", took.Round(time.Millisecond))
	if took < 3*time.Second {
		t.Errorf("expired after only %v; the timeout is 4s", took)
	}
	for id := 1; id <= 3; id++ {
		o := e.connect(id)
		o.Sync("/")
		if ok, _, _ := o.Exists("/silent"); ok {
			t.Errorf("member %d still shows the expired session's ephemeral", id)
		}
	}
}

// TestSyncAcrossMembers: a write acknowledged through one member is read
// through another right after a sync there, every time.
func TestSyncAcrossMembers(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	pairs := [][2]int{{leader, fs[0]}, {fs[0], fs[1]}, {fs[1], leader}}
	conns := map[int]*zk.Conn{}
	for id := 1; id <= 3; id++ {
		conns[id] = e.connect(id)
	}
	if _, err := conns[leader].Create("/s", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		pr := pairs[i%len(pairs)]
		want := fmt.Sprint(i)
		if _, err := conns[pr[0]].Set("/s", []byte(want), -1); err != nil {
			t.Fatal(err)
		}
		if _, err := conns[pr[1]].Sync("/s"); err != nil {
			t.Fatal(err)
		}
		data, _, err := conns[pr[1]].Get("/s")
		if err != nil || string(data) != want {
			t.Fatalf("round %d: wrote %q through %d, read %q through %d after sync (%v)", i, want, pr[0], data, pr[1], err)
		}
	}
}

// TestObserver: a fourth member listed as an observer follows the log as a
// non-voter, says so in srvr and mntr, and takes writes (forwarded).
func TestObserver(t *testing.T) {
	e := newEnsemble(t, 4, "")
	t.Cleanup(e.dumpLogs)
	// Rewrite the member lines with server.4 as an observer.
	e.setObserver(4)
	for id := 1; id <= 4; id++ {
		e.start(id)
	}
	leader := e.waitLeader(20 * time.Second)
	if leader == 4 {
		t.Fatal("the observer leads")
	}
	if m := e.modes()[4]; m != "observer" {
		t.Fatalf("member 4 mode %q", m)
	}
	out := fourLetter(e.members[leader-1].clientAddr(), "mntr")
	if field(out, "zk_synced_followers") != "2" || field(out, "zk_synced_observers") != "1" {
		t.Fatalf("leader mntr:\n%s", out)
	}
	o := e.connect(4)
	if _, err := o.Create("/from-observer", []byte("o"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c := e.connect(leader)
	if data, _, err := c.Get("/from-observer"); err != nil || string(data) != "o" {
		t.Fatalf("leader reads %q, %v", data, err)
	}
}
