package test

// Watches, checked with the raw client: it shows every notification the
// server sends, so a second firing of a one-shot watch cannot hide behind
// client-side bookkeeping.

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func ev(typ int32, path string) string { return fmt.Sprintf("%d %s", typ, path) }

// eventList renders events as "type path" for comparison.
func eventList(evs []rawEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = ev(e.Type, e.Path)
		if e.State != stateSyncConnected {
			out[i] += fmt.Sprintf(" state=%d", e.State)
		}
	}
	return out
}

func wantEvents(t testing.TB, what string, got []rawEvent, want ...string) {
	t.Helper()
	if g := eventList(got); !equalStrings(g, want) {
		t.Errorf("%s: events %q, want %q", what, g, want)
	}
}

// TestWatchOneShot registers data, exist and child watches and checks that
// each fires once, with the right type and path, and that a data and an
// exist watch of one path give one event.
func TestWatchOneShot(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	a, b := root+"/a", root+"/b"
	if _, code := r.Create(a, []byte("x"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	w.GetData(a, true)
	w.Exists(a, true)
	w.GetChildren(a, true)
	w.Exists(b, true)         // exists on a missing node leaves a watch
	w.GetData(b, true)        // getData on a missing node does not
	w.GetChildren(root, true) // one child watch on the root
	r.SetData(a, []byte("y"), -1)
	r.SetData(a, []byte("z"), -1) // no second data event
	r.Create(a+"/k", nil, worldAll, 0)
	r.Create(b, nil, worldAll, 0)
	r.Delete(a+"/k", -1) // the child watch of a has fired already
	r.SetData(b, nil, -1)
	wantEvents(t, "one-shot watches", w.Quiesce(),
		ev(evNodeDataChanged, a), ev(evNodeChildrenChanged, a), ev(evNodeCreated, b), ev(evNodeChildrenChanged, root))
}

// TestWatchOnDelete: deleting a node fires its data, exist and child
// watches as one NodeDeleted and its parent's child watch.
func TestWatchOnDelete(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	if _, code := r.Create(a, nil, worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	w.GetData(a, true)
	w.GetChildren(a, true)
	w.Exists(a, true)
	w.GetChildren(root, true)
	r.Delete(a, -1)
	got := w.Quiesce()
	if len(got) != 2 {
		t.Fatalf("delete: events %q, want NodeDeleted %s and NodeChildrenChanged %s", eventList(got), a, root)
	}
	seen := map[string]bool{}
	for _, s := range eventList(got) {
		seen[s] = true
	}
	if !seen[ev(evNodeDeleted, a)] || !seen[ev(evNodeChildrenChanged, root)] {
		t.Errorf("delete: events %q, want NodeDeleted %s and NodeChildrenChanged %s", eventList(got), a, root)
	}
}

// TestWatchGoClient checks the same through go-zookeeper's watch channels.
func TestWatchGoClient(t *testing.T) {
	c := connect(t, shared)
	other := connect(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	_, _, exist, err := c.ExistsW(a)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, other, a, nil, 0)
	wantZkEvent(t, exist, zk.EventNodeCreated, a)
	_, _, data, _ := c.GetW(a)
	_, _, kids, _ := c.ChildrenW(a)
	mustCreate(t, other, a+"/k", nil, 0)
	wantZkEvent(t, kids, zk.EventNodeChildrenChanged, a)
	if _, err := other.Set(a, []byte("v"), -1); err != nil {
		t.Fatal(err)
	}
	wantZkEvent(t, data, zk.EventNodeDataChanged, a)
}

func wantZkEvent(t testing.TB, ch <-chan zk.Event, typ zk.EventType, path string) {
	t.Helper()
	select {
	case e := <-ch:
		if e.Type != typ || e.Path != path {
			t.Fatalf("watch event %v %q, want %v %q", e.Type, e.Path, typ, path)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %v event for %s within 10s", typ, path)
	}
}

// TestWatchOrdering: a client sees the watch event before the reply of a
// later read that reflects the change.
func TestWatchOrdering(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	if _, code := r.Create(a, []byte("0"), worldAll, 0); code != errOK {
		t.Fatal(code)
	}
	for i := 1; i <= 20; i++ {
		w.GetData(a, true)
		want := fmt.Sprint(i)
		if _, code := r.SetData(a, []byte(want), -1); code != errOK {
			t.Fatal(code)
		}
		data, _, rep := w.GetData(a, false)
		if string(data) != want {
			t.Fatalf("round %d: get after a completed set returned %q, want %q", i, data, want)
		}
		evs := w.Events()
		if len(evs) != i {
			t.Fatalf("round %d: %d events had arrived when the reply reflecting the change did (want %d): %q", i, len(evs), i, eventList(evs))
		}
		if last := evs[i-1]; last.Seq > rep.Seq || last.Type != evNodeDataChanged || last.Path != a {
			t.Fatalf("round %d: event %+v arrived after the reply (seq %d)", i, last, rep.Seq)
		}
	}
}

// TestPersistentWatch: addWatch PERSISTENT fires for every change of the
// node and its direct children list, stays after firing, and does not see
// grandchildren or a child's data.
func TestPersistentWatch(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	wantCode(t, "addWatch on a missing node", w.AddWatch(a, addWatchPersistent), errOK)
	r.Create(a, nil, worldAll, 0)
	r.SetData(a, []byte("1"), -1)
	r.SetData(a, []byte("2"), -1)
	r.Create(a+"/k", nil, worldAll, 0)
	r.SetData(a+"/k", []byte("1"), -1)
	r.Create(a+"/k/g", nil, worldAll, 0)
	r.Delete(a+"/k/g", -1)
	r.Delete(a+"/k", -1)
	r.Delete(a, -1)
	r.Create(a, nil, worldAll, 0)
	wantEvents(t, "persistent watch", w.Quiesce(),
		ev(evNodeCreated, a), ev(evNodeDataChanged, a), ev(evNodeDataChanged, a),
		ev(evNodeChildrenChanged, a), ev(evNodeChildrenChanged, a), ev(evNodeDeleted, a), ev(evNodeCreated, a))
}

// TestPersistentRecursiveWatch: PERSISTENT_RECURSIVE sees creates, deletes
// and data changes of the whole subtree, but no NodeChildrenChanged.
func TestPersistentRecursiveWatch(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	z := root + "/z"
	wantCode(t, "addWatch recursive", w.AddWatch(z, addWatchPersistentRecursive), errOK)
	r.Create(z, nil, worldAll, 0)
	r.Create(z+"/k", nil, worldAll, 0)
	r.SetData(z+"/k", []byte("v"), -1)
	r.Create(z+"/k/g", nil, worldAll, 0)
	r.Delete(z+"/k/g", -1)
	r.Create(root+"/zz", nil, worldAll, 0) // a sibling with the same prefix is not below z
	r.SetData(z, []byte("v"), -1)
	wantEvents(t, "persistent recursive watch", w.Quiesce(),
		ev(evNodeCreated, z), ev(evNodeCreated, z+"/k"), ev(evNodeDataChanged, z+"/k"),
		ev(evNodeCreated, z+"/k/g"), ev(evNodeDeleted, z+"/k/g"), ev(evNodeDataChanged, z))
}

// TestRemoveAndCheckWatches: checkWatches and removeWatches answer
// NoWatcher when there is nothing to match; removing sends no notification
// (the Java client makes the *WatchRemoved event itself); a removed watch
// does not fire.
func TestRemoveAndCheckWatches(t *testing.T) {
	w := raw(t, shared)
	r := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	r.Create(a, nil, worldAll, 0)

	checkCode(t, "checkWatches without a watch", w.CheckWatches(a, watcherData), errNoWatcher)
	checkCode(t, "removeWatches without a watch", w.RemoveWatches(a, watcherAny), errNoWatcher)
	w.GetData(a, true)
	w.GetChildren(root, true)
	checkCode(t, "checkWatches data", w.CheckWatches(a, watcherData), errOK)
	checkCode(t, "checkWatches any", w.CheckWatches(a, watcherAny), errOK)
	checkCode(t, "checkWatches children where only data is set", w.CheckWatches(a, watcherChildren), errNoWatcher)
	checkCode(t, "removeWatches data", w.RemoveWatches(a, watcherData), errOK)
	checkCode(t, "checkWatches data after remove", w.CheckWatches(a, watcherData), errNoWatcher)
	checkCode(t, "removeWatches children of root", w.RemoveWatches(root, watcherChildren), errOK)
	r.SetData(a, []byte("x"), -1)
	r.Create(root+"/b", nil, worldAll, 0)
	wantEvents(t, "after removing the watches", w.Quiesce())

	// Another session's watch cannot be removed, and still fires. (ZooKeeper
	// 3.8's checkWatches does report another session's watch as present, so
	// that is left unchecked.)
	r.GetData(a, true)
	checkCode(t, "removeWatches of another session's watch", w.RemoveWatches(a, watcherData), errNoWatcher)
	r.SetData(a, []byte("x2"), -1)
	wantEvents(t, "the other session's watch", r.Quiesce(), ev(evNodeDataChanged, a))

	// A persistent watch counts as a data (and any) watch.
	checkCode(t, "addWatch", w.AddWatch(a, addWatchPersistent), errOK)
	checkCode(t, "checkWatches data with a persistent watch", w.CheckWatches(a, watcherData), errOK)
	checkCode(t, "removeWatches any with a persistent watch", w.RemoveWatches(a, watcherAny), errOK)
	r.SetData(a, []byte("y"), -1)
	wantEvents(t, "after removing the persistent watch", w.Quiesce())
}

// TestSetWatchesOnReconnect: a client that loses its connection resumes the
// session and sends setWatches with its last zxid; what changed in between
// fires at once, what did not stays registered.
func TestSetWatchesOnReconnect(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	s, s2, gone, fresh, later := root+"/s", root+"/s2", root+"/gone", root+"/new", root+"/later"
	r.Create(s, []byte("1"), worldAll, 0)
	r.Create(s2, nil, worldAll, 0)
	r.Create(root+"/same", nil, worldAll, 0)

	w := raw(t, shared)
	w.GetData(s, true)
	zxid, sid, pw := w.LastZxid(), w.SessionID, w.Passwd
	w.Drop() // the connection, not the session

	r.SetData(s, []byte("2"), -1)
	r.Create(fresh, nil, worldAll, 0)
	r.Create(s2+"/kid", nil, worldAll, 0)

	w2 := rawConnect(t, shared.Addr(), 10000, sid, pw, zxid)
	if w2.SessionID != sid || w2.Timeout == 0 {
		t.Fatalf("resume: session %#x timeout %d, want %#x and > 0", w2.SessionID, w2.Timeout, sid)
	}
	code := w2.SetWatches(zxid,
		[]string{s, gone, root + "/same"}, // data watches
		[]string{fresh, later},            // exist watches
		[]string{s2})                      // child watches
	wantCode(t, "setWatches", code, errOK)
	// A data watch on a node that no longer exists fires NodeDeleted.
	wantEvents(t, "events for changes missed while disconnected", w2.Quiesce(),
		ev(evNodeDataChanged, s), ev(evNodeDeleted, gone), ev(evNodeCreated, fresh), ev(evNodeChildrenChanged, s2))
	r.Create(later, nil, worldAll, 0)
	r.SetData(root+"/same", []byte("x"), -1)
	wantEvents(t, "watches re-registered by setWatches", w2.Quiesce(),
		ev(evNodeDataChanged, s), ev(evNodeDeleted, gone), ev(evNodeCreated, fresh), ev(evNodeChildrenChanged, s2),
		ev(evNodeCreated, later), ev(evNodeDataChanged, root+"/same"))
}

// TestWatchesSurviveRestart: go-zookeeper resends its watches (setWatches)
// after the server restarts; a change made after the restart fires them.
func TestWatchesSurviveRestart(t *testing.T) {
	tg := startTarget(t)
	c := connect(t, tg)
	mustCreate(t, c, "/w", []byte("1"), 0)
	_, _, data, err := c.GetW("/w")
	if err != nil {
		t.Fatal(err)
	}
	_, _, exist, _ := c.ExistsW("/w2")

	tg.Restart(t)
	c.waitState(t, zk.StateHasSession, 20*time.Second)
	other := connect(t, tg)
	// go-zookeeper sends setWatches asynchronously after the reconnect, with
	// its last zxid: a change made before or after it arrives fires either way.
	if _, err := other.Set("/w", []byte("2"), -1); err != nil {
		t.Fatal(err)
	}
	wantZkEvent(t, data, zk.EventNodeDataChanged, "/w")
	mustCreate(t, other, "/w2", nil, 0)
	wantZkEvent(t, exist, zk.EventNodeCreated, "/w2")
}

// TestSetWatches2Persistent: setWatches2 (op 105) re-registers persistent
// and persistent-recursive watches; unlike one-shot watches they do not
// replay what was missed, they only see later changes.
func TestSetWatches2Persistent(t *testing.T) {
	r := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	mustRawCreate(t, r, a, modePersistent)
	w := raw(t, shared)
	w.AddWatch(a, addWatchPersistentRecursive)
	w.AddWatch(root, addWatchPersistent)
	w.GetData(a, true)
	zxid, sid, pw := w.LastZxid(), w.SessionID, w.Passwd
	w.Drop()

	r.SetData(a, []byte("1"), -1)
	r.Create(a+"/k", nil, worldAll, 0)
	r.Create(root+"/b", nil, worldAll, 0)

	w2 := rawConnect(t, shared.Addr(), 10000, sid, pw, zxid)
	body := (&enc{}).i64(zxid).strs([]string{a}).strs(nil).strs(nil).strs([]string{root}).strs([]string{a}).b
	rep, err := w2.callXid(xidSetWatches, opSetWatches2, body)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "setWatches2", rep.Err, errOK)
	wantEvents(t, "after setWatches2", w2.Quiesce(), ev(evNodeDataChanged, a))
	r.SetData(a+"/k", []byte("1"), -1)
	r.Create(root+"/c", nil, worldAll, 0)
	wantEvents(t, "persistent watches after setWatches2", w2.Quiesce(),
		ev(evNodeDataChanged, a), ev(evNodeDataChanged, a+"/k"), ev(evNodeChildrenChanged, root))
}

// TestSetWatchesAfterRestart: a client's watches are gone with the server
// process; after the restart it resumes its session and sends setWatches
// with its last zxid, and the changes another client made before it came
// back fire at once.
func TestSetWatchesAfterRestart(t *testing.T) {
	tg := startTarget(t)
	r := raw(t, tg)
	mustRawCreate(t, r, "/d", modePersistent)
	mustRawCreate(t, r, "/kids", modePersistent)
	w := raw(t, tg)
	w.GetData("/d", true)
	w.Exists("/new", true)
	w.GetChildren("/kids", true)
	zxid, sid, pw := w.LastZxid(), w.SessionID, w.Passwd

	tg.Restart(t)
	r2 := raw(t, tg)
	r2.SetData("/d", []byte("x"), -1)
	mustRawCreate(t, r2, "/new", modePersistent)
	mustRawCreate(t, r2, "/kids/k", modePersistent)

	w2 := rawConnect(t, tg.Addr(), 10000, sid, pw, zxid)
	if w2.SessionID != sid || w2.Timeout == 0 {
		t.Fatalf("resume after restart: session %#x timeout %d", w2.SessionID, w2.Timeout)
	}
	wantCode(t, "setWatches", w2.SetWatches(zxid, []string{"/d"}, []string{"/new"}, []string{"/kids"}), errOK)
	wantEvents(t, "changes made while the client was away", w2.Quiesce(),
		ev(evNodeDataChanged, "/d"), ev(evNodeCreated, "/new"), ev(evNodeChildrenChanged, "/kids"))
}

// TestWatchOwnWrite: a client's watch fires for its own write, and the
// event arrives before the write's reply.
func TestWatchOwnWrite(t *testing.T) {
	w := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	mustRawCreate(t, w, a, modePersistent)
	w.GetData(a, true)
	rep := w.call(opSetData, (&enc{}).str(a).buf([]byte("1")).i32(-1).b)
	wantCode(t, "setData", rep.Err, errOK)
	evs := w.Events()
	if len(evs) != 1 || evs[0].Type != evNodeDataChanged || evs[0].Path != a || evs[0].Seq > rep.Seq {
		t.Errorf("events %+v when the reply (seq %d) arrived; want NodeDataChanged %s before it", evs, rep.Seq, a)
	}
}

// TestWatchEventsOfMulti: a multi fires each watch once, after all its ops,
// even when it touches a path twice or creates and deletes a node.
func TestWatchEventsOfMulti(t *testing.T) {
	r := raw(t, shared)
	w := raw(t, shared)
	root := testRoot(t, shared)
	a, z := root+"/a", root+"/z"
	mustRawCreate(t, r, a, modePersistent)
	w.GetData(a, true)
	w.GetChildren(root, true)
	w.Exists(z, true)
	res, rep := r.Multi(
		multiOp{Op: opSetData, Path: a, Version: -1},
		multiOp{Op: opSetData, Path: a, Version: -1},
		multiOp{Op: opCreate, Path: z, ACL: worldAll},
		multiOp{Op: opDelete, Path: z, Version: -1},
	)
	if rep.Err != errOK || len(res) != 4 || res[1].Stat.Version != 2 {
		t.Fatalf("multi: %d %+v", rep.Err, res)
	}
	got := w.Quiesce()
	seen := map[string]int{}
	for _, s := range eventList(got) {
		seen[s]++
	}
	for _, want := range []string{ev(evNodeDataChanged, a), ev(evNodeChildrenChanged, root), ev(evNodeCreated, z)} {
		if seen[want] != 1 {
			t.Errorf("multi events %q: want %q exactly once", eventList(got), want)
		}
	}
	if len(got) != 3 {
		t.Errorf("multi events %q: want 3", eventList(got))
	}
}

// TestOverlappingWatches: one connection with several kinds of watch on a
// path gets one event per change.
func TestOverlappingWatches(t *testing.T) {
	r := raw(t, shared)
	w := raw(t, shared)
	root := testRoot(t, shared)
	a := root + "/a"
	mustRawCreate(t, r, a, modePersistent)
	w.AddWatch(a, addWatchPersistentRecursive)
	w.GetData(a, true)
	w.AddWatch(root, addWatchPersistent)
	w.GetChildren(root, true)
	r.SetData(a, nil, -1)
	r.Create(root+"/c", nil, worldAll, 0)
	wantEvents(t, "overlapping watches", w.Quiesce(), ev(evNodeDataChanged, a), ev(evNodeChildrenChanged, root))
}
