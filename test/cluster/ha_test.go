package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// waitLeaderIs waits until member id is the single leader.
func (e *ensemble) waitLeaderIs(id int, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if e.currentLeader() == id {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("member %d does not lead within %v; modes %v", id, timeout, e.modes())
}

// TestFiveMembersWithObserver: 4 participants and an observer. Leadership
// settles on the highest-sid participant (ZooKeeper's election order); every
// member takes writes and reads all of them; after a SIGKILL of the leader
// the highest surviving participant leads and writes resume within seconds;
// the observer never leads.
func TestFiveMembersWithObserver(t *testing.T) {
	e := newEnsemble(t, 5, "")
	t.Cleanup(e.dumpLogs)
	e.setObserver(5)
	for id := 1; id <= 5; id++ {
		e.start(id)
	}
	e.waitLeader(20 * time.Second)
	e.waitLeaderIs(4, 20*time.Second)
	e.waitMode(5, "observer", 5*time.Second)

	conns := map[int]*zk.Conn{}
	for id := 1; id <= 5; id++ {
		conns[id] = e.connect(id)
	}
	if _, err := conns[1].Create("/five", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 5; id++ {
		for i := range 5 {
			if _, err := conns[id].Create(fmt.Sprintf("/five/m%d-%d", id, i), []byte{byte(id)}, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("write through member %d: %v", id, err)
			}
		}
	}
	for id := 1; id <= 5; id++ {
		if _, err := conns[id].Sync("/five"); err != nil {
			t.Fatalf("sync on %d: %v", id, err)
		}
		kids, _, err := conns[id].Children("/five")
		if err != nil || len(kids) != 25 {
			t.Fatalf("member %d reads %d children of /five (%v), want 25", id, len(kids), err)
		}
	}

	// The probe sits on the observer: it must keep working through the
	// failover without ever leading.
	killed := time.Now()
	e.kill(4)
	var accepted time.Duration
	for n := 0; ; n++ {
		if _, err := conns[5].Create(fmt.Sprintf("/five/after-%d", n), nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
			accepted = time.Since(killed)
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatal("no write accepted within 30s of the leader's kill")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("FAILOVER (4 participants + observer): first write through the observer accepted %v after SIGKILL of leader 4",
		accepted.Round(time.Millisecond))
	if accepted > 8*time.Second {
		t.Errorf("writes resumed only after %v", accepted)
	}
	e.waitLeaderIs(3, 20*time.Second)
	t.Logf("member 3 (highest surviving participant) leads %v after the kill", time.Since(killed).Round(time.Millisecond))
	e.waitMode(5, "observer", 5*time.Second)
	for _, id := range []int{1, 2, 3, 5} {
		if _, err := conns[id].Sync("/five"); err != nil {
			t.Fatalf("sync on %d: %v", id, err)
		}
		if ok, _, err := conns[id].Exists("/five/m4-4"); err != nil || !ok {
			t.Fatalf("member %d lost a write made through the killed leader: %v %v", id, ok, err)
		}
	}
}

// TestPreferHighestSidOff: with zkraft.preferHighestSid=false leadership
// stays where raft's election put it; nothing moves it afterwards.
func TestPreferHighestSidOff(t *testing.T) {
	e := newEnsemble(t, 3, "zkraft.preferHighestSid=false\n")
	t.Cleanup(e.dumpLogs)
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	first := e.waitLeader(20 * time.Second)
	// Long enough for a transfer to have happened if it were on (it
	// waits half a tick, then raft moves leadership within a second).
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if id := e.currentLeader(); id != 0 && id != first {
			t.Fatalf("leadership moved from %d to %d with preferHighestSid=false", first, id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
