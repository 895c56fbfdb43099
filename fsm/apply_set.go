package fsm

import "github.com/zkraft/zkraft/protocol"

// setData needs WRITE; the quota is checked before the version, as in
// ZooKeeper. An equal payload still counts as a change (new version, event).
func (t *tx) setData(path string, data []byte, version int32) (*znode, protocol.ErrCode) {
	if protocol.ValidatePath(path, false) != nil {
		return nil, protocol.ErrBadArguments
	}
	n, ok := t.get(path)
	if !ok {
		return nil, protocol.ErrNoNode
	}
	if !allowed(n.acl, protocol.PermWrite, t.auth) {
		return nil, protocol.ErrNoAuth
	}
	if code := t.checkQuota(path, 0, int64(len(data)-len(n.data))); code != protocol.ErrOK {
		return nil, code
	}
	if version != -1 && version != n.version {
		return nil, protocol.ErrBadVersion
	}
	c := n.clone()
	c.data = data
	c.version++
	c.mzxid = t.zxid
	c.mtime = t.now
	t.put(path, c)
	t.quotaUsage(path, 0, int64(len(data)-len(n.data)))
	t.event(protocol.EventNodeDataChanged, path, c.acl)
	return c, protocol.ErrOK
}

// setACL needs ADMIN and bumps aversion; it triggers no watch (checked
// against ZooKeeper 3.8).
func (t *tx) setACL(path string, acl []protocol.ACL, version int32) (*znode, protocol.ErrCode) {
	if protocol.ValidatePath(path, false) != nil {
		return nil, protocol.ErrBadArguments
	}
	fixed, ok := fixupACL(acl, t.auth)
	if !ok {
		return nil, protocol.ErrInvalidACL
	}
	n, ok := t.get(path)
	if !ok {
		return nil, protocol.ErrNoNode
	}
	if !allowed(n.acl, protocol.PermAdmin, t.auth) {
		return nil, protocol.ErrNoAuth
	}
	if version != -1 && version != n.aversion {
		return nil, protocol.ErrBadVersion
	}
	c := n.clone()
	c.acl = fixed
	c.aversion++
	t.put(path, c)
	return c, protocol.ErrOK
}

// check (inside multi) needs READ and compares the data version.
func (t *tx) check(path string, version int32) (*znode, protocol.ErrCode) {
	if protocol.ValidatePath(path, false) != nil {
		return nil, protocol.ErrBadArguments
	}
	n, ok := t.get(path)
	if !ok {
		return nil, protocol.ErrNoNode
	}
	if !allowed(n.acl, protocol.PermRead, t.auth) {
		return nil, protocol.ErrNoAuth
	}
	if version != -1 && version != n.version {
		return nil, protocol.ErrBadVersion
	}
	return n, protocol.ErrOK
}
