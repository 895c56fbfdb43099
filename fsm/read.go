package fsm

import (
	"strings"

	"github.com/zkraft/zkraft/protocol"
)

// Permissions per read, as ZooKeeper 3.8 checks them: exists needs none;
// getData, getChildren, getChildren2 and getAllChildrenNumber need READ;
// getACL needs READ or ADMIN and shows digest hashes only with ADMIN. A
// missing node is NoNode before any permission check. Reads do not validate
// the path: a path that cannot exist is simply not found, except that exists
// refuses a NUL (BadArguments) and "" names the root (ZooKeeper's node table
// holds the root under "" too).

// lookup finds the node a read names.
func (s *state) lookup(path string) (*znode, string, bool) {
	if path == "" {
		path = "/"
	}
	n, ok := s.get(path)
	return n, path, ok
}

// read executes one read op against s. watch is called, when not nil and the
// request asks for it, with what ZooKeeper would register.
func (s *state) read(op protocol.OpCode, req protocol.Record, auth []protocol.Id, watch func(WatchKind, string)) (protocol.Record, protocol.ErrCode) {
	setWatch := func(r *protocol.PathWatchRequest, kind WatchKind) {
		if r.Watch && watch != nil {
			watch(kind, r.Path)
		}
	}
	switch op {
	case protocol.OpExists:
		r, ok := req.(*protocol.PathWatchRequest)
		if !ok {
			return nil, protocol.ErrBadArguments
		}
		if strings.IndexByte(r.Path, 0) >= 0 {
			return nil, protocol.ErrBadArguments
		}
		n, _, found := s.lookup(r.Path)
		if !found {
			setWatch(r, WatchExist)
			return nil, protocol.ErrNoNode
		}
		setWatch(r, WatchData)
		return &protocol.StatResponse{Stat: n.stat()}, protocol.ErrOK
	case protocol.OpGetData, protocol.OpGetChildren, protocol.OpGetChildren2:
		r, ok := req.(*protocol.PathWatchRequest)
		if !ok {
			return nil, protocol.ErrBadArguments
		}
		resp, code := s.readNode(op, r.Path, auth)
		if code == protocol.ErrOK {
			kind := WatchChild
			if op == protocol.OpGetData {
				kind = WatchData
			}
			setWatch(r, kind)
		}
		return resp, code
	case protocol.OpGetACL:
		r, ok := req.(*protocol.PathRequest)
		if !ok {
			return nil, protocol.ErrBadArguments
		}
		n, _, found := s.lookup(r.Path)
		if !found {
			return nil, protocol.ErrNoNode
		}
		if !allowed(n.acl, protocol.PermRead|protocol.PermAdmin, auth) {
			return nil, protocol.ErrNoAuth
		}
		acl := n.acl
		if !allowed(n.acl, protocol.PermAdmin, auth) {
			acl = redactACL(acl)
		}
		return &protocol.GetACLResponse{ACL: acl, Stat: n.stat()}, protocol.ErrOK
	case protocol.OpGetAllChildrenNumber:
		r, ok := req.(*protocol.PathRequest)
		if !ok {
			return nil, protocol.ErrBadArguments
		}
		n, path, found := s.lookup(r.Path)
		if !found {
			return nil, protocol.ErrNoNode
		}
		if !allowed(n.acl, protocol.PermRead, auth) {
			return nil, protocol.ErrNoAuth
		}
		total := 0
		if path == "/" {
			total = s.nodes.Len() - 1
			// ZooKeeper's node table holds the root under both "" and "/"
			// and counts the keys below r.Path+"/": for "" that includes the
			// "/" key, one more than for "/".
			if r.Path == "" {
				total++
			}
		} else {
			total = descendants(s.nodes.Root(), path)
		}
		return &protocol.GetAllChildrenNumberResponse{TotalNumber: int32(total)}, protocol.ErrOK
	case protocol.OpMultiRead:
		r, ok := req.(*protocol.MultiRequest)
		if !ok {
			return nil, protocol.ErrBadArguments
		}
		return s.multiRead(r, auth, watch), protocol.ErrOK
	}
	return nil, protocol.ErrUnimplemented
}

// readNode is getData, getChildren or getChildren2 without the watch.
func (s *state) readNode(op protocol.OpCode, path string, auth []protocol.Id) (protocol.Record, protocol.ErrCode) {
	n, path, found := s.lookup(path)
	if !found {
		return nil, protocol.ErrNoNode
	}
	if !allowed(n.acl, protocol.PermRead, auth) {
		return nil, protocol.ErrNoAuth
	}
	switch op {
	case protocol.OpGetData:
		return &protocol.GetDataResponse{Data: n.data, Stat: n.stat()}, protocol.ErrOK
	case protocol.OpGetChildren:
		return &protocol.GetChildrenResponse{Children: children(s.nodes.Root(), path)}, protocol.ErrOK
	}
	return &protocol.GetChildren2Response{Children: children(s.nodes.Root(), path), Stat: n.stat()}, protocol.ErrOK
}

// multiRead runs each op independently; a failed op is an error result and
// does not affect the others.
func (s *state) multiRead(r *protocol.MultiRequest, auth []protocol.Id, watch func(WatchKind, string)) *protocol.MultiResponse {
	out := &protocol.MultiResponse{Results: make([]protocol.MultiResult, len(r.Ops))}
	for i, op := range r.Ops {
		req, ok := op.Req.(*protocol.PathWatchRequest)
		if !ok || (op.Op != protocol.OpGetData && op.Op != protocol.OpGetChildren) {
			out.Results[i] = protocol.MultiResult{Op: protocol.OpError, Err: protocol.ErrBadArguments}
			continue
		}
		resp, code := s.read(op.Op, req, auth, watch)
		if code != protocol.ErrOK {
			out.Results[i] = protocol.MultiResult{Op: protocol.OpError, Err: code}
			continue
		}
		out.Results[i] = protocol.MultiResult{Op: op.Op, Resp: resp}
	}
	return out
}
