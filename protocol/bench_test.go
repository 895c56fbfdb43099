package protocol

import "testing"

func benchDecode(b *testing.B, op OpCode, r Record) {
	body := Marshal(r)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeRequest(op, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGetDataRequest(b *testing.B) {
	benchDecode(b, OpGetData, &PathWatchRequest{Path: "/app/config/node-0000000042", Watch: true})
}

func BenchmarkDecodeCreateRequest(b *testing.B) {
	benchDecode(b, OpCreate, &CreateRequest{Path: "/app/locks/lock-", Data: make([]byte, 100),
		ACL: []ACL{{Perms: PermAll, ID: Id{Scheme: "world", ID: "anyone"}}}, Flags: ModeEphemeralSequential})
}

func BenchmarkDecodeSetDataRequest(b *testing.B) {
	benchDecode(b, OpSetData, &SetDataRequest{Path: "/app/config/node-0000000042", Data: make([]byte, 100), Version: 7})
}

func BenchmarkDecodeMultiRequest(b *testing.B) {
	// Kafka's controller write: check the epoch node, then set data.
	benchDecode(b, OpMulti, &MultiRequest{Ops: []MultiOp{
		{Op: OpCheck, Req: &CheckVersionRequest{Path: "/controller_epoch", Version: 12}},
		{Op: OpSetData, Req: &SetDataRequest{Path: "/brokers/topics/t/partitions/0/state", Data: make([]byte, 100), Version: 3}},
	}})
}

func BenchmarkParseRequestGetData(b *testing.B) {
	frame := AppendRequest(nil, RequestHeader{Xid: 1, Type: OpGetData}, &PathWatchRequest{Path: "/app/config/node-0000000042"})[4:]
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseRequest(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendReplyGetData(b *testing.B) {
	resp := &GetDataResponse{Data: make([]byte, 100), Stat: sampleStat}
	h := ReplyHeader{Xid: 42, Zxid: 0x100000007}
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendReply(dst[:0], h, resp)
	}
	b.SetBytes(int64(len(dst)))
}

func BenchmarkValidatePath(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := ValidatePath("/brokers/topics/my-topic/partitions/17/state", false); err != nil {
			b.Fatal(err)
		}
	}
}
