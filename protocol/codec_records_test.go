package protocol

import (
	"errors"
	"reflect"
	"runtime"
	"testing"
)

var sampleStat = Stat{
	Czxid: 0x100000001, Mzxid: 0x100000002, Ctime: 1700000000000, Mtime: 1700000000001,
	Version: 3, Cversion: 4, Aversion: 5, EphemeralOwner: 0x1234, DataLength: 6,
	NumChildren: 7, Pzxid: 0x100000003,
}

var sampleACL = []ACL{
	{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}},
	{Perms: PermRead, ID: Id{Scheme: "digest", ID: "u:hash"}},
}

// sampleRecords holds one value of every record type, every field set, plus
// the nil/empty variants of vectors and buffers that must survive a round trip.
func sampleRecords() map[string]Record {
	return map[string]Record{
		"Id":                  &Id{Scheme: "ip", ID: "127.0.0.1"},
		"ACL":                 &sampleACL[1],
		"Stat":                &sampleStat,
		"ClientInfo":          &ClientInfo{AuthScheme: "ip", User: "127.0.0.1"},
		"ConnectRequest":      &ConnectRequest{ProtocolVersion: 0, LastZxidSeen: 9, TimeOut: 30000, SessionID: 77, Passwd: make([]byte, 16), ReadOnly: true, HasReadOnly: true},
		"ConnectRequestOld":   &ConnectRequest{TimeOut: 4000, Passwd: []byte{1, 2}},
		"ConnectRequestNil":   &ConnectRequest{TimeOut: 4000, HasReadOnly: true},
		"ConnectResponse":     &ConnectResponse{TimeOut: 30000, SessionID: 77, Passwd: []byte("0123456789abcdef"), HasReadOnly: true},
		"ConnectResponseOld":  &ConnectResponse{TimeOut: 30000, SessionID: 77, Passwd: []byte("0123456789abcdef")},
		"RequestHeader":       &RequestHeader{Xid: 12, Type: OpCreate2},
		"ReplyHeader":         &ReplyHeader{Xid: 12, Zxid: 0x200000005, Err: ErrNoNode},
		"MultiHeader":         &MultiHeader{Type: OpSetData, Done: true, Err: ErrBadVersion},
		"AuthPacket":          &AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("u:p")},
		"WatcherEvent":        &WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/a"},
		"ErrorResponse":       &ErrorResponse{Err: ErrNodeExists},
		"SetWatches":          &SetWatches{RelativeZxid: 5, DataWatches: []string{"/a", "/b"}, ExistWatches: []string{}, ChildWatches: nil},
		"SetWatches2":         &SetWatches2{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{"/e"}, ChildWatches: []string{"/c"}, PersistentWatches: []string{}, PersistentRecursiveWatches: []string{"/r", ""}},
		"CreateRequest":       &CreateRequest{Path: "/a", Data: []byte("x"), ACL: sampleACL, Flags: ModeEphemeralSequential},
		"CreateRequestNilACL": &CreateRequest{Path: "/a", Data: nil, ACL: nil},
		"CreateRequestEmpty":  &CreateRequest{Path: "/a", Data: []byte{}, ACL: []ACL{}},
		"CreateTTLRequest":    &CreateTTLRequest{Path: "/t", Data: []byte("y"), ACL: sampleACL, Flags: ModePersistentWithTTL, TTL: 60000},
		"DeleteRequest":       &DeleteRequest{Path: "/a", Version: -1},
		"PathWatchRequest":    &PathWatchRequest{Path: "/a", Watch: true},
		"PathRequest":         &PathRequest{Path: "/a"},
		"SetDataRequest":      &SetDataRequest{Path: "/a", Data: []byte("data"), Version: 2},
		"SetACLRequest":       &SetACLRequest{Path: "/a", ACL: sampleACL, Version: 1},
		"CheckVersionRequest": &CheckVersionRequest{Path: "/a", Version: 8},
		"ReconfigRequest":     &ReconfigRequest{JoiningServers: "server.2=h:1:2;3", LeavingServers: "3", NewMembers: "", CurConfigID: -1},
		"WatchesRequest":      &WatchesRequest{Path: "/a", Type: WatcherAny},
		"AddWatchRequest":     &AddWatchRequest{Path: "/a", Mode: AddWatchPersistentRecursive},
		"SASLRequest":         &SASLRequest{Token: []byte{0, 1, 2}},
		"CreateResponse":      &CreateResponse{Path: "/a0000000001"},
		"Create2Response":     &Create2Response{Path: "/a", Stat: sampleStat},
		"StatResponse":        &StatResponse{Stat: sampleStat},
		"GetDataResponse":     &GetDataResponse{Data: []byte("hello"), Stat: sampleStat},
		"GetDataResponseNil":  &GetDataResponse{Data: nil, Stat: sampleStat},
		"GetACLResponse":      &GetACLResponse{ACL: sampleACL, Stat: sampleStat},
		"GetChildrenResponse": &GetChildrenResponse{Children: []string{"a", "b", "c"}},
		"GetChildrenEmpty":    &GetChildrenResponse{Children: []string{}},
		"GetChildren2":        &GetChildren2Response{Children: []string{"a"}, Stat: sampleStat},
		"GetAllChildrenNum":   &GetAllChildrenNumberResponse{TotalNumber: 42},
		"PathResponse":        &PathResponse{Path: "/a"},
		"GetEphemerals":       &GetEphemeralsResponse{Ephemerals: []string{"/e1", "/e2"}},
		"WhoAmIResponse":      &WhoAmIResponse{ClientInfo: []ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "digest", User: "u"}}},
		"WhoAmIResponseEmpty": &WhoAmIResponse{ClientInfo: []ClientInfo{}},
		"EmptyRecord":         &EmptyRecord{},
		"MultiRequest":        sampleMultiRequest(),
		"MultiReadRequest":    sampleMultiReadRequest(),
		"MultiRequestEmpty":   &MultiRequest{},
		"MultiResponse":       sampleMultiResponse(),
		"MultiResponseEmpty":  &MultiResponse{},
	}
}

