package server

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/zkraft/zkraft/protocol"
)

// TestLastReplyNotReset: after a last reply (here AuthFailed) the server
// ends the connection with FIN and keeps reading what the client still
// sends, instead of closing with unread input, which resets the connection.
// A reset makes a client that writes before it reads (the Java client, with
// a request queued behind addauth) fail with a plain disconnect and lose the
// AuthFailed reply: zkCli then showed "Disconnected" and a retried auth.
func TestLastReplyNotReset(t *testing.T) {
	s := startServer(t, testOptions(t))
	r := dialRaw(t, s.Addr().String())
	r.connect(5000, 0, nil)
	r.send(protocol.XidAuth, protocol.OpAuth, &protocol.AuthPacket{Scheme: "foo", Auth: []byte("x")})
	if h := r.recv(nil); h.Xid != protocol.XidAuth || h.Err != protocol.ErrAuthFailed {
		t.Fatalf("auth reply %+v", h)
	}
	// The client had more in flight behind the auth packet.
	get := protocol.AppendRequest(nil, protocol.RequestHeader{Xid: 1, Type: protocol.OpGetData},
		&protocol.PathWatchRequest{Path: "/"})
	for i := 0; i < 3; i++ {
		r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.nc.Write(get); err != nil {
			t.Fatalf("write %d after the last reply: %v (the server reset the connection)", i, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last reply: %v, want EOF", err)
	}
}
