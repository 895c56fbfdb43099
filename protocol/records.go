package protocol

// Record types of zookeeper.jute, field for field in jute order. Each record
// has Encode(*Encoder) and Decode(*Decoder) methods (codec_records.go).

type Id struct {
	Scheme string
	ID     string
}

type ACL struct {
	Perms int32
	ID    Id
}

type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

type ClientInfo struct {
	AuthScheme string
	User       string
}

// ConnectRequest: ReadOnly is absent on the wire from old clients; HasReadOnly
// records whether it was present so the response can mirror the request.
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool // encode the ReadOnly byte only when true
}

type RequestHeader struct {
	Xid  int32
	Type OpCode
}

type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  ErrCode
}

type MultiHeader struct {
	Type OpCode
	Done bool
	Err  ErrCode
}

type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

type WatcherEvent struct {
	Type  EventType
	State State
	Path  string
}

type ErrorResponse struct{ Err ErrCode }

type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

// Requests.

type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

type DeleteRequest struct {
	Path    string
	Version int32
}

// PathWatchRequest is the body of exists, getData, getChildren and getChildren2.
type PathWatchRequest struct {
	Path  string
	Watch bool
}

// PathRequest is the body of sync, getACL, getAllChildrenNumber, getEphemerals
// (prefixPath) and deleteContainer.
type PathRequest struct {
	Path string
}

type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

type CheckVersionRequest struct {
	Path    string
	Version int32
}

type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

// WatchesRequest is the body of checkWatches and removeWatches.
type WatchesRequest struct {
	Path string
	Type int32
}

type AddWatchRequest struct {
	Path string
	Mode int32
}

// SASLRequest is the body of a sasl request and of its response.
type SASLRequest struct {
	Token []byte
}

// MultiOp is one operation of a multi or multiRead request. Op is the op code
// and Req is one of *CreateRequest, *CreateTTLRequest, *DeleteRequest,
// *SetDataRequest, *CheckVersionRequest (multi) or *PathWatchRequest (the
// getChildren and getData of multiRead).
type MultiOp struct {
	Op  OpCode
	Req Record
}

// MultiRequest is the body of multi and multiRead: a MultiHeader per op and a
// closing header {-1, true, -1}.
type MultiRequest struct {
	Ops []MultiOp
}

// Responses.

type CreateResponse struct{ Path string }

type Create2Response struct {
	Path string
	Stat Stat
}

// StatResponse is the body of the exists, setData and setACL responses.
type StatResponse struct{ Stat Stat }

type GetDataResponse struct {
	Data []byte
	Stat Stat
}

type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

type GetChildrenResponse struct{ Children []string }

type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

type GetAllChildrenNumberResponse struct{ TotalNumber int32 }

// PathResponse is the body of the sync response.
type PathResponse struct{ Path string }

type GetEphemeralsResponse struct{ Ephemerals []string }

type WhoAmIResponse struct{ ClientInfo []ClientInfo }

// GetConfigResponse is the body of the reconfig response (GetDataResponse
// layout: the new config data and the stat of /zookeeper/config).
type GetConfigResponse = GetDataResponse

// MultiResult is one per-op result of a multi or multiRead response. Op is the
// op code of the result (OpError for a failed op, with Err set); Resp is the
// op's response record or nil (delete, check).
type MultiResult struct {
	Op   OpCode
	Err  ErrCode
	Resp Record
}

// MultiResponse is the body of the multi and multiRead responses.
type MultiResponse struct {
	Results []MultiResult
}

// EmptyRecord is the body of requests and responses without fields (ping,
// closeSession, whoAmI request, delete response, ...).
type EmptyRecord struct{}
