package protocol

import "fmt"

// The multi and multiRead bodies are not jute vectors: each op (or result) is
// preceded by a MultiHeader and the list ends with the header
// {type -1, done true, err -1}. A reader stops at the first header whose done
// flag is set, whatever its type, as ZooKeeper's readers do.
//
// Request op headers carry err -1 (ZooKeeper writes it; readers ignore it).
// The body after a request header is chosen by its type:
//
//	create 1, create2 15, createContainer 19  CreateRequest
//	createTTL 21                              CreateTTLRequest
//	delete 2                                  DeleteRequest
//	setData 5                                 SetDataRequest
//	check 13                                  CheckVersionRequest
//	getChildren 8, getData 4 (multiRead)      PathWatchRequest
//
// Result headers carry err 0, except an error result (type -1) whose header
// and ErrorResponse body both carry the code. The body after a result header:
//
//	create 1    CreateResponse (path only)
//	create2 15  Create2Response (path and stat)
//	setData 5   StatResponse
//	delete 2, check 13  nothing
//	getChildren 8       GetChildrenResponse
//	getData 4           GetDataResponse
//	error -1            ErrorResponse
//
// Which op code a create result carries (read in ZooKeeper's sources and
// observed on Apache ZooKeeper 3.8.0): the server rebuilds every create-like
// op from its body and flags, so the result type follows the create mode, not
// the request header:
//   - header create 1 or create2 15, persistent/ephemeral/sequential mode:
//     result create 1, CreateResponse, path only (even for create2;
//     go-zookeeper/zk cannot read a create2 result at all);
//   - container mode (header createContainer 19, or create 1 with flags 4):
//     result create2 15, Create2Response with the stat;
//   - header createTTL 21 (TTL modes): result create2 15 with the stat.
//
// No result ever carries 19 or 21 (a Java client fails on them), so Encode
// writes a createContainer or createTTL result as create2.

// multiReadOp reports whether op is one of the read ops allowed in multiRead.
func multiReadOp(op OpCode) bool { return op == OpGetChildren || op == OpGetData }

// newMultiOpRequest returns an empty request body for an op of a multi or
// multiRead, or false when op cannot appear there. The body is the op's own
// request record (NewRequest); only the set of ops is particular to multi.
func newMultiOpRequest(op OpCode) (Record, bool) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL, OpDelete, OpSetData, OpCheck:
	default:
		if !multiReadOp(op) {
			return nil, false
		}
	}
	return NewRequest(op)
}

// newMultiResult returns an empty body for a multi result of type op; the
// record is nil for results without a body (delete, check, error).
func newMultiResult(op OpCode) (Record, bool) {
	switch op {
	case OpCreate:
		return &CreateResponse{}, true
	case OpCreate2:
		return &Create2Response{}, true
	case OpSetData:
		return &StatResponse{}, true
	case OpDelete, OpCheck, OpError:
		return nil, true
	case OpGetChildren:
		return &GetChildrenResponse{}, true
	case OpGetData:
		return &GetDataResponse{}, true
	}
	return nil, false
}

// Encode writes each op behind its header. An op with a nil Req is written
// with an empty body of its kind.
func (r *MultiRequest) Encode(e *Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Op, Done: false, Err: -1}
		h.Encode(e)
		body := op.Req
		if body == nil {
			body, _ = newMultiOpRequest(op.Op)
		}
		if body != nil {
			body.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// Decode fails on an op that cannot appear in a multi and, as ZooKeeper does,
// on a request mixing read ops (multiRead) with write ops (multi).
func (r *MultiRequest) Decode(d *Decoder) {
	r.Ops = nil
	var h MultiHeader
	reads, writes := 0, 0
	for {
		h.Decode(d)
		if d.Err() != nil || h.Done {
			break
		}
		body, ok := newMultiOpRequest(h.Type)
		if !ok {
			d.Fail(fmt.Errorf("jute: op %v cannot appear in a multi request", h.Type))
			break
		}
		if multiReadOp(h.Type) {
			reads++
		} else {
			writes++
		}
		if reads > 0 && writes > 0 {
			d.Fail(fmt.Errorf("jute: multi request mixes read and write ops"))
			break
		}
		body.Decode(d)
		r.Ops = append(r.Ops, MultiOp{Op: h.Type, Req: body})
	}
	if d.Err() != nil {
		r.Ops = nil
	}
}

// ReadOnly reports whether the request holds only read ops (a multiRead). An
// empty request counts as a write (ZooKeeper treats it as an empty multi).
func (r *MultiRequest) ReadOnly() bool {
	for _, op := range r.Ops {
		if !multiReadOp(op.Op) {
			return false
		}
	}
	return len(r.Ops) > 0
}

// Encode writes each result behind its header. A createContainer or createTTL
// result is written as create2, the only create result with a stat that
// clients read. A result with a nil Resp is written with an empty body.
func (r *MultiResponse) Encode(e *Encoder) {
	for _, res := range r.Results {
		op, body := res.Op, res.Resp
		h := MultiHeader{Type: op}
		switch op {
		case OpError:
			code := res.Err
			if er, ok := body.(*ErrorResponse); ok && code == ErrOK {
				code = er.Err
			}
			h.Err = code
			h.Encode(e)
			er := ErrorResponse{Err: code}
			er.Encode(e)
			continue
		case OpCreateContainer, OpCreateTTL:
			h.Type = OpCreate2
			if cr, ok := body.(*CreateResponse); ok {
				body = &Create2Response{Path: cr.Path}
			}
		case OpDelete, OpCheck:
			body = nil
		}
		h.Encode(e)
		if body == nil {
			body, _ = newMultiResult(h.Type)
		}
		if body != nil {
			body.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

// Decode fails on a result type that a multi response cannot hold. An error
// result gets its code from the ErrorResponse body and a nil Resp.
func (r *MultiResponse) Decode(d *Decoder) {
	r.Results = nil
	var h MultiHeader
	for {
		h.Decode(d)
		if d.Err() != nil || h.Done {
			break
		}
		body, ok := newMultiResult(h.Type)
		if !ok {
			d.Fail(fmt.Errorf("jute: result type %v cannot appear in a multi response", h.Type))
			break
		}
		res := MultiResult{Op: h.Type, Resp: body}
		if h.Type == OpError {
			var er ErrorResponse
			er.Decode(d)
			res.Err = er.Err
		} else if body != nil {
			body.Decode(d)
		}
		r.Results = append(r.Results, res)
	}
	if d.Err() != nil {
		r.Results = nil
	}
}
