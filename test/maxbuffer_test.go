package test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// TestOversizeFrame: a request frame longer than jute.maxbuffer (1 MiB - 1)
// makes the server close that connection; other clients are unaffected and
// a large request under the limit works.
func TestOversizeFrame(t *testing.T) {
	root := testRoot(t, shared)
	bystander := connect(t, shared)
	victim := raw(t, shared)

	// create(path, 1 MiB of data): header + body well over maxBuffer.
	body := (&enc{}).i32(1).i32(opCreate).str(root + "/big").buf(bytes.Repeat([]byte("x"), maxBuffer+1)).acls(worldAll).i32(0).b
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	frame = append(frame, body...)
	// The server may close before reading it all; a write error is fine.
	_ = victim.SendRaw(frame)
	if !victim.Closed(10 * time.Second) {
		t.Fatalf("the server kept a connection that sent a %d-byte frame", len(body))
	}

	if _, err := bystander.Create(root+"/after", []byte("ok"), 0, worldAll); err != nil {
		t.Fatalf("another client after the oversize frame: %v", err)
	}
	if ok, _, _ := bystander.Exists(root + "/big"); ok {
		t.Errorf("the oversize create was applied")
	}
	// A request just under the limit is served.
	big := bytes.Repeat([]byte("y"), maxBuffer-1024)
	if _, err := bystander.Create(root+"/nearly", big, 0, worldAll); err != nil {
		t.Fatalf("create with %d bytes of data: %v", len(big), err)
	}
	data, _, err := bystander.Get(root + "/nearly")
	if err != nil || !bytes.Equal(data, big) {
		t.Fatalf("get of the large node: %d bytes, %v", len(data), err)
	}
	r := raw(t, shared)
	if _, code := r.Exists(root+"/nearly", false); code != errOK {
		t.Errorf("a new connection after the oversize frame: %d", code)
	}
}
