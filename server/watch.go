package server

import (
	"sort"
	"strings"
	"sync"

	"github.com/zkraft/zkraft/fsm"
	"github.com/zkraft/zkraft/protocol"
)

// watchBits are the kinds of watch one connection holds on one path. As in
// ZooKeeper, a watch sits in a data table or a child table; addWatch
// PERSISTENT and PERSISTENT_RECURSIVE each put one in both tables, as
// ZooKeeper 3.8 does. removeWatches works per table, so a persistent watch
// whose child half was removed keeps firing for data, and a recursive watch
// whose data half was removed still fires NodeDeleted for its path and
// everything below (ZooKeeper triggers deletes on both tables and sends a
// watcher one event however many of its watches match).
type watchBits uint8

const (
	watchData            watchBits = 1 << iota // data table, one-shot: getData, exists on an existing node
	watchExist                                 // data table, one-shot: exists on a missing node
	watchChild                                 // child table, one-shot: getChildren
	watchPersistentData                        // data table, addWatch PERSISTENT
	watchPersistentChild                       // child table, addWatch PERSISTENT
	watchRecursive                             // data table, addWatch PERSISTENT_RECURSIVE: the path and below
	watchRecursiveChild                        // child table, addWatch PERSISTENT_RECURSIVE: deletes of the path and below

	dataTable     = watchData | watchExist | watchPersistentData | watchRecursive
	childTable    = watchChild | watchPersistentChild | watchRecursiveChild
	recursiveBits = watchRecursive | watchRecursiveChild
)

// oneShotMask is the one-shot watches an event type fires (and consumes).
func oneShotMask(t protocol.EventType) watchBits {
	switch t {
	case protocol.EventNodeCreated, protocol.EventNodeDataChanged:
		return watchData | watchExist
	case protocol.EventNodeDeleted:
		return watchData | watchExist | watchChild
	case protocol.EventNodeChildrenChanged:
		return watchChild
	}
	return 0
}

// persistentMask is the persistent watches on the event's own path that an
// event type fires: data-table events fire the data half, NodeChildrenChanged
// the child half, NodeDeleted (both tables) either.
func persistentMask(t protocol.EventType) watchBits {
	switch t {
	case protocol.EventNodeCreated, protocol.EventNodeDataChanged:
		return watchPersistentData | watchRecursive
	case protocol.EventNodeDeleted:
		return watchPersistentData | watchPersistentChild | recursiveBits
	case protocol.EventNodeChildrenChanged:
		return watchPersistentChild
	}
	return 0
}

// ancestorMask is the recursive watches on an ancestor of the event's path
// that an event type fires. NodeChildrenChanged fires none: a recursive
// watch reports the creates and deletes themselves.
func ancestorMask(t protocol.EventType) watchBits {
	switch t {
	case protocol.EventNodeCreated, protocol.EventNodeDataChanged:
		return watchRecursive
	case protocol.EventNodeDeleted:
		return recursiveBits
	}
	return 0
}

// watchManager holds the watches of this server's connections. Watches live
// with a connection, as in ZooKeeper: a client re-registers them with
// setWatches after it reconnects.
type watchManager struct {
	mu        sync.Mutex
	byPath    map[string]map[*conn]watchBits
	byConn    map[*conn]map[string]watchBits
	recursive int // (conn, path) entries holding a recursive bit; none means no ancestor walk

	fired map[*conn]struct{} // scratch for trigger
}

func newWatchManager() *watchManager {
	return &watchManager{
		byPath: make(map[string]map[*conn]watchBits),
		byConn: make(map[*conn]map[string]watchBits),
		fired:  make(map[*conn]struct{}),
	}
}

func (w *watchManager) addLocked(c *conn, path string, b watchBits) {
	pm := w.byPath[path]
	if pm == nil {
		pm = make(map[*conn]watchBits)
		w.byPath[path] = pm
	}
	old := pm[c]
	if b&recursiveBits != 0 && old&recursiveBits == 0 {
		w.recursive++
	}
	pm[c] = old | b
	cm := w.byConn[c]
	if cm == nil {
		cm = make(map[string]watchBits)
		w.byConn[c] = cm
	}
	cm[path] = old | b
}

// setLocked stores the bits of c on path, dropping the entry when none are
// left.
func (w *watchManager) setLocked(c *conn, path string, b watchBits) {
	pm := w.byPath[path]
	old := pm[c]
	if old&recursiveBits != 0 && b&recursiveBits == 0 {
		w.recursive--
	}
	if b == 0 {
		delete(pm, c)
		if len(pm) == 0 {
			delete(w.byPath, path)
		}
		if cm := w.byConn[c]; cm != nil {
			delete(cm, path)
			if len(cm) == 0 {
				delete(w.byConn, c)
			}
		}
		return
	}
	pm[c] = b
	w.byConn[c][path] = b
}

