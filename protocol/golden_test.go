package protocol

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes hex written with spaces between fields.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Golden bytes worked out by hand from zookeeper.jute, field by field
// (frame lengths: create 8+6+5+4+4+9+10+4 = 50, event 16+4+4+6 = 30).
func TestGoldenBytes(t *testing.T) {
	stat := Stat{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7,
		EphemeralOwner: 8, DataLength: 1, NumChildren: 9, Pzxid: 10}
	statHex := "0000000000000001 0000000000000002 0000000000000003 0000000000000004" +
		" 00000005 00000006 00000007 0000000000000008 00000001 00000009 000000000000000a"
	cases := []struct {
		name string
		got  []byte
		want string
	}{{
		// What go-zookeeper/zk sends first: protocolVersion 0, lastZxidSeen 0,
		// timeOut 4000, sessionId 0, 16-byte zero password, no readOnly.
		name: "ConnectRequest frame",
		got:  AppendFrame(nil, &ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}),
		want: "0000002c 00000000 0000000000000000 00000fa0 0000000000000000 00000010 " +
			strings.Repeat("00", 16),
	}, {
		name: "ConnectResponse with readOnly",
		got: Marshal(&ConnectResponse{TimeOut: 30000, SessionID: 0x0102030405060708,
			Passwd: []byte{0xaa, 0xbb}, HasReadOnly: true}),
		want: "00000000 00007530 0102030405060708 00000002 aabb 00",
	}, {
		name: "create request frame",
		got: AppendRequest(nil, RequestHeader{Xid: 1, Type: OpCreate}, &CreateRequest{Path: "/a",
			Data: []byte("x"), ACL: []ACL{{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}}}}),
		want: "00000032 00000001 00000001 00000002 2f61 00000001 78 00000001 0000001f" +
			" 00000005 776f726c64 00000006 616e796f6e65 00000000",
	}, {
		name: "getData reply frame",
		got:  AppendReply(nil, ReplyHeader{Xid: 2, Zxid: 0x100000003, Err: 0}, &GetDataResponse{Data: []byte("x"), Stat: stat}),
		want: "00000059 00000002 0000000100000003 00000000 00000001 78 " + statHex,
	}, {
		name: "error reply frame, no body",
		got:  AppendReply(nil, ReplyHeader{Xid: 3, Zxid: 4, Err: ErrNoNode}, nil),
		want: "00000010 00000003 0000000000000004 ffffff9b",
	}, {
		name: "watch notification frame",
		got: AppendReply(nil, ReplyHeader{Xid: XidNotification, Zxid: -1},
			&WatcherEvent{Type: EventNodeDeleted, State: StateSyncConnected, Path: "/w"}),
		want: "0000001e ffffffff ffffffffffffffff 00000000 00000002 00000003 00000002 2f77",
	}, {
		name: "setWatches with a null vector",
		got:  Marshal(&SetWatches{RelativeZxid: 5, DataWatches: []string{"/d"}, ExistWatches: []string{}}),
		want: "0000000000000005 00000001 00000002 2f64 00000000 ffffffff",
	}}
	for _, c := range cases {
		if want := unhex(t, c.want); !bytes.Equal(c.got, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, c.got, want)
		}
	}
}
