package cluster

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestLeaderPushesCommits: writes made through the leader reach watchers on
// the followers through the leader's commit pushes (server/commitpush.go),
// not only with raft's next heartbeat: each follower's raft accepts commit
// notices although none of the writes was forwarded through it.
func TestLeaderPushesCommits(t *testing.T) {
	e, admins, leader := startedWithAdmin(t)
	w := e.connect(leader)
	if _, err := w.Create("/pushed", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	watchers := map[int]*zk.Conn{}
	for _, f := range followers(leader) {
		watchers[f] = e.connect(f)
	}
	var delays []time.Duration // from the write's reply to each event
	for i := 1; i <= 20; i++ {
		events := map[int]<-chan zk.Event{}
		for f, c := range watchers {
			_, _, ch, err := c.GetW("/pushed")
			if err != nil {
				t.Fatal(err)
			}
			events[f] = ch
		}
		if _, err := w.Set("/pushed", []byte(fmt.Sprint(i)), -1); err != nil {
			t.Fatal(err)
		}
		acked := time.Now()
		for f, ch := range events {
			select {
			case ev := <-ch:
				if ev.Type != zk.EventNodeDataChanged {
					t.Fatalf("member %d: event %v", f, ev)
				}
				delays = append(delays, time.Since(acked))
			case <-time.After(10 * time.Second):
				t.Fatalf("member %d: no event for write %d", f, i)
			}
		}
	}
	slices.Sort(delays)
	t.Logf("event on a follower after the write's reply: median %v, max %v", delays[len(delays)/2], delays[len(delays)-1])
	// Without pushes a follower learns these commits only from raft's
	// heartbeat (5-10 ms) and accepts no notice at all; a push loses only
	// when that heartbeat beats it.
	for f := range watchers {
		if n := commitNotices(t, admins[f]); n < 5 {
			t.Errorf("member %d accepted %d commit notices for 20 writes through the leader; want the leader's pushes", f, n)
		}
	}
}

// commitNotices reads zkraft_commit_notices_total from a member's /metrics.
func commitNotices(t *testing.T, admin string) int {
	t.Helper()
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^zkraft_commit_notices_total (\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s/metrics has no zkraft_commit_notices_total:\n%s", admin, b)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}
