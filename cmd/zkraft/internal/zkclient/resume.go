package zkclient

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/zkraft/zkraft/protocol"
)

// watchSet is the watches a session holds on the server, by server path, so
// that Reconnect can set them again (setWatches2), as ZooKeeper's clients
// do. One-shot watches leave it when their event comes.
type watchSet struct {
	mu                                   sync.Mutex
	data, exist, child, persistent, tree map[string]bool
}

func (w *watchSet) add(m *map[string]bool, path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if *m == nil {
		*m = map[string]bool{}
	}
	(*m)[path] = true
}

// fired drops the one-shot watches an event of type t on path used up.
func (w *watchSet) fired(t protocol.EventType, path string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch t {
	case protocol.EventNodeCreated, protocol.EventNodeDataChanged:
		delete(w.data, path)
		delete(w.exist, path)
	case protocol.EventNodeDeleted:
		delete(w.data, path)
		delete(w.exist, path)
		delete(w.child, path)
	case protocol.EventNodeChildrenChanged:
		delete(w.child, path)
	}
}

// request is the setWatches2 that sets every watch again, nil for none.
func (w *watchSet) request(zxid int64) *protocol.SetWatches2 {
	w.mu.Lock()
	defer w.mu.Unlock()
	// Empty lists go out as empty vectors, not null ones: ZooKeeper 3.8
	// fails a setWatches2 with a null list (NullPointerException) and
	// never answers it.
	if len(w.data)+len(w.exist)+len(w.child)+len(w.persistent)+len(w.tree) == 0 {
		return nil
	}
	keys := func(m map[string]bool) []string { return append([]string{}, slices.Sorted(maps.Keys(m))...) }
	return &protocol.SetWatches2{RelativeZxid: zxid, DataWatches: keys(w.data), ExistWatches: keys(w.exist),
		ChildWatches: keys(w.child), PersistentWatches: keys(w.persistent), PersistentRecursiveWatches: keys(w.tree)}
}

// copyTo gives dst, a new connection's set that nothing uses yet, a copy
// of these watches.
func (w *watchSet) copyTo(dst *watchSet) {
	w.mu.Lock()
	defer w.mu.Unlock()
	dst.data, dst.exist, dst.child = maps.Clone(w.data), maps.Clone(w.exist), maps.Clone(w.child)
	dst.persistent, dst.tree = maps.Clone(w.persistent), maps.Clone(w.tree)
}

// Reconnect resumes this client's session on a new connection after the
// old one broke: the servers of the connect string are tried starting after
// the one it was on, the credentials added so far are sent again, and the
// session's watches are set again with the zxid it last saw, so the server
// fires those whose nodes changed meanwhile (events of persistent watches
// in between are lost, as with ZooKeeper). The old client stays closed; use
// the one returned. An expired session fails with protocol.ErrSessionExpired.
func (c *Client) Reconnect(ctx context.Context) (*Client, error) {
	c.mu.Lock()
	cfg := c.cfg
	cfg.Auth = slices.Clone(c.cfg.Auth)
	c.mu.Unlock()
	cfg.SessionID, cfg.Password, cfg.LastZxid = c.sessionID, c.password, c.lastZxid.Load()
	if i := slices.Index(cfg.Servers, c.server); i >= 0 {
		cfg.Servers = append(slices.Clone(cfg.Servers[i+1:]), cfg.Servers[:i+1]...)
	}
	n, err := Dial(ctx, cfg)
	if err != nil {
		return nil, err
	}
	n.lastZxid.Store(cfg.LastZxid)
	c.watches.copyTo(&n.watches)
	if req := n.watches.request(cfg.LastZxid); req != nil {
		if _, err := n.do(ctx, protocol.OpSetWatches2, req, nil); err != nil {
			n.fail(err)
			return nil, fmt.Errorf("setting the watches again: %w", err)
		}
	}
	return n, nil
}
