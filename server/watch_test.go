package server

import (
	"net"
	"reflect"
	"testing"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// watchHarness drives a watchManager with connections whose outbound queues
// are inspected directly.
type watchHarness struct {
	t *testing.T
	s *Server
}

func newWatchHarness(t *testing.T) *watchHarness {
	return &watchHarness{t: t, s: &Server{watches: newWatchManager()}}
}

func (h *watchHarness) conn() *conn {
	a, b := net.Pipe()
	h.t.Cleanup(func() { a.Close(); b.Close() })
	return newConn(h.s, a)
}

// events drains the notifications queued on c.
func (h *watchHarness) events(c *conn) []protocol.WatcherEvent {
	h.t.Helper()
	c.outMu.Lock()
	b := append([]byte(nil), c.out.Bytes()...)
	c.out.Reset()
	c.outMu.Unlock()
	var out []protocol.WatcherEvent
	for len(b) > 0 {
		frame, err := protocol.ReadFrame(bytesReader(b), 1<<20, nil)
		if err != nil {
			h.t.Fatal(err)
		}
		b = b[4+len(frame):]
		var ev protocol.WatcherEvent
		rh, err := protocol.ParseReply(frame, &ev)
		if err != nil || rh.Xid != protocol.XidNotification || rh.Zxid != -1 {
			h.t.Fatalf("frame %+v %v", rh, err)
		}
		out = append(out, ev)
	}
	return out
}

type sliceReader struct{ b []byte }

func bytesReader(b []byte) *sliceReader { return &sliceReader{b} }

func (r *sliceReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func ev(t protocol.EventType, p string) protocol.WatcherEvent {
	return protocol.WatcherEvent{Type: t, State: protocol.StateSyncConnected, Path: p}
}

func (h *watchHarness) expect(c *conn, want ...protocol.WatcherEvent) {
	h.t.Helper()
	got := h.events(c)
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		h.t.Fatalf("events %+v, want %+v", got, want)
	}
}

func fire(w *watchManager, t protocol.EventType, p string) {
	w.trigger([]fsm.Event{{Type: t, Path: p}}, 7)
}

func TestWatchOneShot(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c := h.conn()
	w.add(c, fsm.WatchData, "/a")
	w.add(c, fsm.WatchChild, "/a")
	w.add(c, fsm.WatchExist, "/b")

	fire(w, protocol.EventNodeChildrenChanged, "/a")
	h.expect(c, ev(protocol.EventNodeChildrenChanged, "/a"))
	fire(w, protocol.EventNodeChildrenChanged, "/a") // consumed
	h.expect(c)

	fire(w, protocol.EventNodeDataChanged, "/a")
	h.expect(c, ev(protocol.EventNodeDataChanged, "/a"))
	fire(w, protocol.EventNodeDataChanged, "/a")
	h.expect(c)

	fire(w, protocol.EventNodeCreated, "/b")
	h.expect(c, ev(protocol.EventNodeCreated, "/b"))
	if n := w.count(); n != 0 {
		t.Fatalf("%d watches left over", n)
	}
}

// NodeDeleted fires data, exist and child watches, once per watcher.
func TestWatchDeleteOncePerWatcher(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c1, c2 := h.conn(), h.conn()
	w.add(c1, fsm.WatchData, "/a")
	w.add(c1, fsm.WatchChild, "/a")
	w.add(c2, fsm.WatchChild, "/a")
	fire(w, protocol.EventNodeDeleted, "/a")
	h.expect(c1, ev(protocol.EventNodeDeleted, "/a"))
	h.expect(c2, ev(protocol.EventNodeDeleted, "/a"))
	if n := w.count(); n != 0 {
		t.Fatal("one-shot watches left after NodeDeleted")
	}
}

func TestWatchPersistent(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c := h.conn()
	w.addPersistent(c, "/p", false)
	for _, typ := range []protocol.EventType{protocol.EventNodeCreated, protocol.EventNodeDataChanged,
		protocol.EventNodeChildrenChanged, protocol.EventNodeDeleted, protocol.EventNodeCreated} {
		fire(w, typ, "/p")
		h.expect(c, ev(typ, "/p"))
	}
	fire(w, protocol.EventNodeCreated, "/p/child") // not recursive
	h.expect(c)
	// A one-shot watch beside it still yields one event per change.
	w.add(c, fsm.WatchData, "/p")
	fire(w, protocol.EventNodeDataChanged, "/p")
	h.expect(c, ev(protocol.EventNodeDataChanged, "/p"))
}

func TestWatchPersistentRecursive(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c, root := h.conn(), h.conn()
	w.addPersistent(c, "/r", true)
	w.addPersistent(root, "/", true)
	fire(w, protocol.EventNodeCreated, "/r/a/b")
	h.expect(c, ev(protocol.EventNodeCreated, "/r/a/b"))
	h.expect(root, ev(protocol.EventNodeCreated, "/r/a/b"))
	fire(w, protocol.EventNodeDataChanged, "/r")
	h.expect(c, ev(protocol.EventNodeDataChanged, "/r"))
	fire(w, protocol.EventNodeChildrenChanged, "/r") // recursive watches skip it
	h.expect(c)
	fire(w, protocol.EventNodeDeleted, "/rx") // a sibling with a shared prefix
	h.expect(c)
	h.expect(root, ev(protocol.EventNodeDataChanged, "/r"), ev(protocol.EventNodeDeleted, "/rx"))
	// Exact path plus ancestor for the same watcher: one event.
	w.addPersistent(c, "/r/a", true)
	fire(w, protocol.EventNodeDeleted, "/r/a")
	h.expect(c, ev(protocol.EventNodeDeleted, "/r/a"))
}

func TestWatchRemove(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c := h.conn()
	w.add(c, fsm.WatchData, "/a")
	w.add(c, fsm.WatchChild, "/a")
	w.addPersistent(c, "/a", true)
	if w.remove(c, "/b", protocol.WatcherAny, false) {
		t.Fatal("removed a watch from an unwatched path")
	}
	if !w.remove(c, "/a", protocol.WatcherData, true) || !w.remove(c, "/a", protocol.WatcherData, false) {
		t.Fatal("data watch not found")
	}
	// Data covers the whole data table, the recursive watch included.
	if w.remove(c, "/a", protocol.WatcherData, true) {
		t.Fatal("data watch still there after remove")
	}
	// The child half of the recursive watch is left: it fires for deletes
	// of the path and below, not for creates.
	fire(w, protocol.EventNodeCreated, "/a/x")
	h.expect(c)
	fire(w, protocol.EventNodeDeleted, "/a/x")
	h.expect(c, ev(protocol.EventNodeDeleted, "/a/x"))
	if !w.remove(c, "/a", protocol.WatcherPersistentRecursive, true) {
		t.Fatal("child half of the recursive watch went with Data")
	}
	if !w.remove(c, "/a", protocol.WatcherAny, false) {
		t.Fatal("Any found nothing")
	}
	if n := w.count(); n != 0 {
		t.Fatal("watches left after removing Any")
	}
	// Removing Children takes the child half of a persistent watch only.
	w.addPersistent(c, "/p", false)
	if !w.remove(c, "/p", protocol.WatcherChildren, false) || !w.remove(c, "/p", protocol.WatcherData, true) {
		t.Fatal("persistent watch not in both tables")
	}
	fire(w, protocol.EventNodeChildrenChanged, "/p")
	h.expect(c)
	fire(w, protocol.EventNodeDataChanged, "/p")
	h.expect(c, ev(protocol.EventNodeDataChanged, "/p"))
	if w.remove(c, "/p", protocol.WatcherPersistentRecursive, false) || !w.remove(c, "/p", protocol.WatcherPersistent, false) {
		t.Fatal("Persistent and PersistentRecursive mixed up")
	}
	w.addPersistent(c, "/x", true)
	w.removeConn(c)
	if w.count() != 0 || len(w.byConn) != 0 || w.recursive != 0 {
		t.Fatal("watches left after the connection closed")
	}
}

// The four-letter words see the data table only, as ZooKeeper 3.8's do.
func TestWatchSummary(t *testing.T) {
	h := newWatchHarness(t)
	w := h.s.watches
	c1, c2 := h.conn(), h.conn()
	w.add(c1, fsm.WatchChild, "/")
	if conns, paths, total := w.summary(); conns != 0 || paths != 0 || total != 0 || w.count() != 1 {
		t.Fatalf("child watch only: %d %d %d, count %d", conns, paths, total, w.count())
	}
	w.add(c1, fsm.WatchData, "/")
	w.add(c2, fsm.WatchExist, "/")
	w.addPersistent(c2, "/r", true) // one entry in each table, so count 2
	if conns, paths, total := w.summary(); conns != 2 || paths != 2 || total != 3 || w.count() != 5 {
		t.Fatalf("summary %d %d %d, count %d", conns, paths, total, w.count())
	}
	if got := w.byConnection()[c2]; !reflect.DeepEqual(got, []string{"/", "/r"}) {
		t.Fatalf("wchc of c2: %v", got)
	}
}
