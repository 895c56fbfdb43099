package protocol

import "fmt"

// Request and response bodies by op code. Ops whose message has no fields get
// an *EmptyRecord so that callers can treat every op alike. Ops without a
// body in one direction (a notification is never a request; the error op
// never a request) report false.
//
//	op                          request              response
//	notification 0              -                    WatcherEvent
//	create 1                    CreateRequest        CreateResponse
//	delete 2                    DeleteRequest        EmptyRecord
//	exists 3                    PathWatchRequest     StatResponse
//	getData 4                   PathWatchRequest     GetDataResponse
//	setData 5                   SetDataRequest       StatResponse
//	getACL 6                    PathRequest          GetACLResponse
//	setACL 7                    SetACLRequest        StatResponse
//	getChildren 8               PathWatchRequest     GetChildrenResponse
//	sync 9                      PathRequest          PathResponse
//	ping 11                     EmptyRecord          EmptyRecord
//	getChildren2 12             PathWatchRequest     GetChildren2Response
//	check 13                    CheckVersionRequest  StatResponse
//	multi 14, multiRead 22      MultiRequest         MultiResponse
//	create2 15                  CreateRequest        Create2Response
//	reconfig 16                 ReconfigRequest      GetConfigResponse
//	checkWatches 17             WatchesRequest       EmptyRecord
//	removeWatches 18            WatchesRequest       EmptyRecord
//	createContainer 19          CreateRequest        Create2Response
//	deleteContainer 20          PathRequest          EmptyRecord
//	createTTL 21                CreateTTLRequest     Create2Response
//	auth 100                    AuthPacket           EmptyRecord
//	setWatches 101              SetWatches           EmptyRecord
//	sasl 102                    SASLRequest          SASLRequest (token)
//	getEphemerals 103           PathRequest          GetEphemeralsResponse
//	getAllChildrenNumber 104    PathRequest          GetAllChildrenNumberResponse
//	setWatches2 105             SetWatches2          EmptyRecord
//	addWatch 106                AddWatchRequest      ErrorResponse (err 0)
//	whoAmI 107                  EmptyRecord          WhoAmIResponse
//	createSession -10           ConnectRequest       ConnectResponse (unframed by a header)
//	closeSession -11            EmptyRecord          EmptyRecord
//	error -1                    -                    ErrorResponse (multi results)
//
// The addWatch reply carries an ErrorResponse body with err 0: the Java client
// reads one and fails the connection when it is missing. A standalone check
// (never sent by the Java client, which uses check only inside multi) is
// answered like setData, with the node's stat.

// NewRequest returns a fresh, empty request body for op, or false when op has
// no request body.
func NewRequest(op OpCode) (Record, bool) {
	switch op {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, true
	case OpCreateTTL:
		return &CreateTTLRequest{}, true
	case OpDelete:
		return &DeleteRequest{}, true
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		return &PathWatchRequest{}, true
	case OpSetData:
		return &SetDataRequest{}, true
	case OpGetACL, OpSync, OpDeleteContainer, OpGetEphemerals, OpGetAllChildrenNumber:
		return &PathRequest{}, true
	case OpSetACL:
		return &SetACLRequest{}, true
	case OpCheck:
		return &CheckVersionRequest{}, true
	case OpMulti, OpMultiRead:
		return &MultiRequest{}, true
	case OpReconfig:
		return &ReconfigRequest{}, true
	case OpCheckWatches, OpRemoveWatches:
		return &WatchesRequest{}, true
	case OpAuth:
		return &AuthPacket{}, true
	case OpSetWatches:
		return &SetWatches{}, true
	case OpSetWatches2:
		return &SetWatches2{}, true
	case OpSASL:
		return &SASLRequest{}, true
	case OpAddWatch:
		return &AddWatchRequest{}, true
	case OpCreateSession:
		return &ConnectRequest{}, true
	case OpPing, OpCloseSession, OpWhoAmI:
		return &EmptyRecord{}, true
	}
	return nil, false
}

// NewResponse returns a fresh, empty response body for op, or false when op
// has no response.
func NewResponse(op OpCode) (Record, bool) {
	switch op {
	case OpNotification:
		return &WatcherEvent{}, true
	case OpCreate:
		return &CreateResponse{}, true
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		return &Create2Response{}, true
	case OpExists, OpSetData, OpSetACL, OpCheck:
		return &StatResponse{}, true
	case OpGetData, OpReconfig:
		return &GetDataResponse{}, true
	case OpGetACL:
		return &GetACLResponse{}, true
	case OpGetChildren:
		return &GetChildrenResponse{}, true
	case OpGetChildren2:
		return &GetChildren2Response{}, true
	case OpSync:
		return &PathResponse{}, true
	case OpMulti, OpMultiRead:
		return &MultiResponse{}, true
	case OpSASL:
		return &SASLRequest{}, true
	case OpGetEphemerals:
		return &GetEphemeralsResponse{}, true
	case OpGetAllChildrenNumber:
		return &GetAllChildrenNumberResponse{}, true
	case OpWhoAmI:
		return &WhoAmIResponse{}, true
	case OpCreateSession:
		return &ConnectResponse{}, true
	case OpError, OpAddWatch:
		return &ErrorResponse{}, true
	case OpDelete, OpPing, OpCheckWatches, OpRemoveWatches, OpDeleteContainer,
		OpAuth, OpSetWatches, OpSetWatches2, OpCloseSession:
		return &EmptyRecord{}, true
	}
	return nil, false
}

// DecodeRequest decodes the request body of op. An op without a request body
// gives an error that matches ErrUnimplemented (errors.Is), which is what
// ZooKeeper answers to an unknown op; a malformed body gives an error that
// matches ErrMarshallingError. Trailing bytes are ignored, as ZooKeeper does.
func DecodeRequest(op OpCode, body []byte) (Record, error) {
	r, ok := NewRequest(op)
	if !ok {
		return nil, fmt.Errorf("protocol: no request body for %v: %w", op, ErrUnimplemented)
	}
	if err := Unmarshal(body, r); err != nil {
		return nil, fmt.Errorf("protocol: decode %v request: %w: %w", op, ErrMarshallingError, err)
	}
	return r, nil
}