func sampleMultiRequest() *MultiRequest {
	return &MultiRequest{Ops: []MultiOp{
		{Op: OpCreate, Req: &CreateRequest{Path: "/c1", Data: []byte("1"), ACL: sampleACL, Flags: ModeEphemeral}},
		{Op: OpCreate2, Req: &CreateRequest{Path: "/c2", ACL: sampleACL}},
		{Op: OpCreateContainer, Req: &CreateRequest{Path: "/c3", ACL: sampleACL, Flags: ModeContainer}},
		{Op: OpCreateTTL, Req: &CreateTTLRequest{Path: "/c4", ACL: sampleACL, Flags: ModePersistentWithTTL, TTL: 1000}},
		{Op: OpDelete, Req: &DeleteRequest{Path: "/d", Version: -1}},
		{Op: OpSetData, Req: &SetDataRequest{Path: "/s", Data: []byte("v"), Version: 3}},
		{Op: OpCheck, Req: &CheckVersionRequest{Path: "/k", Version: 2}},
	}}
}

func sampleMultiReadRequest() *MultiRequest {
	return &MultiRequest{Ops: []MultiOp{
		{Op: OpGetChildren, Req: &PathWatchRequest{Path: "/a"}},
		{Op: OpGetData, Req: &PathWatchRequest{Path: "/b"}},
	}}
}

func sampleMultiResponse() *MultiResponse {
	return &MultiResponse{Results: []MultiResult{
		{Op: OpCreate, Resp: &CreateResponse{Path: "/c1"}},
		{Op: OpCreate2, Resp: &Create2Response{Path: "/c2", Stat: sampleStat}},
		{Op: OpSetData, Resp: &StatResponse{Stat: sampleStat}},
		{Op: OpDelete},
		{Op: OpCheck},
		{Op: OpGetChildren, Resp: &GetChildrenResponse{Children: []string{"x", "y"}}},
		{Op: OpGetData, Resp: &GetDataResponse{Data: []byte("d"), Stat: sampleStat}},
		{Op: OpError, Err: ErrNoNode},
		{Op: OpError, Err: ErrRuntimeInconsistency},
	}}
}

// fresh returns a new zero value of r's dynamic type.
func fresh(r Record) Record {
	return reflect.New(reflect.TypeOf(r).Elem()).Interface().(Record)
}

func TestRoundTripEveryRecord(t *testing.T) {
	for name, in := range sampleRecords() {
		t.Run(name, func(t *testing.T) {
			b := Marshal(in)
			out := fresh(in)
			if err := Unmarshal(b, out); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(in, out) {
				t.Fatalf("round trip differs:\n in %#v\nout %#v", in, out)
			}
			// Every strict prefix of a record with fields must fail, never
			// panic. Optional trailing parts (readOnly byte) are exempt.
			if len(b) == 0 || name == "ConnectRequest" || name == "ConnectResponse" || name == "ConnectRequestNil" {
				return
			}
			for n := 0; n < len(b); n++ {
				if err := Unmarshal(b[:n], fresh(in)); err == nil {
					t.Fatalf("prefix of %d/%d bytes decoded without error", n, len(b))
				}
			}
		})
	}
}

func TestEveryRecordTypeSampled(t *testing.T) {
	// Every record returned by NewRequest/NewResponse must appear in the
	// samples, so a new record cannot skip the round-trip test.
	have := map[reflect.Type]bool{}
	for _, r := range sampleRecords() {
		have[reflect.TypeOf(r)] = true
	}
	for _, op := range AllOpCodes() {
		for _, f := range []func(OpCode) (Record, bool){NewRequest, NewResponse} {
			if r, ok := f(op); ok && !have[reflect.TypeOf(r)] {
				t.Errorf("%v: %T has no sample", op, r)
			}
		}
	}
}

