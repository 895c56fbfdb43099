package cluster

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestMinorityPartition cuts one member off the network of a 3-member
// ensemble while clients still reach it, first the leader, then a
// follower. Each time:
//   - the cut member acknowledges no write and stops serving (srvr);
//   - it closes an idle client's connection before the majority expires
//     that client's session: a lock holder on the minority learns it lost
//     contact before its ephemeral is deleted (ZooKeeper 3.8 leaves a
//     follower's clients connected for syncLimit ticks, 10 s here, past a
//     6 s session's expiry), and the session, once expired, never
//     resumes;
//   - the majority elects a leader if it needs one and takes writes;
//   - after the network heals the member catches up: every member holds
//     every acknowledged write and none of the minority's attempts.
func TestMinorityPartition(t *testing.T) {
	e := newNetnsEnsemble(t, 3, "")
	for id := 1; id <= 3; id++ {
		e.start(id)
	}
	defer e.dumpLogs()
	e.waitLeader(30 * time.Second)

	for round, which := range []string{"leader", "follower"} {
		leader := e.waitLeader(30 * time.Second)
		cut := leader
		if which == "follower" {
			cut = leader%3 + 1
		}
		t.Run(fmt.Sprintf("%d-%s", round+1, which), func(t *testing.T) {
			partitionRound(t, e, cut, fmt.Sprintf("/part%d", round+1))
		})
		if t.Failed() {
			return
		}
	}
}

// partitionRound cuts member cut off, checks what the two sides do, heals
// and checks that the members agree.
func partitionRound(t *testing.T, e *ensemble, cut int, dir string) {
	var others []int
	for id := 1; id <= 3; id++ {
		if id != cut {
			others = append(others, id)
		}
	}
	// A sits on the member that will be cut off and holds an ephemeral
	// "lock", otherwise idle; B, on the other two, watches it. C, also on
	// the cut-off member, tries to write there.
	a, aStates := connectVia(t, 6*time.Second, e.members[cut-1].clientAddr())
	c, _ := connectVia(t, 6*time.Second, e.members[cut-1].clientAddr())
	b := e.connect(others...)
	if _, err := b.Create(dir, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	lock := dir + "/lock"
	if _, err := a.Create(lock, []byte("a"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Sync(lock); err != nil {
		t.Fatal(err)
	}
	ok, _, lockEv, err := b.ExistsW(lock)
	if err != nil || !ok {
		t.Fatalf("B does not see A's lock: %v %v", ok, err)
	}

	e.net.cut(cut, others)
	cutAt := time.Now()
	t.Logf("member %d cut off", cut)
	healed := false
	defer func() {
		if !healed {
			e.net.heal(cut, others)
		}
	}()

	// C's writes on the minority, started after the cut: none may be
	// acknowledged. They run until C's connection drops.
	var attempted []string
	var cWrites sync.WaitGroup
	cWrites.Add(1)
	go func() {
		defer cWrites.Done()
		for i := 0; time.Since(cutAt) < 20*time.Second; i++ {
			p := fmt.Sprintf("%s/a-%d", dir, i)
			attempted = append(attempted, p)
			if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
				t.Errorf("the cut-off member acknowledged %s %v after the cut", p, time.Since(cutAt))
			} else if errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrSessionExpired) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// The majority takes writes (after electing a leader when it lost it).
	var acked []string
	for i := 0; len(acked) == 0; i++ {
		if time.Since(cutAt) > 20*time.Second {
			t.Fatalf("the majority took no write within 20s of the cut; modes %v", e.modes())
		}
		p := fmt.Sprintf("%s/b-%d", dir, i)
		if _, err := b.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
			acked = append(acked, p)
		}
	}
	t.Logf("the majority took its first write %v after the cut", time.Since(cutAt).Round(time.Millisecond))

	// A hears that its connection is gone before its lock is deleted.
	var aDisconnected time.Duration
	var lockDeleted time.Duration
	deadline := time.After(30 * time.Second)
	for lockDeleted == 0 {
		select {
		case s := <-aStates:
			if s == zk.StateDisconnected && aDisconnected == 0 {
				aDisconnected = time.Since(cutAt)
			}
			if s == zk.StateHasSession {
				t.Errorf("A regained its session on the cut-off member %v after the cut", time.Since(cutAt))
			}
		case ev := <-lockEv:
			if ev.Type != zk.EventNodeDeleted {
				t.Fatalf("B's watch on the lock: %v", ev)
			}
			lockDeleted = time.Since(cutAt)
		case <-deadline:
			t.Fatalf("A's lock was not deleted within 30s of the cut")
		}
	}
	if aDisconnected == 0 {
		t.Fatalf("A was still connected to the cut-off member when the majority deleted its lock (%v after the cut)", lockDeleted)
	}
	t.Logf("A disconnected %v after the cut, its lock deleted %v after the cut", aDisconnected.Round(time.Millisecond), lockDeleted.Round(time.Millisecond))
	if got := field(fourLetter(e.members[cut-1].clientAddr(), "srvr"), "Mode"); got != "" {
		t.Errorf("the cut-off member still serves (Mode %q)", got)
	}
	for i := 0; i < 20; i++ {
		p := fmt.Sprintf("%s/b-after-%d", dir, i)
		if _, err := b.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("majority write %s: %v", p, err)
		}
		acked = append(acked, p)
	}
	cWrites.Wait()

	e.net.heal(cut, others)
	healed = true
	healedAt := time.Now()
	// A's session expired: back on its member it must be told so, never
	// resume it.
	deadline = time.After(30 * time.Second)
	for expired := false; !expired; {
		select {
		case s := <-aStates:
			switch s {
			case zk.StateHasSession:
				t.Fatalf("A resumed its expired session after the heal")
			case zk.StateExpired:
				expired = true
			}
		case <-deadline:
			t.Fatalf("A was not told of its expired session within 30s of the heal")
		}
	}
	t.Logf("A told its session expired %v after the heal", time.Since(healedAt).Round(time.Millisecond))

	// Every member holds every acknowledged write and none of C's.
	e.waitLeader(30 * time.Second)
	for id := 1; id <= 3; id++ {
		m, _ := connectVia(t, 6*time.Second, e.members[id-1].clientAddr())
		if _, err := m.Sync(dir); err != nil {
			t.Fatalf("sync on member %d: %v", id, err)
		}
		kids, _, err := m.Children(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range acked {
			if !slices.Contains(kids, p[len(dir)+1:]) {
				t.Errorf("member %d lost acknowledged %s", id, p)
			}
		}
		for _, p := range attempted {
			if slices.Contains(kids, p[len(dir)+1:]) {
				t.Errorf("member %d holds %s, attempted on the cut-off member", id, p)
			}
		}
		if slices.Contains(kids, "lock") {
			t.Errorf("member %d still holds A's expired lock", id)
		}
		m.Close()
		t.Logf("member %d: %d znodes under %s, %d acknowledged, none of %d minority attempts", id, len(kids), dir, len(acked), len(attempted))
	}
}
