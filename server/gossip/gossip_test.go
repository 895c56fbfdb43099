package gossip

import (
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLogger sends memberlist's logs to t.Log, so they show only when a
// test fails. memberlist's timers may still log for a moment after
// Shutdown; once the test's cleanups ran, lines are dropped (t.Log after
// the end of a test panics).
func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// startNode starts member sid on a free loopback port, retrying when the
// port picked is taken (by TCP or UDP) by the time memberlist binds it.
func startNode(t *testing.T, sid int, seeds ...string) *Node {
	t.Helper()
	var lastErr error
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		n, err := Start(Config{
			Bind:  addr,
			Seeds: seeds,
			Self: Meta{ID: sid, Role: "participant", State: "looking", ElectionAddr: addr,
				ClientAddr: "127.0.0.1:" + strconv.Itoa(2180+sid), Version: "test"},
			Logger: testLogger(t).With("sid", sid),
		})
		if err != nil {
			lastErr = err
			continue
		}
		t.Cleanup(func() { n.Close() })
		return n
	}
	t.Fatalf("starting gossip node %d: %v", sid, lastErr)
	return nil
}

// waitMembers waits (on Changes, with a deadline) until cond holds for n's
// view and returns that view.
func waitMembers(t *testing.T, n *Node, what string, cond func([]Meta) bool) []Meta {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		ms := n.Members()
		if cond(ms) {
			return ms
		}
		select {
		case <-n.Changes():
		case <-deadline:
			t.Fatalf("sid %d: %s not seen within 15s; members %+v", n.self.ID, what, ms)
		}
	}
}

func ids(ms []Meta) string {
	var s []string
	for _, m := range ms {
		s = append(s, strconv.Itoa(m.ID))
	}
	return strings.Join(s, ",")
}

func TestJoinUpdateLeave(t *testing.T) {
	n1 := startNode(t, 1)
	seed := n1.self.ElectionAddr
	// Node 3 starts before node 2 and both know only node 1: the view
	// spreads through gossip, not through the seed lists.
	n3 := startNode(t, 3, seed)
	n2 := startNode(t, 2, seed)
	nodes := []*Node{n1, n2, n3}
	for _, n := range nodes {
		ms := waitMembers(t, n, "3 members", func(ms []Meta) bool { return ids(ms) == "1,2,3" })
		if ms[2].ClientAddr != "127.0.0.1:2183" || ms[2].Role != "participant" || ms[2].Version != "test" {
			t.Errorf("sid %d sees member 3 as %+v", n.self.ID, ms[2])
		}
	}

	n2.Update(func(m *Meta) { m.State, m.Epoch, m.AppliedZxid = "leading", 7, 7<<32|42 })
	for _, n := range nodes {
		ms := waitMembers(t, n, "sid 2 leading", func(ms []Meta) bool {
			return len(ms) == 3 && ms[1].State == "leading" && ms[1].AppliedZxid == 7<<32|42
		})
		if ms[1].Epoch != 7 {
			t.Errorf("sid %d sees member 2 with epoch %d, want 7", n.self.ID, ms[1].Epoch)
		}
	}

	if err := n3.Close(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes[:2] {
		waitMembers(t, n, "sid 3 gone", func(ms []Meta) bool { return ids(ms) == "1,2" })
	}
}

// A member whose seeds are all down starts alone and joins once one comes
// up; a seed that restarts is joined again.
func TestJoinRetried(t *testing.T) {
	// The seed's port is free when picked but nobody holds it while n2
	// starts alone; if another process takes it meanwhile, pick again.
	var lastErr error
	for range 10 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		seedAddr := ln.Addr().String()
		ln.Close()
		n2 := startNode(t, 2, seedAddr)
		if got := ids(n2.Members()); got != "2" {
			t.Fatalf("alone: members %s, want 2", got)
		}
		n1, err := Start(Config{Bind: seedAddr, Self: Meta{ID: 1, ElectionAddr: seedAddr}, Logger: testLogger(t).With("sid", 1)})
		if err != nil {
			lastErr = err
			n2.Close()
			continue
		}
		t.Cleanup(func() { n1.Close() })
		waitMembers(t, n2, "the late seed", func(ms []Meta) bool { return ids(ms) == "1,2" })
		return
	}
	t.Fatalf("no free port for the late seed in 10 tries: %v", lastErr)
}

func TestStartErrors(t *testing.T) {
	for _, bind := range []string{"127.0.0.1", "127.0.0.1:x", "127.0.0.1:70000"} {
		if _, err := Start(Config{Bind: bind}); err == nil || !strings.Contains(err.Error(), bind) {
			t.Errorf("Start(%q): err %v, want one naming the address", bind, err)
		}
	}
	big := Meta{ID: 1, ClientAddr: strings.Repeat("h", 600)}
	if _, err := Start(Config{Bind: "127.0.0.1:0", Self: big}); err == nil || !strings.Contains(err.Error(), "512") {
		t.Errorf("oversized meta: err %v, want one naming the limit", err)
	}
}

func TestUpdateRefusesOversizedMeta(t *testing.T) {
	n := startNode(t, 1)
	n.Update(func(m *Meta) { m.ClientAddr = strings.Repeat("h", 600) })
	if got := n.Members()[0].ClientAddr; got != "127.0.0.1:2181" {
		t.Errorf("client address after a refused update: %q", got)
	}
	n.Update(func(m *Meta) { m.State = "following" })
	if got := n.Members()[0].State; got != "following" {
		t.Errorf("state %q, want following", got)
	}
}