func TestConnectReadOnlyOptional(t *testing.T) {
	withRO := Marshal(&ConnectRequest{TimeOut: 1, Passwd: []byte{}, ReadOnly: true, HasReadOnly: true})
	without := Marshal(&ConnectRequest{TimeOut: 1, Passwd: []byte{}, ReadOnly: true})
	if len(withRO) != len(without)+1 || withRO[len(withRO)-1] != 1 {
		t.Fatalf("readOnly byte: with %x, without %x", withRO, without)
	}
	var r ConnectRequest
	if err := Unmarshal(without, &r); err != nil || r.HasReadOnly || r.ReadOnly {
		t.Fatalf("old client request: %+v, %v", r, err)
	}
	if err := Unmarshal(withRO, &r); err != nil || !r.HasReadOnly || !r.ReadOnly {
		t.Fatalf("new client request: %+v, %v", r, err)
	}
	var resp ConnectResponse
	if err := Unmarshal(Marshal(&ConnectResponse{Passwd: []byte{}}), &resp); err != nil || resp.HasReadOnly {
		t.Fatalf("old response: %+v, %v", resp, err)
	}
}

func TestNullVectorsDecodeToNil(t *testing.T) {
	var w SetWatches
	if err := Unmarshal(Marshal(&SetWatches{DataWatches: []string{}}), &w); err != nil {
		t.Fatal(err)
	}
	if w.DataWatches == nil || len(w.DataWatches) != 0 {
		t.Fatalf("empty vector decoded as %#v", w.DataWatches)
	}
	if w.ExistWatches != nil || w.ChildWatches != nil {
		t.Fatalf("null vectors decoded as %#v %#v", w.ExistWatches, w.ChildWatches)
	}
}

func TestHugeVectorCountRejected(t *testing.T) {
	// A count of 2^31-1 ACLs in a 20-byte body must fail before allocating.
	e := NewEncoder(nil)
	e.String("/a")
	e.Buffer(nil)
	e.Int(0x7fffffff)
	e.Int(0)
	var r CreateRequest
	// Bytes, not allocation counts: the race detector makes sync.Pool drop
	// items at random, so the count of small allocations varies.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		if err := Unmarshal(e.Bytes(), &r); err == nil {
			t.Fatal("huge vector accepted")
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 10; per > 4096 {
		t.Fatalf("%d bytes allocated per rejection of a huge vector", per)
	}
	for _, n := range []int32{-2, -0x80000000} {
		e.Reset()
		e.String("/a")
		e.Buffer(nil)
		e.Int(n)
		if err := Unmarshal(e.Bytes(), &r); err == nil {
			t.Fatalf("vector count %d accepted", n)
		}
	}
}

func TestMultiRequestDecodeErrors(t *testing.T) {
	bad := func(ops ...MultiOp) []byte { return Marshal(&MultiRequest{Ops: ops}) }
	cases := map[string][]byte{
		"unknown op":  bad(MultiOp{Op: OpExists, Req: &PathWatchRequest{Path: "/a"}}),
		"mixed kinds": bad(MultiOp{Op: OpGetData, Req: &PathWatchRequest{Path: "/a"}}, MultiOp{Op: OpDelete, Req: &DeleteRequest{Path: "/a"}}),
		"no end":      Marshal(sampleMultiRequest())[:len(Marshal(sampleMultiRequest()))-9],
	}
	for name, b := range cases {
		var r MultiRequest
		if err := Unmarshal(b, &r); err == nil {
			t.Errorf("%s: decoded without error: %+v", name, r)
		} else if r.Ops != nil {
			t.Errorf("%s: ops left after error: %+v", name, r.Ops)
		}
	}
	// Java's reader stops at the first done header whatever its type.
	b := append(Marshal(&MultiHeader{Type: 7, Done: true}), 0xde, 0xad)
	var r MultiRequest
	if err := Unmarshal(b, &r); err != nil || len(r.Ops) != 0 {
		t.Fatalf("done header: %v %+v", err, r)
	}
	if !sampleMultiReadRequest().ReadOnly() || sampleMultiRequest().ReadOnly() || (&MultiRequest{}).ReadOnly() {
		t.Fatal("ReadOnly misclassifies")
	}
}

