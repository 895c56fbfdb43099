package fsm

import (
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// deletablePath is ZooKeeper's check before a delete: the path has a '/', no
// NUL and is not one of the system nodes. The full path rules are not
// applied: "/a/" or "/a/." are simply not found.
func deletablePath(path string) bool {
	return strings.Contains(path, "/") && strings.IndexByte(path, 0) < 0 && !protectedPath(path)
}

// delete applies a client delete in ZooKeeper's order of checks: path,
// parent, DELETE permission on the parent, existence, version, children.
func (t *tx) delete(path string, version int32) protocol.ErrCode {
	if !deletablePath(path) {
		return protocol.ErrBadArguments
	}
	parentPath, _ := parentOf(path)
	parent, ok := t.get(parentPath)
	if !ok {
		return protocol.ErrNoNode
	}
	if !allowed(parent.acl, protocol.PermDelete, t.auth) {
		return protocol.ErrNoAuth
	}
	n, ok := t.get(path)
	if !ok {
		return protocol.ErrNoNode
	}
	if version != -1 && version != n.version {
		return protocol.ErrBadVersion
	}
	if n.numChildren > 0 {
		return protocol.ErrNotEmpty
	}
	t.removeNode(path, n)
	return protocol.ErrOK
}

// deleteContainer is the op ZooKeeper's container manager issues. It needs no
// permission, so it is limited to containers and TTL nodes (ZooKeeper would
// delete any node that is not a normal ephemeral; a client must not be able
// to use it to bypass ACLs).
func (t *tx) deleteContainer(path string) protocol.ErrCode {
	if !deletablePath(path) {
		return protocol.ErrBadArguments
	}
	n, ok := t.get(path)
	if !ok {
		return protocol.ErrNoNode
	}
	if n.numChildren > 0 {
		return protocol.ErrNotEmpty
	}
	switch n.kind() {
	case kindContainer, kindTTL:
	case kindEphemeral:
		return protocol.ErrBadVersion // ZooKeeper's answer for a normal ephemeral
	default:
		return protocol.ErrBadArguments
	}
	t.removeNode(path, n)
	return protocol.ErrOK
}

// reap deletes each path that is still due at the entry's time; a path that
// gained a child or was touched since the leader listed it stays.
func (t *tx) reap(paths []string) {
	for _, p := range paths {
		n, ok := t.get(p)
		if !ok || !n.dueForReap(t.now) {
			continue
		}
		t.removeNode(p, n)
	}
}

// reapCandidates lists up to max containers and TTL nodes due at now, in path
// order.
func (s *state) reapCandidates(now int64, max int) []string {
	var out []string
	it := s.timed.Root().Iterator()
	for k, _, ok := it.Next(); ok && len(out) < max; k, _, ok = it.Next() {
		p := string(k)
		if n, ok := s.get(p); ok && n.dueForReap(now) {
			out = append(out, p)
		}
	}
	return out
}