// add registers a one-shot watch; it is the fsm.Read watch callback's body.
func (w *watchManager) add(c *conn, kind fsm.WatchKind, path string) {
	var b watchBits
	switch kind {
	case fsm.WatchData:
		b = watchData
	case fsm.WatchExist:
		b = watchExist
	case fsm.WatchChild:
		b = watchChild
	default:
		return
	}
	w.mu.Lock()
	w.addLocked(c, path, b)
	w.mu.Unlock()
}

// addPersistent registers an addWatch watch.
func (w *watchManager) addPersistent(c *conn, path string, recursive bool) {
	b := watchPersistentData | watchPersistentChild
	if recursive {
		b = recursiveBits
	}
	w.mu.Lock()
	w.addLocked(c, path, b)
	w.mu.Unlock()
}

// removeMask is what a removeWatches/checkWatches WatcherType covers.
// Children and Data cover their whole table, persistent watches included,
// as ZooKeeper 3.8 does (3.9 narrowed them to one-shot watches); Persistent
// and PersistentRecursive (3.9 clients) cover just those; Any covers all.
func removeMask(typ int32) watchBits {
	switch typ {
	case protocol.WatcherChildren:
		return childTable
	case protocol.WatcherData:
		return dataTable
	case protocol.WatcherAny:
		return dataTable | childTable
	case protocol.WatcherPersistent:
		return watchPersistentData | watchPersistentChild
	case protocol.WatcherPersistentRecursive:
		return recursiveBits
	}
	return 0
}

// remove drops c's watches of the given type on path (only checks when
// dryRun) and reports whether there was any.
func (w *watchManager) remove(c *conn, path string, typ int32, dryRun bool) bool {
	mask := removeMask(typ)
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.byPath[path][c]
	if b&mask == 0 {
		return false
	}
	if !dryRun {
		w.setLocked(c, path, b&^mask)
	}
	return true
}

// removeConn drops every watch of a closed connection.
func (w *watchManager) removeConn(c *conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for path := range w.byConn[c] {
		w.setLocked(c, path, 0)
	}
	delete(w.byConn, c)
}

// trigger fires the watches the events of one applied entry match and queues
// the notifications. Each watcher gets one notification per event even when
// several of its watches match.
func (w *watchManager) trigger(events []fsm.Event, zxid int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range events {
		clear(w.fired)
		mask := oneShotMask(ev.Type)
		persistent := persistentMask(ev.Type)
		for c, b := range w.byPath[ev.Path] {
			if b&(mask|persistent) == 0 {
				continue
			}
			w.fired[c] = struct{}{}
			if c.canRead(ev.ACL) {
				c.queueEvent(ev.Type, protocol.StateSyncConnected, ev.Path, notificationZxid(zxid))
			}
			// A one-shot watch is used up even when its event is withheld,
			// as in ZooKeeper.
			if b&mask != 0 {
				w.setLocked(c, ev.Path, b&^mask)
			}
		}
		ancestor := ancestorMask(ev.Type)
		if w.recursive == 0 || ancestor == 0 {
			continue
		}
		for p := parent(ev.Path); p != ""; p = parent(p) {
			for c, b := range w.byPath[p] {
				if b&ancestor == 0 {
					continue
				}
				if _, ok := w.fired[c]; ok {
					continue
				}
				w.fired[c] = struct{}{}
				if c.canRead(ev.ACL) {
					c.queueEvent(ev.Type, protocol.StateSyncConnected, ev.Path, notificationZxid(zxid))
				}
			}
		}
	}
}

// parent returns the parent path, "" for the root.
func parent(p string) string {
	if p == "/" || p == "" {
		return ""
	}
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// notificationZxid is the zxid a notification's reply header carries.
// ZooKeeper 3.8 sends -1 there; clients ignore it.
func notificationZxid(int64) int64 { return -1 }

// The four-letter words report the data table only, as ZooKeeper 3.8 does
// (a connection holding only child watches does not show in wchc).

// summary is the data of wchs: connections, paths and watches in the data
// table.
func (w *watchManager) summary() (conns, paths, total int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := make(map[*conn]struct{})
	for _, pm := range w.byPath {
		n := 0
		for c, b := range pm {
			if b&dataTable != 0 {
				n++
				seen[c] = struct{}{}
			}
		}
		if n > 0 {
			paths++
			total += n
		}
	}
	return len(seen), paths, total
}

// count is mntr's zk_watch_count: watches in the data and child tables.
func (w *watchManager) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, pm := range w.byPath {
		for _, b := range pm {
			if b&dataTable != 0 {
				n++
			}
			if b&childTable != 0 {
				n++
			}
		}
	}
	return n
}

