package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// waitRejoined waits until member id follows (or leads) a single leader
// and has applied at least what the leader had applied when it rejoined.
func (e *ensemble) waitRejoined(id int, timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	zxid := func(m int) int64 {
		v, err := strconv.ParseInt(strings.TrimPrefix(field(fourLetter(e.members[m-1].clientAddr(), "srvr"), "Zxid"), "0x"), 16, 64)
		if err != nil {
			return -1
		}
		return v
	}
	var target int64 = -1
	for time.Now().Before(deadline) {
		if l := e.currentLeader(); l != 0 {
			if m := e.modes()[id]; target < 0 && (m == "follower" || m == "leader") {
				target = zxid(l)
			}
			if target >= 0 && zxid(id) >= target {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("member %d did not rejoin within %v; modes %v", id, timeout, e.modes())
}

// TestRollingRestart: every member in turn is stopped with SIGTERM and
// started again, the next one only once it has rejoined, while three
// clients write sequentially (retrying on connection loss only). Every
// acknowledged write is on every member at the end, and no client saw any
// error but a connection loss.
func TestRollingRestart(t *testing.T) {
	e, leader := started(t)
	setup := e.connect(leader)
	if _, err := setup.Create("/w", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var writers []*writer
	for i := range 3 {
		// Each writer knows every member, starting from a different one.
		order := []int{i + 1}
		for id := 1; id <= 3; id++ {
			if id != i+1 {
				order = append(order, id)
			}
		}
		w := &writer{name: fmt.Sprint("r", i), c: e.connect(order...)}
		writers = append(writers, w)
		wg.Add(1)
		go w.run(&stop, &wg)
	}
	start := time.Now()
	for id := 1; id <= 3; id++ {
		time.Sleep(time.Second) // writes flow between restarts
		t0 := time.Now()
		e.stop(id)
		e.start(id)
		e.waitRejoined(id, 30*time.Second)
		t.Logf("member %d restarted and rejoined in %v", id, time.Since(t0).Round(time.Millisecond))
	}
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	total := 0
	for _, w := range writers {
		total += len(w.acked)
		t.Logf("writer %s: %d acknowledged, retried errors %v", w.name, len(w.acked), w.errs)
		for msg := range w.errs {
			if msg != zk.ErrConnectionClosed.Error() && msg != zk.ErrNoServer.Error() {
				t.Errorf("writer %s got %q; only connection losses are expected", w.name, msg)
			}
		}
	}
	if total == 0 {
		t.Fatal("no write was acknowledged")
	}
	var acked []string
	for _, w := range writers {
		acked = append(acked, w.acked...)
	}
	for id := 1; id <= 3; id++ {
		kids, lost := e.lostWrites(id, acked)
		t.Logf("ROLLING RESTART member %d: %d writes acknowledged over %v, %d znodes, %d lost",
			id, total, time.Since(start).Round(time.Millisecond), kids, lost)
		if lost > 0 {
			t.Errorf("member %d lost %d acknowledged writes", id, lost)
		}
	}
}

// lostWrites syncs member id and counts the znodes under /w and the
// acknowledged paths missing there.
func (e *ensemble) lostWrites(id int, acked []string) (znodes, lost int) {
	e.t.Helper()
	c := e.connect(id)
	if _, err := c.Sync("/w"); err != nil {
		e.t.Fatalf("sync on %d: %v", id, err)
	}
	kids, _, err := c.Children("/w")
	if err != nil {
		e.t.Fatal(err)
	}
	have := make(map[string]bool, len(kids))
	for _, k := range kids {
		have["/w/"+k] = true
	}
	for _, p := range acked {
		if !have[p] {
			lost++
		}
	}
	return len(kids), lost
}
