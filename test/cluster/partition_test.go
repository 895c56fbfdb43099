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
//   - the majority elects a leader if it needs one and takes writes; a
//     write a majority member forwarded to the leader just cut off ends
//     (answered or failed) soon after the new leader is known;
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
	// "lock", otherwise idle; B, on one member of the majority, watches it
	// and writes. C, also on the cut-off member, tries to write there. D,
	// on the other member of the majority, with a session long enough that
	// its connection outlives an election, writes right after the cut,
	// before its member notices: when the leader was cut off that write
	// went to it, and must still end, answered or failed.
	a, aStates := connectVia(t, 6*time.Second, e.members[cut-1].clientAddr())
	c, _ := connectVia(t, 6*time.Second, e.members[cut-1].clientAddr())
	b := e.connect(others[0])
	d, _ := connectVia(t, 30*time.Second, e.members[others[1]-1].clientAddr())
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
	// Moments after the cut, recorded as they happen.
	var mu sync.Mutex
	var aDisconnected, aResumed, aExpired, lockDeleted, dEnded time.Duration
	var dErr error
	since := func() time.Duration { return time.Since(cutAt) }
	stamp := func(at *time.Duration) {
		mu.Lock()
		if *at == 0 {
			*at = since()
		}
		mu.Unlock()
	}
	read := func(at *time.Duration) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return *at
	}
	go func() {
		for st := range aStates {
			switch st {
			case zk.StateDisconnected:
				stamp(&aDisconnected)
			case zk.StateHasSession:
				stamp(&aResumed)
			case zk.StateExpired:
				stamp(&aExpired)
			}
		}
	}()
	go func() {
		if ev := <-lockEv; ev.Type == zk.EventNodeDeleted {
			stamp(&lockDeleted)
		}
	}()
	go func() {
		_, err := d.Create(dir+"/d", nil, 0, zk.WorldACL(zk.PermAll))
		mu.Lock()
		dErr = err
		mu.Unlock()
		stamp(&dEnded)
	}()
	waitFor := func(what string, at *time.Duration, within time.Duration) time.Duration {
		t.Helper()
		for read(at) == 0 {
			if since() > within {
				t.Fatalf("%s: not within %v of the cut", what, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return read(at)
	}

	// C's writes on the minority, started after the cut: none may be
	// acknowledged. They run until C's connection drops.
	var attempted []string
	var cWrites sync.WaitGroup
	cWrites.Add(1)
	go func() {
		defer cWrites.Done()
		for i := 0; since() < 20*time.Second; i++ {
			p := fmt.Sprintf("%s/c-%d", dir, i)
			attempted = append(attempted, p)
			if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
				t.Errorf("the cut-off member acknowledged %s %v after the cut", p, since())
			} else if errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrSessionExpired) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// The majority takes writes (after electing a leader when it lost it).
	var acked []string
	for i := 0; len(acked) == 0; i++ {
		if since() > 20*time.Second {
			t.Fatalf("the majority took no write within 20s of the cut; modes %v", e.modes())
		}
		p := fmt.Sprintf("%s/b-%d", dir, i)
		if _, err := b.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
			acked = append(acked, p)
		}
	}
	t.Logf("the majority took its first write %v after the cut", since().Round(time.Millisecond))
	// An election takes a few seconds at tickTime 2000; the forwarder
	// gives the old leader a tick more. Before that grace, D's write
	// waited about 20s.
	waitFor("the end of D's write sent right after the cut", &dEnded, 12*time.Second)
	mu.Lock()
	t.Logf("D's write sent right after the cut ended %v after it: %v", dEnded.Round(time.Millisecond), dErr)
	if dErr == nil {
		acked = append(acked, dir+"/d")
	}
	mu.Unlock()

	// A hears that its connection is gone before its lock is deleted.
	deleted := waitFor("the deletion of A's lock", &lockDeleted, 30*time.Second)
	if r := read(&aResumed); r != 0 {
		t.Errorf("A got a session again on the cut-off member %v after the cut", r)
	}
	disconnected := read(&aDisconnected)
	if disconnected == 0 || disconnected > deleted {
		t.Fatalf("A was still connected to the cut-off member when the majority deleted its lock (%v after the cut)", deleted)
	}
	t.Logf("A disconnected %v after the cut, its lock deleted %v after the cut", disconnected.Round(time.Millisecond), deleted.Round(time.Millisecond))
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

	// A's session expired: back on its member it must be told so, never
	// resume it.
	e.net.heal(cut, others)
	healed = true
	healedAt := since()
	expired := waitFor("A told its session expired after the heal", &aExpired, healedAt+30*time.Second)
	if r := read(&aResumed); r != 0 && r < expired {
		t.Fatalf("A resumed its expired session %v after the heal", r-healedAt)
	}
	t.Logf("A told its session expired %v after the heal", (expired - healedAt).Round(time.Millisecond))

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