// byConnection lists, per connection, its data-table paths sorted (wchc).
func (w *watchManager) byConnection() map[*conn][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[*conn][]string, len(w.byConn))
	for c, cm := range w.byConn {
		var paths []string
		for p, b := range cm {
			if b&dataTable != 0 {
				paths = append(paths, p)
			}
		}
		if len(paths) > 0 {
			sort.Strings(paths)
			out[c] = paths
		}
	}
	return out
}

// byPathList lists, per data-table path, the watching connections (wchp).
func (w *watchManager) byPathList() map[string][]*conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string][]*conn, len(w.byPath))
	for p, pm := range w.byPath {
		var cs []*conn
		for c, b := range pm {
			if b&dataTable != 0 {
				cs = append(cs, c)
			}
		}
		if len(cs) > 0 {
			out[p] = cs
		}
	}
	return out
}

// onWatch is the fsm.Read watch callback of a connection.
func (c *conn) onWatch(kind fsm.WatchKind, path string) { c.s.watches.add(c, kind, path) }

// handleSetWatches re-registers a reconnecting client's watches, firing at
// once what changed after the client's last zxid: a data watch on a deleted
// node gets NodeDeleted, on a changed one NodeDataChanged; an exist watch on a
// node that now exists gets NodeCreated; a child watch gets NodeDeleted or
// NodeChildrenChanged. Persistent watches are registered again.
func (c *conn) handleSetWatches(xid int32, op protocol.OpCode, body []byte) error {
	var sw protocol.SetWatches2
	if op == protocol.OpSetWatches {
		var v1 protocol.SetWatches
		if err := protocol.Unmarshal(body, &v1); err != nil {
			return err
		}
		sw = protocol.SetWatches2{RelativeZxid: v1.RelativeZxid, DataWatches: v1.DataWatches,
			ExistWatches: v1.ExistWatches, ChildWatches: v1.ChildWatches}
	} else if err := protocol.Unmarshal(body, &sw); err != nil {
		return err
	}
	s := c.s
	rel := sw.RelativeZxid
	s.stateMu.RLock()
	defer s.stateMu.RUnlock()
	stat := func(path string) (protocol.Stat, bool) {
		resp, _, code := s.fsm.Read(protocol.OpExists, &protocol.PathWatchRequest{Path: path}, c.auth, nil)
		if code != protocol.ErrOK {
			return protocol.Stat{}, false
		}
		if sr, ok := resp.(*protocol.StatResponse); ok {
			return sr.Stat, true
		}
		return protocol.Stat{}, false
	}
	z := notificationZxid(s.fsm.LastZxid())
	// A data or child watch fires NodeDeleted when its node is gone, its
	// change event when the node changed after rel, and is set otherwise.
	replay := func(paths []string, kind fsm.WatchKind, changed protocol.EventType, zxidOf func(protocol.Stat) int64) {
		for _, p := range paths {
			st, ok := stat(p)
			switch {
			case !ok:
				c.queueEvent(protocol.EventNodeDeleted, protocol.StateSyncConnected, p, z)
			case zxidOf(st) > rel:
				c.queueEvent(changed, protocol.StateSyncConnected, p, z)
			default:
				s.watches.add(c, kind, p)
			}
		}
	}
	replay(sw.DataWatches, fsm.WatchData, protocol.EventNodeDataChanged, func(st protocol.Stat) int64 { return st.Mzxid })
	for _, p := range sw.ExistWatches {
		if _, ok := stat(p); ok {
			c.queueEvent(protocol.EventNodeCreated, protocol.StateSyncConnected, p, z)
		} else {
			s.watches.add(c, fsm.WatchExist, p)
		}
	}
	replay(sw.ChildWatches, fsm.WatchChild, protocol.EventNodeChildrenChanged, func(st protocol.Stat) int64 { return st.Pzxid })
	for _, p := range sw.PersistentWatches {
		s.watches.addPersistent(c, p, false)
	}
	for _, p := range sw.PersistentRecursiveWatches {
		s.watches.addPersistent(c, p, true)
	}
	c.queueReply(xid, s.fsm.LastZxid(), protocol.ErrOK, nil)
	return nil
}
