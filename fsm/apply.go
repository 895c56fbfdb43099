package fsm

import (
	"fmt"

	"github.com/zkraft/zkraft/protocol"
)

// entryHandler applies one entry of its type to s and returns the next state
// and the result (nil when the entry produces none). A handler panics when the
// entry cannot be decoded: applying it differently on another replica, or
// skipping it, would make the states diverge.
type entryHandler func(s *state, opts *Options, entry []byte, zxid int64) (*state, *Result)

var entryHandlers = map[byte]entryHandler{
	EntryRequest:      applyRequestEntry,
	EntryRequestOwned: applyRequestEntry,
	EntryInit:         applyInitEntry,
	EntryExpire:       applyExpireEntry,
	EntryReap:         applyReapEntry,
	EntryConfig:       applyConfigEntry,
	EntryRestore:      applyRestoreEntry,
}

// apply applies one committed entry. Unknown types with the ignorable bit are
// skipped (the zxid still advances); unknown types without it stop the server.
func (s *state) apply(opts *Options, entry []byte, zxid int64) (*state, *Result) {
	if len(entry) == 0 {
		panic("fsm: empty log entry")
	}
	h, ok := entryHandlers[entry[0]]
	if !ok {
		if entry[0]&EntryIgnorable != 0 {
			return s.withZxid(zxid), nil
		}
		panic(fmt.Sprintf("fsm: unknown log entry type %#x", entry[0]))
	}
	return h(s, opts, entry, zxid)
}

// withZxid is s unchanged except for the last applied zxid.
func (s *state) withZxid(zxid int64) *state {
	c := *s
	c.lastZxid = zxid
	return &c
}

func applyInitEntry(s *state, _ *Options, entry []byte, zxid int64) (*state, *Result) {
	secret, err := DecodeInit(entry)
	if err != nil {
		panic(err)
	}
	ns := s.withZxid(zxid)
	if len(ns.secret) == 0 && len(secret) > 0 {
		ns.secret = secret
	}
	return ns, nil
}

func applyExpireEntry(s *state, opts *Options, entry []byte, zxid int64) (*state, *Result) {
	now, ids, err := DecodeExpire(entry)
	if err != nil {
		panic(err)
	}
	t := newTx(s, opts, zxid, now)
	res := &Result{Op: protocol.OpCloseSession, Zxid: zxid}
	for _, id := range ids {
		if t.closeSession(id) {
			res.Closed = append(res.Closed, id)
		}
	}
	res.Events = t.events
	return t.commit(), res
}

func applyReapEntry(s *state, opts *Options, entry []byte, zxid int64) (*state, *Result) {
	now, paths, err := DecodeReap(entry)
	if err != nil {
		panic(err)
	}
	t := newTx(s, opts, zxid, now)
	t.reap(paths)
	return t.commit(), &Result{Op: protocol.OpDeleteContainer, Zxid: zxid, Events: t.events}
}

func applyRequestEntry(s *state, opts *Options, entry []byte, zxid int64) (*state, *Result) {
	h, body, err := DecodeRequest(entry)
	if err != nil {
		panic(err)
	}
	res := &Result{SessionID: h.SessionID, Cxid: h.Cxid, Op: h.Op, Zxid: zxid}
	t := newTx(s, opts, zxid, h.Time)
	t.auth = h.Auth
	res.Resp, res.Err = t.request(&h, body, res)
	if res.Err != protocol.ErrOK {
		// Nothing of a failed request stays: drop the tx.
		res.Resp, res.Events = nil, nil
		return s.withZxid(zxid), res
	}
	if t.failed {
		// A failed multi: its results are the reply, its changes are dropped.
		return s.withZxid(zxid), res
	}
	res.Events = t.events
	return t.commit(), res
}

// request applies one client write. A body that does not decode is answered
// with MarshallingError: it is client input, decoded alike by every replica,
// so refusing it is deterministic and one client cannot stop the ensemble.
func (t *tx) request(h *Header, body []byte, res *Result) (protocol.Record, protocol.ErrCode) {
	if h.Op == protocol.OpCreateSession {
		var b CreateSessionBody
		if protocol.Unmarshal(body, &b) != nil {
			return nil, protocol.ErrMarshallingError
		}
		return nil, t.applyCreateSession(h.SessionID, h.Owner, &b)
	}
	// A write from a session that is gone fails, as ZooKeeper's session
	// check before every request does. Session 0 is the server itself.
	if h.SessionID != 0 {
		row, live := t.sessions.Get(sessionKey(h.SessionID))
		if !live {
			return nil, protocol.ErrSessionExpired
		}
		if code := t.checkOwner(row, h); code != protocol.ErrOK || h.Op == OpMoveSession {
			return nil, code
		}
	}
	if h.Op == protocol.OpCloseSession {
		if !t.closeSession(h.SessionID) {
			return nil, protocol.ErrSessionExpired
		}
		res.Closed = []int64{h.SessionID}
		return nil, protocol.ErrOK
	}
	req, err := protocol.DecodeRequest(h.Op, body)
	if err != nil {
		if _, known := protocol.NewRequest(h.Op); !known {
			return nil, protocol.ErrUnimplemented
		}
		return nil, protocol.ErrMarshallingError
	}
	switch r := req.(type) {
	case *protocol.MultiRequest:
		if h.Op != protocol.OpMulti {
			return nil, protocol.ErrUnimplemented
		}
		return t.multi(h.SessionID, r), protocol.ErrOK
	}
	return t.single(h.SessionID, h.Op, req)
}