func TestMultiRequestWireLayout(t *testing.T) {
	b := Marshal(&MultiRequest{Ops: []MultiOp{{Op: OpCheck, Req: &CheckVersionRequest{Path: "/k", Version: 2}}}})
	want := []byte{
		0, 0, 0, 13, 0, 0xff, 0xff, 0xff, 0xff, // header {check, false, -1}
		0, 0, 0, 2, '/', 'k', 0, 0, 0, 2, // CheckVersionRequest
		0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff, // end {-1, true, -1}
	}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("got %x\nwant %x", b, want)
	}
}

func TestMultiResponseWireLayout(t *testing.T) {
	b := Marshal(&MultiResponse{Results: []MultiResult{{Op: OpDelete}, {Op: OpError, Err: ErrNoNode}}})
	want := []byte{
		0, 0, 0, 2, 0, 0, 0, 0, 0, // {delete, false, 0}, no body
		0xff, 0xff, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0x9b, // {error, false, -101}
		0xff, 0xff, 0xff, 0x9b, // ErrorResponse{-101}
		0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff, // end
	}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("got %x\nwant %x", b, want)
	}
}

func TestMultiResponseNormalisesCreateResults(t *testing.T) {
	in := &MultiResponse{Results: []MultiResult{
		{Op: OpCreateContainer, Resp: &Create2Response{Path: "/c", Stat: sampleStat}},
		{Op: OpCreateTTL, Resp: &CreateResponse{Path: "/t"}},
		{Op: OpCreate}, // nil Resp: empty body
		{Op: OpError, Resp: &ErrorResponse{Err: ErrNoAuth}}, // code taken from Resp
	}}
	var out MultiResponse
	if err := Unmarshal(Marshal(in), &out); err != nil {
		t.Fatal(err)
	}
	want := []MultiResult{
		{Op: OpCreate2, Resp: &Create2Response{Path: "/c", Stat: sampleStat}},
		{Op: OpCreate2, Resp: &Create2Response{Path: "/t"}},
		{Op: OpCreate, Resp: &CreateResponse{}},
		{Op: OpError, Err: ErrNoAuth},
	}
	if !reflect.DeepEqual(out.Results, want) {
		t.Fatalf("got %+v", out.Results)
	}
	var bad MultiResponse
	if err := Unmarshal(Marshal(&MultiHeader{Type: OpCreateTTL}), &bad); err == nil {
		t.Fatal("createTTL result type accepted")
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	if _, err := DecodeRequest(OpNotification, nil); !errors.Is(err, ErrUnimplemented) {
		t.Fatalf("notification: %v", err)
	}
	if _, err := DecodeRequest(OpCode(55), nil); !errors.Is(err, ErrUnimplemented) {
		t.Fatalf("op 55: %v", err)
	}
	_, err := DecodeRequest(OpGetData, []byte{0, 0, 0, 9, '/'})
	if !errors.Is(err, ErrMarshallingError) || !errors.Is(err, ErrShortBuffer) && err == nil {
		t.Fatalf("truncated getData: %v", err)
	}
	r, err := DecodeRequest(OpGetData, Marshal(&PathWatchRequest{Path: "/x", Watch: true}))
	if err != nil || !reflect.DeepEqual(r, &PathWatchRequest{Path: "/x", Watch: true}) {
		t.Fatalf("getData: %+v %v", r, err)
	}
}

func TestEveryOpHasRecords(t *testing.T) {
	noRequest := map[OpCode]bool{OpNotification: true, OpError: true}
	for _, op := range AllOpCodes() {
		if _, ok := NewRequest(op); ok == noRequest[op] {
			t.Errorf("%v: NewRequest ok=%v", op, ok)
		}
		if _, ok := NewResponse(op); !ok {
			t.Errorf("%v: no response record", op)
		}
		r1, _ := NewRequest(op)
		r2, _ := NewRequest(op)
		if r1 != nil && reflect.TypeOf(r1).Elem().Size() > 0 && r1 == r2 {
			t.Errorf("%v: NewRequest returned a shared record", op)
		}
	}
	if _, ok := NewRequest(OpCode(10)); ok {
		t.Error("op 10 has a request record")
	}
	if _, ok := NewResponse(OpCode(10)); ok {
		t.Error("op 10 has a response record")
	}
}

func TestResponseVectorsNeverNull(t *testing.T) {
	for _, r := range []Record{&GetChildrenResponse{}, &GetChildren2Response{}, &GetACLResponse{},
		&GetEphemeralsResponse{}, &WhoAmIResponse{}} {
		b := Marshal(r)
		if len(b) < 4 || b[0] != 0 || b[1] != 0 || b[2] != 0 || b[3] != 0 {
			t.Errorf("%T: nil vector not written as empty: %x", r, b)
		}
	}
	// A null vector from the wire still decodes to nil.
	var r GetChildrenResponse
	if err := Unmarshal([]byte{0xff, 0xff, 0xff, 0xff}, &r); err != nil || r.Children != nil {
		t.Fatalf("null children: %#v %v", r.Children, err)
	}
}
