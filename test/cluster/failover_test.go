package cluster

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// writer creates /w/<name>-<i> for i = 0, 1, ... until stopped, through a
// client that knows every member, and remembers what was acknowledged.
type writer struct {
	name  string
	c     *zk.Conn
	acked []string
	errs  map[string]int
}

func (w *writer) run(stop *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	w.errs = map[string]int{}
	for i := 0; !stop.Load(); {
		p := fmt.Sprintf("/w/%s-%06d", w.name, i)
		_, err := w.c.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
		switch {
		case err == nil:
			w.acked = append(w.acked, p)
			i++
		case errors.Is(err, zk.ErrNodeExists):
			// An earlier attempt applied although its answer was lost.
			i++
		default:
			w.errs[err.Error()]++
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestLeaderKill: the leader is killed with SIGKILL while clients write
// through every member. A new leader is elected and writes are accepted
// again within a few seconds (under the default tickTime of 2s); no
// acknowledged write is lost, on the survivors nor on the killed member
// once it restarts and rejoins.
func TestLeaderKill(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	setup := e.connect(fs[0])
	if _, err := setup.Create("/w", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var writers []*writer
	for i, first := range []int{leader, fs[0], fs[1]} {
		// Each writer starts on a different member and may move.
		order := []int{first}
		for id := 1; id <= 3; id++ {
			if id != first {
				order = append(order, id)
			}
		}
		w := &writer{name: fmt.Sprint("c", i), c: e.connect(order...)}
		writers = append(writers, w)
		wg.Add(1)
		go w.run(&stop, &wg)
	}
	// A probe bound to one follower measures when writes are accepted again.
	probe := e.connect(fs[0])
	time.Sleep(time.Second)
	sessions := map[string]int64{}
	for _, w := range writers {
		sessions[w.name] = w.c.SessionID()
	}

	killed := time.Now()
	e.kill(leader)

	elected := make(chan string, 1)
	go func() {
		for time.Since(killed) < 20*time.Second {
			if id := e.currentLeader(); id != 0 {
				elected <- fmt.Sprintf("member %d leads %v after the kill", id, time.Since(killed).Round(time.Millisecond))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		elected <- "no new leader within 20s"
	}()
	var accepted time.Duration
	for n := 0; ; n++ {
		if _, err := probe.Create(fmt.Sprintf("/probe-%d", n), nil, 0, zk.WorldACL(zk.PermAll)); err == nil {
			accepted = time.Since(killed)
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatal("no write accepted within 30s of the leader's kill")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("FAILOVER: first write through a follower accepted %v after SIGKILL of the leader (member %d)",
		accepted.Round(time.Millisecond), leader)
	t.Log(<-elected)
	if accepted > 8*time.Second {
		t.Errorf("writes resumed only after %v", accepted)
	}
	time.Sleep(time.Second) // writers go on through the new leader
	stop.Store(true)
	wg.Wait()

	var acked []string
	for _, w := range writers {
		acked = append(acked, w.acked...)
		t.Logf("writer %s: %d acknowledged, errors %v", w.name, len(w.acked), w.errs)
		// The new leader gave every session a fresh timeout: none expired
		// (go-zookeeper would have made a new session).
		if id := w.c.SessionID(); id != sessions[w.name] {
			t.Errorf("writer %s: session 0x%x replaced by 0x%x across the failover", w.name, sessions[w.name], id)
		}
		for msg := range w.errs {
			if msg != zk.ErrConnectionClosed.Error() && msg != zk.ErrNoServer.Error() {
				t.Errorf("writer %s got %q; only connection losses are expected", w.name, msg)
			}
		}
	}
	sort.Strings(acked)
	checkAll := func(id int) {
		kids, lost := e.lostWrites(id, acked)
		t.Logf("member %d: %d znodes under /w, %d acknowledged, %d lost", id, kids, len(acked), lost)
		if lost > 0 {
			t.Errorf("member %d lost %d acknowledged writes", id, lost)
		}
	}
	for _, id := range fs {
		checkAll(id)
	}

	e.start(leader)
	e.waitLeader(20 * time.Second)
	checkAll(leader)
}

// TestFollowerRestarts: a follower stopped gracefully and one killed and
// restarted with an empty dataDir (only myid kept) both catch up with writes
// made while they were down.
func TestFollowerRestarts(t *testing.T) {
	e, leader := started(t)
	fs := followers(leader)
	c := e.connect(leader)
	create := func(prefix string, n int) { createNodes(t, c, prefix, n, nil) }
	create("before", 50)

	e.stop(fs[0])
	create("during-stop", 50)
	e.start(fs[0])
	// Killing the other follower before this one is back would leave the
	// leader without a quorum.
	e.waitRejoined(fs[0], 30*time.Second)

	e.kill(fs[1])
	e.wipe(fs[1])
	create("during-wipe", 50)
	e.start(fs[1])
	e.waitLeader(20 * time.Second)

	for _, id := range fs {
		e.checkChildren(id, 151) // 150 + /zookeeper
	}
}

// TestWipedFollowerCatchesUpBySnapshot: with snapCount=100 the leader keeps
// only 100 entries after a snapshot, so a follower restarted with an empty
// dataDir is sent the snapshot (raft's InstallSnapshot, ZooKeeper's SNAP)
// and then the entries after it. raft-wal drops only whole segments, so
// preAllocSize makes them small (64 KiB) and the nodes carry 1 KiB each.
func TestWipedFollowerCatchesUpBySnapshot(t *testing.T) {
	e, leader := startedWith(t, "snapCount=100\npreAllocSize=64\n")
	t.Cleanup(e.dumpLogs)
	f := followers(leader)[0]
	c := e.connect(leader)
	data := make([]byte, 1024)
	createNodes(t, c, "a", 150, data)
	e.kill(f)
	e.wipe(f)
	createNodes(t, c, "b", 150, data)
	// The leader snapshots within 10-20s of passing snapCount (raft's
	// check interval) and drops the segments before its trailing 100
	// entries.
	e.waitLog(leader, "compacting logs", 30*time.Second)
	e.start(f)
	e.waitLog(f, "Installed remote snapshot", 20*time.Second)
	createNodes(t, c, "c", 10, nil)
	e.checkChildren(f, 311) // 310 + /zookeeper
}

// createNodes creates /<prefix>-000 ... with data, one at a time.
func createNodes(t *testing.T, c *zk.Conn, prefix string, n int, data []byte) {
	t.Helper()
	for i := range n {
		if _, err := c.Create(fmt.Sprintf("/%s-%03d", prefix, i), data, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNewLeaderStartsEpoch: after a leader change every member's zxid
// carries the new epoch before any client writes, as ZooKeeper's do once
// the new leader is established (srvr Zxid's high 32 bits = mntr zk_epoch).
func TestNewLeaderStartsEpoch(t *testing.T) {
	e, leader := started(t)
	c := e.connect(leader)
	if _, err := c.Create("/before", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	oldEpoch := zxidEpoch(t, field(fourLetter(e.members[leader-1].clientAddr(), "srvr"), "Zxid"))
	e.kill(leader)
	e.waitLeader(20 * time.Second)

	deadline := time.Now().Add(15 * time.Second)
	for _, id := range followers(leader) {
		for {
			addr := e.members[id-1].clientAddr()
			zxid := field(fourLetter(addr, "srvr"), "Zxid")
			epoch := field(fourLetter(addr, "mntr"), "zk_epoch")
			if zxid != "" && epoch != "" && fmt.Sprint(zxidEpoch(t, zxid)) == epoch && zxidEpoch(t, zxid) > oldEpoch {
				t.Logf("member %d: Zxid %s, zk_epoch %s (was %d)", id, zxid, epoch, oldEpoch)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("member %d: Zxid %q, zk_epoch %q; want the zxid's epoch to be zk_epoch (> %d) with no client write", id, zxid, epoch, oldEpoch)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// zxidEpoch is the high 32 bits of a "0x..." zxid.
func zxidEpoch(t *testing.T, zxid string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(zxid, "0x"), 16, 64)
	if err != nil {
		t.Fatalf("zxid %q: %v", zxid, err)
	}
	return v >> 32
}