// single applies one op outside a multi and builds its reply body.
func (t *tx) single(sessionID int64, op protocol.OpCode, req protocol.Record) (protocol.Record, protocol.ErrCode) {
	switch op {
	case protocol.OpCreate, protocol.OpCreate2, protocol.OpCreateContainer, protocol.OpCreateTTL:
		a, _ := createArgsOf(op, req)
		path, n, code := t.create(sessionID, a)
		if code != protocol.ErrOK {
			return nil, code
		}
		return createResponse(op, path, n), protocol.ErrOK
	case protocol.OpDelete:
		r := req.(*protocol.DeleteRequest)
		return nil, t.delete(r.Path, r.Version)
	case protocol.OpSetData:
		r := req.(*protocol.SetDataRequest)
		n, code := t.setData(r.Path, r.Data, r.Version)
		return statResponse(n, code)
	case protocol.OpSetACL:
		r := req.(*protocol.SetACLRequest)
		n, code := t.setACL(r.Path, r.ACL, r.Version)
		return statResponse(n, code)
	case protocol.OpCheck:
		r := req.(*protocol.CheckVersionRequest)
		n, code := t.check(r.Path, r.Version)
		return statResponse(n, code)
	case protocol.OpDeleteContainer:
		return nil, t.deleteContainer(req.(*protocol.PathRequest).Path)
	case protocol.OpReconfig:
		// A standalone server answers as ZooKeeper with reconfigEnabled=false.
		return nil, protocol.ErrReconfigDisabled
	case protocol.OpSync:
		// A sync through the log is a barrier: once it applies, every
		// earlier write has applied too.
		return &protocol.PathResponse{Path: req.(*protocol.PathRequest).Path}, protocol.ErrOK
	}
	return nil, protocol.ErrUnimplemented
}

func statResponse(n *znode, code protocol.ErrCode) (protocol.Record, protocol.ErrCode) {
	if code != protocol.ErrOK {
		return nil, code
	}
	return &protocol.StatResponse{Stat: n.stat()}, protocol.ErrOK
}

// multi applies the ops in order on the tx. On the first failure the caller
// drops the tx, so nothing of the multi stays, and the results are
// ZooKeeper's: OK error results before the failing op, its code, then
// RuntimeInconsistency for the ops after it. The multi itself succeeds.
func (t *tx) multi(sessionID int64, req *protocol.MultiRequest) protocol.Record {
	results := make([]protocol.MultiResult, len(req.Ops))
	for i, op := range req.Ops {
		r, code := t.multiOp(sessionID, op)
		if code == protocol.ErrOK {
			results[i] = r
			continue
		}
		for j := range results {
			switch {
			case j < i:
				results[j] = protocol.MultiResult{Op: protocol.OpError, Err: protocol.ErrOK}
			case j == i:
				results[j] = protocol.MultiResult{Op: protocol.OpError, Err: code}
			default:
				results[j] = protocol.MultiResult{Op: protocol.OpError, Err: protocol.ErrRuntimeInconsistency}
			}
		}
		t.failed = true
		return &protocol.MultiResponse{Results: results}
	}
	return &protocol.MultiResponse{Results: results}
}

func (t *tx) multiOp(sessionID int64, op protocol.MultiOp) (protocol.MultiResult, protocol.ErrCode) {
	switch op.Op {
	case protocol.OpCreate, protocol.OpCreate2, protocol.OpCreateContainer, protocol.OpCreateTTL:
		a, ok := createArgsOf(op.Op, op.Req)
		if !ok {
			return protocol.MultiResult{}, protocol.ErrBadArguments
		}
		path, n, code := t.create(sessionID, multiCreateOp(a))
		if code != protocol.ErrOK {
			return protocol.MultiResult{}, code
		}
		return multiCreateResult(path, n), protocol.ErrOK
	case protocol.OpDelete:
		r, ok := op.Req.(*protocol.DeleteRequest)
		if !ok {
			return protocol.MultiResult{}, protocol.ErrBadArguments
		}
		return protocol.MultiResult{Op: protocol.OpDelete}, t.delete(r.Path, r.Version)
	case protocol.OpSetData:
		r, ok := op.Req.(*protocol.SetDataRequest)
		if !ok {
			return protocol.MultiResult{}, protocol.ErrBadArguments
		}
		n, code := t.setData(r.Path, r.Data, r.Version)
		if code != protocol.ErrOK {
			return protocol.MultiResult{}, code
		}
		return protocol.MultiResult{Op: protocol.OpSetData, Resp: &protocol.StatResponse{Stat: n.stat()}}, protocol.ErrOK
	case protocol.OpCheck:
		r, ok := op.Req.(*protocol.CheckVersionRequest)
		if !ok {
			return protocol.MultiResult{}, protocol.ErrBadArguments
		}
		_, code := t.check(r.Path, r.Version)
		return protocol.MultiResult{Op: protocol.OpCheck}, code
	}
	return protocol.MultiResult{}, protocol.ErrBadArguments
}
